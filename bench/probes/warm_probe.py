"""Warm handler cost: Snip's handlers and the bare reference, in one process, DynamoDB stubbed.

Run as ``python -I -S warm.py RUNTIME CONFIG_JSON OUT_JSON`` with the folders named in CONFIG_JSON
(the functions' deployable folders and bench/bare) and the Lambda runtime emulation on the path.
Every DynamoDB request goes through the whole SDK (parameter validation, serialization, SigV4
signing, response parsing) and is answered by a ``before-send`` hook with a canned body, so only
our code and the SDK are timed. Subjects run in alternating blocks so that they share the
machine's state; each block starts with untimed warm-up calls.
"""

import json
import os
import sys
import time
import uuid

runtime, config_path, out_path = sys.argv[1:4]
with open(config_path) as source:
    config = json.load(source)
sys.path[:0] = [*config["folders"], runtime]

# Lambda sends stdout (logs, EMF metrics) to CloudWatch; here it goes nowhere, but is still written.
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)

import bare_app  # noqa: E402
import resolve_app  # noqa: E402
import shorten_app  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402

from snip.data import clients  # noqa: E402
from snip.settings import get_settings  # noqa: E402

REGISTRY = get_settings().api_keys_table

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
LINK = {
    "key": {"S": "Bench01"},
    "url": {"S": "https://example.com/a/reasonably/long/path?with=query&and=more"},
    "owner": {"S": "bench-key-id"},
    "created_at": {"S": "2025-01-01T00:00:00Z"},
    "redirect_status": {"N": "302"},
    "visits": {"N": "41"},
    "bot_visits": {"N": "0"},
    "last_visit_at": {"S": "2025-01-02T00:00:00Z"},
    "disabled": {"BOOL": False},
}


def _pool_page(index):
    keys = ["".join(BASE62[(index * 7 + i * 13 + j) % 62] for j in range(7)) for i in range(10)]
    return {"Items": [{"key": {"S": k}} for k in keys], "Count": 10, "ScannedCount": 10}


RULES_LINK = config["rules_link"]  # a link with ten redirect rules (bench/warm.py)
CANNED = {
    "GetItem": [json.dumps({"Item": LINK}).encode()],
    "UpdateItem": [json.dumps({"Attributes": LINK}).encode()],
    "PutItem": [b"{}"],
    "TransactWriteItems": [b"{}"],
    "Query": [json.dumps(_pool_page(i)).encode() for i in range(64)],
}
HEADERS = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "bench"}
calls = dict.fromkeys(CANNED, 0)


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **_):
        yield self._body


def _stub(request, **_):
    target = request.headers["X-Amz-Target"]
    operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
    if json.loads(request.body or b"{}").get("TableName") == REGISTRY:
        # The API key's registry record: none, so the key is its own owner with both scopes
        # (snip.operations.callers); an environment reads it once a minute per key, not per request.
        calls[operation] += 1
        return AWSResponse(request.url, 200, HEADERS, _Raw(b"{}"))
    if operation == "GetItem" and b'"Bench10"' in request.body:
        calls[operation] += 1
        return AWSResponse(request.url, 200, HEADERS, _Raw(json.dumps({"Item": RULES_LINK}).encode()))
    bodies = CANNED[operation]
    calls[operation] += 1
    return AWSResponse(request.url, 200, HEADERS, _Raw(bodies[calls[operation] % len(bodies)]))


for client in (clients.dynamodb(), bare_app.client):
    client.meta.events.register("before-send.dynamodb", _stub)


class Context:
    function_name = "snip-bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:snip-bench"
    aws_request_id = "bench-warm"
    log_group_name = "/aws/lambda/snip-bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self):
        return 10_000


SUBJECTS = {
    "resolve": (resolve_app.handler, [config["events"]["get"]], 302),
    # The same redirect as the front door's distribution sends it (a Function URL event).
    "resolve_url": (resolve_app.handler, [config["events"]["get_url"]], 302),
    # A link with ten redirect rules, visited by a varied mix of real user agents, languages,
    # countries and queries (one event after another): no cache hides the table's work.
    "resolve_rules": (resolve_app.handler, config["events"]["get_rules"], 302),
    "bare_get": (bare_app.handler, [config["events"]["get"]], 302),
    "shorten": (shorten_app.handler, [config["events"]["post"]], 201),
    "bare_create": (bare_app.create_handler, [config["events"]["post"]], 201),
}
context = Context()
samples = {name: [] for name in SUBJECTS}
requests_per_call = {}
perf_ns = time.perf_counter_ns
blocks, per_block, warmup = config["blocks"], config["per_block"], config["warmup"]
deadline = time.monotonic() + config["max_seconds"]

for block in range(blocks):
    order = list(SUBJECTS) if block % 2 == 0 else list(reversed(SUBJECTS))
    for name in order:
        handler, templates, expected = SUBJECTS[name]
        for n in range(warmup):
            status = handler(json.loads(templates[n % len(templates)]), context)["statusCode"]
            if status != expected:
                raise SystemExit(f"{name} answered {status}, expected {expected}")
        before = sum(calls.values())
        out = samples[name]
        for n in range(per_block):
            event = json.loads(templates[n % len(templates)])
            context.aws_request_id = str(uuid.uuid4())
            started = perf_ns()
            handler(event, context)
            out.append(perf_ns() - started)
        requests_per_call[name] = (sum(calls.values()) - before) / per_block
    if time.monotonic() > deadline:
        break

with open(out_path, "w") as out:
    json.dump({"samples_ns": samples, "dynamodb_requests_per_call": requests_per_call}, out)
