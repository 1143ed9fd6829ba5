"""3. DynamoDB requests and capacity per operation, counted at the SDK.

The handlers run in this process against moto (in memory), with a ``before-call`` hook on
``snip.data.clients.dynamodb()`` that records every request. moto's ReturnConsumedCapacity is not used: it
answers fixed numbers whatever the item size, and nothing for TransactWriteItems. Capacity is
computed instead from the items each request touches, by DynamoDB's rules: a write costs 1 WRU
per started KB of the larger of the item before and after (a transactional write 2 per KB, a
ConditionCheck too); a read costs 1 RRU per started 4 KB, half for an eventually consistent read,
and a Query or Scan is charged for the total size of the items it reads, projection or not.
Item size = attribute names + values (strings in UTF-8, numbers ~1 byte per 2 digits + 1).
The items are looked up with a second client, outside the count.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from bench.bench_events import function_url_event, get_event, post_event
from bench.common import ROOT, TYPICAL_TARGET
from bench.emf import metric_totals
from snip_deploy.function_specs import ALL_FUNCTIONS

SIZE_KB = 1024
BATCH = 100  # creates in the measured POST /links/batch


def attribute_size(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        digits = str(Decimal(data)).lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in data.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in data)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in data)
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


def write_units(size: int, transactional: bool = False) -> float:
    return max(1, math.ceil(size / SIZE_KB)) * (2 if transactional else 1)


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / (4 * SIZE_KB)))
    return units if consistent else units / 2


class Meter:
    """Counts the requests a client sends and what capacity each consumes."""

    def __init__(self, client: Any, peek: Any, key_names: dict[str, tuple[str, ...]]) -> None:
        self.peek = peek  # a second client on the same tables, not counted
        self.key_names = key_names  # table -> key attribute names
        self.active = True
        self.requests: Counter[str] = Counter()
        self.wru = 0.0
        self.rru = 0.0
        self._pending: list[tuple[str, dict[str, Any], list[int]]] = []
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        self.active = False
        try:
            yield
        finally:
            self.active = True

    def reset(self) -> None:
        self.requests.clear()
        self.wru = self.rru = 0.0

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.peek.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self.key_names[table]}

    def _writes(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """(table, key) of every item a write request touches."""
        if operation == "TransactWriteItems":
            touched = []
            for action in params["TransactItems"]:
                (kind, body), *_ = action.items()
                key = self._key_of(body["TableName"], body["Item"]) if kind == "Put" else body["Key"]
                touched.append((body["TableName"], key))
            return touched
        if operation == "PutItem":
            return [(params["TableName"], self._key_of(params["TableName"], params["Item"]))]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(params["TableName"], params["Key"])]
        return []

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if not self.active:
            return
        operation = model.name
        body = json.loads(params["body"] or b"{}")
        self.requests[operation] += 1
        touched = self._writes(operation, body)
        sizes = [item_size(self._get(table, key)) for table, key in touched]
        self._pending.append((operation, body, sizes))

    def _after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if not self.active or not self._pending:
            return
        operation, body, before = self._pending.pop()
        if operation in ("GetItem",):
            self.rru += read_units(item_size(parsed.get("Item")), bool(body.get("ConsistentRead")))
        elif operation == "BatchGetItem":  # each item is charged as its own GetItem
            for table, items in parsed.get("Responses", {}).items():
                consistent = bool(body["RequestItems"].get(table, {}).get("ConsistentRead"))
                self.rru += sum(read_units(item_size(item), consistent) for item in items)
        elif operation in ("Query", "Scan"):
            self.rru += self._read_many(operation, body)
        else:
            transactional = operation == "TransactWriteItems"
            after = [item_size(self._get(table, key)) for table, key in self._writes(operation, body)]
            for old, new in zip(before, after, strict=True):
                self.wru += write_units(max(old, new), transactional)

    def _read_many(self, operation: str, body: dict[str, Any]) -> float:
        """A Query or Scan is charged for the items it reads: read them again, whole."""
        args = {k: v for k, v in body.items() if k not in ("ProjectionExpression", "Select")}
        if "ProjectionExpression" in body and "#" in body["ProjectionExpression"]:
            used = " ".join([body.get("KeyConditionExpression", ""), body.get("FilterExpression", "")])
            names = {k: v for k, v in body.get("ExpressionAttributeNames", {}).items() if k in used}
            if names:
                args["ExpressionAttributeNames"] = names
            else:
                args.pop("ExpressionAttributeNames", None)
        items = getattr(self.peek, operation.lower())(**args).get("Items", [])
        return read_units(sum(item_size(i) for i in items), bool(body.get("ConsistentRead")))

    def snapshot(self, operations: int) -> dict[str, Any]:
        total = sum(self.requests.values())
        return {
            "operations": operations,
            "requests": dict(self.requests),
            "requests_per_operation": total / operations,
            "wru_per_operation": self.wru / operations,
            "rru_per_operation": self.rru / operations,
        }


class _Context:
    function_name = "snip-bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:snip-bench"
    aws_request_id = "bench-requests"
    log_group_name = "/aws/lambda/snip-bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def in_process_environment() -> dict[str, str]:
    """Set the variables the functions read when they run in this process against moto (fake
    credentials, the default tables, no endpoint of the shell's); the environment before, to put back."""
    from snip.settings import DEFAULT_TABLES

    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "SNIP_PUBLIC_BASE_URL": "https://sho.rt",
            **DEFAULT_TABLES,
        }
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "SNIP_KEYGEN_FUNCTION"):
        os.environ.pop(name, None)
    return saved


def run(creates: int = 200) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from snip.data import clients
    from snip.data.key_pool_table import SIZING_KEY, SIZING_SHARD
    from snip.execution import environment
    from snip.settings import DEFAULT_TABLES, Env
    from snip_deploy.tables import ALL_TABLES, create_tables
    from tests.service.lambda_events import rest_event
    from tests.service.visits_table_setup import ensure_visits_table

    saved = in_process_environment()
    for spec in ALL_FUNCTIONS:
        sys.path.insert(0, str(ROOT / spec.folder))

    def new_instance() -> None:
        """Forget what an execution environment builds once (its lru_cached builders)."""
        environment.reset()

    logs = io.StringIO()  # the functions' logs and EMF metrics
    results: dict[str, Any] = {}
    try:
        with mock_aws(), contextlib.redirect_stdout(logs), warnings.catch_warnings():
            # keygen's check publishes no metric but the cold start: Powertools warns about it.
            warnings.simplefilter("ignore", UserWarning)
            import keygen_app
            import resolve_app
            import shorten_app

            new_instance()
            peek = boto3.client("dynamodb")
            create_tables(peek, DEFAULT_TABLES)
            ensure_visits_table(peek)
            key_names = {
                DEFAULT_TABLES[t.env_name]: tuple(k[0] for k in (t.partition_key, t.sort_key) if k)
                for t in ALL_TABLES
            }
            key_names.setdefault(DEFAULT_TABLES[Env.VISITS_TABLE], ("id",))
            meter = Meter(clients.dynamodb(), peek, key_names)
            context = _Context()
            schedule = {"source": "aws.events", "detail-type": "Scheduled Event"}

            def call(function: Any, event: dict[str, Any]) -> dict[str, Any]:
                return function.handler(event, context)

            def pool_keys() -> list[dict[str, Any]]:
                items = peek.scan(TableName=DEFAULT_TABLES["SNIP_KEYS_TABLE"])["Items"]
                return [i for i in items if int(i["shard"]["N"]) >= 0]  # not keygen's sizing item

            def forget_sizing() -> None:
                """keygen sizes the pool from the claims it sees between runs; these loops claim
                hundreds of keys a second, so it would grow the pool (part 4 measures that). Here
                every refill is keygen's first, to the configured 50 keys."""
                sizing = {"shard": {"N": str(SIZING_SHARD)}, "key": {"S": SIZING_KEY}}
                peek.delete_item(TableName=DEFAULT_TABLES["SNIP_KEYS_TABLE"], Key=sizing)

            # keygen: the first fill (50), a refill of 35 (pool at 15), the every-minute check (full pool).
            meter.reset()
            call(keygen_app, schedule)
            results["keygen_fill_50"] = meter.snapshot(1)
            for item in pool_keys()[:35]:
                peek.delete_item(TableName=DEFAULT_TABLES["SNIP_KEYS_TABLE"], Key=item)
            forget_sizing()
            meter.reset()
            refill = call(keygen_app, schedule)
            results["keygen_refill_35"] = {**meter.snapshot(1), "added": refill["added"]}
            meter.reset()
            call(keygen_app, schedule)
            results["keygen_check"] = meter.snapshot(1)

            keys: list[str] = []

            def create_many(count: int, idempotent: bool) -> dict[str, Any]:
                meter.reset()
                logs.seek(0)
                logs.truncate()
                for index in range(count):
                    if len(pool_keys()) < 35:  # keygen's job, counted above, not here
                        with meter.paused():
                            forget_sizing()
                            call(keygen_app, schedule)
                    token = f"bench-{idempotent}-{index}" if idempotent else None
                    event = post_event(f"https://example.com/{index}", idempotency_key=token)
                    reply = call(shorten_app, event)
                    assert reply["statusCode"] == 201, reply
                    keys.append(json.loads(reply["body"])["key"])
                return {**meter.snapshot(count), "metrics": metric_totals(logs.getvalue())}

            results["create"] = create_many(creates, idempotent=False)
            results["create_idempotent"] = create_many(creates // 2, idempotent=True)
            meter.reset()
            replay = post_event("https://example.com/0", idempotency_key="bench-True-0")
            assert call(shorten_app, replay)["statusCode"] == 201
            results["create_idempotent_replay"] = meter.snapshot(1)

            # POST /links/batch of 100 creates, the pool as keygen leaves it (refilled, uncounted).
            with meter.paused():
                forget_sizing()
                call(keygen_app, schedule)
            meter.reset()
            links = [{"url": f"https://example.com/batch/{i}"} for i in range(BATCH)]
            _, event = rest_event("POST", "/links/batch", body={"links": links}, api_key_id="bench-key-id")
            reply = call(shorten_app, event)
            assert reply["statusCode"] == 200, reply
            statuses = [result["status"] for result in json.loads(reply["body"])["results"]]
            assert statuses == [201] * BATCH, statuses
            results["create_batch_100"] = {**meter.snapshot(1), "links": BATCH}
            # GET /links, a page of 25 of the owner's links.
            meter.reset()
            _, event = rest_event("GET", "/links?limit=25", api_key_id="bench-key-id")
            reply = call(shorten_app, event)
            assert reply["statusCode"] == 200, reply
            assert len(json.loads(reply["body"])["links"]) == 25, reply
            results["list_page_25"] = meter.snapshot(1)

            # Each key once, from a new execution environment: nothing is in memory yet, so GET
            # reads the link and writes its event; HEAD after it finds the link in memory. The
            # memory's clock stands still here (the metering makes each request slow, not Lambda).
            new_instance()
            meter = Meter(clients.dynamodb(), peek, key_names)
            resolve_app.redirect_tables().memory.monotonic = lambda: (
                0.0
            )  # these loops take under 2 s on Lambda
            for method in ("GET", "HEAD"):
                meter.reset()
                for key in keys[:100]:
                    _, event = rest_event(method, f"/{key}", api_key_id=None)
                    status = call(resolve_app, event)["statusCode"]
                    assert status == 302, (method, key, status)
                results[f"redirect_{method.lower()}"] = meter.snapshot(min(100, len(keys)))
            meter.reset()
            for key in keys[:100]:  # the same keys again, within 2 s: the links come from memory
                _, event = rest_event("GET", f"/{key}", api_key_id=None)
                assert call(resolve_app, event)["statusCode"] == 302
            results["redirect_get_warm"] = meter.snapshot(min(100, len(keys)))
            _, limited_post = rest_event(
                "POST", "/links", body={"url": "https://example.com/limited", "max_visits": 10**9}
            )
            limited = json.loads(call(shorten_app, limited_post)["body"])
            meter.reset()
            for _ in range(100):
                _, event = rest_event("GET", f"/{limited['key']}", api_key_id=None)
                assert call(resolve_app, event)["statusCode"] == 302
            results["redirect_get_max_visits"] = meter.snapshot(100)
            with meter.paused():
                results["hot_link"] = hot_link(resolve_app, keys[0], DEFAULT_TABLES[Env.LINKS_TABLE])
                results["redirect_responses"] = redirect_responses(
                    lambda event: call(resolve_app, event),
                    json.loads(call(shorten_app, post_event(TYPICAL_TARGET))["body"])["key"],
                )
    finally:
        new_instance()
        os.environ.clear()
        os.environ.update(saved)
    return results


def redirect_responses(resolve: Any, key: str) -> dict[str, Any]:
    """What resolve answers a GET of a link to a typical target, under the REST API's event and
    under the Function URL's (the front door's): part 7 prices the bytes CloudFront sends on.
    An answer other than a redirect is kept with its status, and part 7 does not use it."""
    answers = {}
    for name, event in (("rest", get_event(key)), ("function_url", function_url_event(key))):
        response = resolve(event)
        answers[name] = {
            field: response[field]
            for field in ("statusCode", "headers", "multiValueHeaders", "cookies", "body")
            if field in response
        }
    return answers


HOT_REDIRECTS = 10_000
HOT_RATE = 500  # redirects per second: 10,000 spread over a simulated 20 s


def hot_link(resolve_app: Any, key: str, links_table: str) -> dict[str, Any]:
    """One key, one execution environment, ``HOT_REDIRECTS`` redirects at ``HOT_RATE``/s on a
    simulated clock (resolve's memory of a link expires after 2 s of it, as it would): the
    requests that read or write the link's own item, per redirect, and all requests per redirect."""
    from snip.data import clients
    from snip.execution import environment
    from tests.service.lambda_events import rest_event

    environment.redirect_tables.cache_clear()
    memory = resolve_app.redirect_tables().memory
    now = [0.0]
    memory.monotonic = lambda: now[0]
    link_item: Counter[str] = Counter()
    every: Counter[str] = Counter()

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        body = json.loads(params["body"] or b"{}")
        every[model.name] += 1
        if body.get("TableName") == links_table and body.get("Key") == {"key": {"S": key}}:
            link_item[model.name] += 1

    client = clients.dynamodb()
    client.meta.events.register("before-call.dynamodb", count)
    try:
        for index in range(HOT_REDIRECTS):
            now[0] = index / HOT_RATE
            _, event = rest_event("GET", f"/{key}", api_key_id=None)
            assert resolve_app.handler(event, _Context())["statusCode"] == 302
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)
    return {
        "redirects": HOT_REDIRECTS,
        "simulated_seconds": HOT_REDIRECTS / HOT_RATE,
        "link_item_requests": dict(link_item),
        "link_item_requests_per_redirect": sum(link_item.values()) / HOT_REDIRECTS,
        "requests": dict(every),
        "requests_per_redirect": sum(every.values()) / HOT_REDIRECTS,
    }


if __name__ == "__main__":
    started = time.perf_counter()
    print(json.dumps(run(), indent=1), time.perf_counter() - started)
