"""Each function runs from its own deployable folder with only what Lambda gives it.

A clean interpreter (-I -S: no site-packages, no PYTHONPATH) gets exactly the function's folder,
its installed requirements if it has any (.lambda-deps/<name>/) and .lambda-runtime/ (boto3 + the
Powertools layer), all built by `make runtime`, on its path, imports the handler and serves one
event against a moto server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.function_bundling import REQUIREMENTS, dist_info_name, read_pins
from snip.settings import DEFAULT_TABLES, Env
from snip_deploy.function_specs import FUNCTIONS
from tests.lambda_sandbox import (
    LAMBDA_DEPS,
    ROOT,
    base_environment,
    lambda_path,
    moto_dynamodb,
    run_handler,
)
from tests.service.lambda_events import function_url_event, rest_event
from tests.service.visits_table_setup import ensure_visits_table, visit_events

# Nothing of the test environment may leak into a function.
FORBIDDEN = ("moto", "pytest", "snip_local", "infra", "tests")


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_dynamodb(DEFAULT_TABLES) as endpoint:
        yield endpoint


def run(name: str, event: dict[str, Any], endpoint: str) -> dict[str, Any]:
    function = FUNCTIONS[name]
    env = {**base_environment(endpoint), "SNIP_PUBLIC_BASE_URL": "https://sho.rt"}
    out = run_handler(ROOT / function.folder, function.handler, event, env, f"snip-{name}")
    assert [m for m in out["modules"] if m.split(".")[0] in FORBIDDEN] == []
    assert out["snip_file"].startswith(str(ROOT / function.folder))
    return dict(out["result"])


def test_keygen_runs_from_its_folder(moto_endpoint: str) -> None:
    result = run("keygen", {"source": "aws.events", "detail-type": "Scheduled Event"}, moto_endpoint)
    assert result["pool_after"] >= 50


def test_shorten_runs_from_its_folder(moto_endpoint: str) -> None:
    _, event = rest_event("POST", "/links", body={"url": "https://example.com/deployable"})
    assert run("shorten", event, moto_endpoint)["statusCode"] == 201


def test_resolve_runs_from_its_folder(moto_endpoint: str) -> None:
    _, event = rest_event("GET", "/Missing1", api_key_id=None)
    assert run("resolve", event, moto_endpoint)["statusCode"] == 404


# What resolve, the hot path, never loads: pydantic, the Event Handler, the X-Ray SDK, Powertools'
# Logger and Metrics (snip.execution.hot_path_telemetry writes their lines), the user-agent parser (the
# aggregator classifies), nor anything of Powertools at all. (It does use snip.execution.environment's store:
# that module loads Powertools' Logger only when shorten or keygen first logs through it.)
HEAVY = (
    "pydantic",
    "aws_xray_sdk",
    "aws_lambda_powertools",
    "ua_parser",
    "user_agents",
    "snip.operations.visit_counting",
)


@pytest.mark.parametrize("shape", ["rest", "function-url"])
def test_resolve_cold_start_stays_lean(moto_endpoint: str, shape: str) -> None:
    """Imported and serving a redirect (cold: GetItem + the event's PutItem), resolve loads none of
    HEAVY, whether the REST API or CloudFront's Function URL event called it."""
    function = FUNCTIONS["resolve"]
    client = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name="us-east-1")
    ensure_visits_table(client)
    client.put_item(
        TableName=DEFAULT_TABLES[Env.LINKS_TABLE],
        Item={
            "key": {"S": "Lean123"},
            "url": {"S": "https://example.com/lean"},
            "owner": {"S": "owner-a"},
            "redirect_status": {"N": "302"},
            "disabled": {"BOOL": False},
        },
    )
    viewer = {"User-Agent": "Mozilla/5.0"}
    if shape == "rest":
        event = rest_event("GET", "/Lean123", api_key_id=None, headers=viewer)[1]
    else:
        event = function_url_event("GET", "/Lean123", headers=viewer)
    env = {**base_environment(moto_endpoint), "SNIP_PUBLIC_BASE_URL": "https://sho.rt"}
    out = run_handler(ROOT / function.folder, function.handler, event, env, "snip-resolve")
    assert out["result"]["statusCode"] == 302
    assert sorted(m for m in out["modules"] if m.startswith(HEAVY)) == []
    (written,) = [e for e in visit_events(client) if e["key"] == "Lean123" and e["id"] == _visit_id(event)]
    assert written["user_agent"] == "Mozilla/5.0"


def _visit_id(event: dict[str, Any]) -> str:
    """The id resolve names a visit by: CloudFront's X-Amz-Cf-Id through the front door."""
    return str((event.get("headers") or {}).get("x-amz-cf-id") or event["requestContext"]["requestId"])


# What shorten's cold POST /links (the lean path, snip.links_api.lean_create) never loads: the
# Event Handler and pydantic come with the other routes, on their first request; no route loads the
# X-Ray SDK; Powertools' Logger and Metrics are replaced by the hot path's lean lines.
SHORTEN_COLD_HEAVY = ("pydantic", "aws_xray_sdk", "aws_lambda_powertools", "snip.http.api_models")


def test_shorten_cold_post_links_stays_lean(moto_endpoint: str) -> None:
    function = FUNCTIONS["shorten"]
    _, event = rest_event("POST", "/links", body={"url": "https://example.com/lean"})
    env = {**base_environment(moto_endpoint), "SNIP_PUBLIC_BASE_URL": "https://sho.rt"}
    out = run_handler(ROOT / function.folder, function.handler, event, env, "snip-shorten")
    assert out["result"]["statusCode"] == 201
    assert sorted(m for m in out["modules"] if m.startswith(SHORTEN_COLD_HEAVY)) == []
    assert out["collecting"] == [False, True]  # as resolve: no collector until the first answer


@pytest.mark.parametrize("first", ["POST /links", "GET /links"])
def test_shorten_reports_one_cold_start_whichever_path_runs_first(moto_endpoint: str, first: str) -> None:
    """The lean path's telemetry and Powertools' each know a cold start; one environment counts one."""
    events = [
        rest_event("POST", "/links", body={"url": "https://example.com/one"})[1],
        rest_event("GET", "/links")[1],
    ]
    if first == "GET /links":
        events.reverse()
    probe = (
        "import json, sys; sys.path[:0] = sys.argv[1:]; import shorten_app\n"
        "class Context:\n"
        "    function_name, memory_limit_in_mb, invoked_function_arn = 'snip-shorten', 512, 'arn:snip'\n"
        "    aws_request_id = 'request'\n"
        "    def get_remaining_time_in_millis(self): return 10000\n"
        "for event in json.loads(sys.stdin.read()):\n"
        "    print('status', shorten_app.handler(event, Context())['statusCode'])\n"
    )
    env = {**base_environment(moto_endpoint), "AWS_LAMBDA_FUNCTION_NAME": "snip-shorten"}
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, *lambda_path(ROOT / FUNCTIONS["shorten"].folder)],
        input=json.dumps(events), capture_output=True, text=True, timeout=60, check=True, env=env,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert sorted(line for line in lines if line.startswith("status")) == ["status 200", "status 201"]
    documents = [json.loads(line) for line in lines if line.startswith("{")]
    assert sum(1 for d in documents if "ColdStart" in d) == 1


def test_resolve_starts_without_the_collector_and_resumes_it(moto_endpoint: str) -> None:
    """A cold start runs without garbage collection; the first request's end freezes what the start
    made and collects again, whatever it answered (here a 404: resolve_app.handler's finally)."""
    function = FUNCTIONS["resolve"]
    _, event = rest_event("GET", "/Missing2", api_key_id=None)
    out = run_handler(
        ROOT / function.folder, function.handler, event, base_environment(moto_endpoint), "snip-resolve"
    )
    assert out["result"]["statusCode"] == 404
    assert out["collecting"] == [False, True]
    assert out["frozen"] > 50_000  # the imports, the SDK client and its service model


def test_resolve_import_stays_lean() -> None:
    folder = ROOT / FUNCTIONS["resolve"].folder
    probe = (
        "import sys; sys.path[:0] = sys.argv[1:]; import resolve_app; "
        f"heavy = {HEAVY!r}; "
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, *lambda_path(folder)],
        capture_output=True, text=True, timeout=60, check=True,
        env={"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"},
    )  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_aggregate_runs_from_its_folder(moto_endpoint: str) -> None:
    """Its ua-parser comes from .lambda-deps/aggregate/; a tumbling window's last, empty invocation
    answers no failures and the (empty) state Lambda requires."""
    final = {"Records": [], "shardId": "shardId-00000001900000000000-00000001", "state": {}}
    final |= {"isFinalInvokeForWindow": True, "isWindowTerminatedEarly": False}
    assert run("aggregate", final, moto_endpoint) == {"batchItemFailures": [], "state": {}}


# Each third-party package a function imports, and the only function whose path holds it.
THIRD_PARTY = {"segno": "shorten", "ua_parser": "aggregate"}


@pytest.mark.parametrize("name", ["resolve", "shorten", "keygen", "aggregate"])
def test_each_function_can_import_only_its_own_third_party_packages(name: str) -> None:
    """segno only in shorten, ua-parser only in the aggregator: no other function could load them."""
    probe = (
        "import sys, importlib.util; sys.path[:0] = sys.argv[1:]; "
        f"print(sorted(p for p in {sorted(THIRD_PARTY)!r} if importlib.util.find_spec(p)))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, *lambda_path(ROOT / FUNCTIONS[name].folder)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == str(sorted(p for p, owner in THIRD_PARTY.items() if owner == name))


WITH_REQUIREMENTS = sorted(n for n, f in FUNCTIONS.items() if (ROOT / f.folder / REQUIREMENTS).exists())


@pytest.mark.parametrize("name", WITH_REQUIREMENTS)
def test_installed_requirements_are_the_pinned_releases(name: str) -> None:
    """.lambda-deps/<name>/ holds exactly the pins of functions/<name>/requirements.txt."""
    pins = read_pins(ROOT / FUNCTIONS[name].folder / REQUIREMENTS)
    installed = {p.name for p in (LAMBDA_DEPS / name).glob("*.dist-info")}
    assert installed == {dist_info_name(n, v) for n, v in pins.items()}, "run `make runtime`"
