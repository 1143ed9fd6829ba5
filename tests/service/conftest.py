"""Handlers under test: imported from their deployable folders, DynamoDB on moto."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from snip.execution import environment
from snip.settings import DEFAULT_TABLES, Env
from tests.service.lambda_events import Reply, rest_event, to_reply
from tests.service.moto_tables import EmptyTables, make_empty_tables, tables_on_moto

ROOT = Path(__file__).resolve().parents[2]
for name in ("shorten", "resolve", "keygen", "aggregate"):
    folder = str(ROOT / "functions" / name)
    if folder not in sys.path:
        sys.path.insert(0, folder)

BASE_URL = "https://sho.rt"


class LambdaContext:
    function_name = "snip-test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:snip-test"
    memory_limit_in_mb = 256
    aws_request_id = "test-request"
    log_group_name = "/aws/lambda/snip-test"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def new_instance() -> None:
    """Forget everything built so far, as a new Lambda execution environment would start."""
    import resolve_app  # noqa: F401  # imported as by a test's handler, its collector pause ended below

    environment.reset()
    # Importing resolve_app paused the garbage collector until its first request; this process is
    # the test run, not a cold start (test_deployable checks the pause in a clean interpreter).
    environment.resume_collector()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SNIP_PUBLIC_BASE_URL", BASE_URL)
    for name, table in DEFAULT_TABLES.items():
        monkeypatch.setenv(name, table)
    new_instance()
    yield
    new_instance()


@pytest.fixture(scope="session")
def empty_tables() -> EmptyTables:
    return make_empty_tables()


@pytest.fixture
def dynamodb(settings_env: None, empty_tables: EmptyTables) -> Iterator[Any]:
    """Every table, empty, on a moto of the test's own (tests/service/moto_tables.py)."""
    with tables_on_moto(empty_tables) as client:
        yield client


@pytest.fixture
def handlers(dynamodb: Any) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
    import keygen_app
    import resolve_app
    import shorten_app

    return {
        "shorten": shorten_app.handler,
        "resolve": resolve_app.handler,
        "keygen": keygen_app.handler,
    }


Call = Callable[..., Reply]


@pytest.fixture
def call(handlers: dict[str, Any]) -> Call:
    """call("POST", "/links", body={...}) → the Reply, through the function API Gateway picks."""

    def _call(method: str, path: str, **kwargs: Any) -> Reply:
        function, event = rest_event(method, path, **kwargs)
        return to_reply(handlers[function](event, LambdaContext()))

    return _call


@pytest.fixture
def filled_pool(handlers: dict[str, Any]) -> None:
    handlers["keygen"]({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())


def create_link(call: Call, owner: str = "owner-a", **body: Any) -> dict[str, Any]:
    """A new link of ``owner`` (to https://example.com/ unless ``body`` says otherwise), as created."""
    reply = call("POST", "/links", body={"url": "https://example.com/", **body}, api_key_id=owner)
    assert reply.status == 201, reply.body
    return dict(reply.json)


def scan(client: Any, table: str) -> list[dict[str, Any]]:
    return client.scan(TableName=table)["Items"]


@pytest.fixture
def requests_made(dynamodb: Any) -> list[str]:
    """The DynamoDB operations the code under test sends, in order (counted at the SDK), but for
    the API-key registry's: each environment reads it once per key and minute, not per request."""
    import resolve_app

    from snip.data import clients

    made: list[str] = []
    registry = DEFAULT_TABLES[Env.API_KEYS_TABLE]  # the caller's key lookup (tests/service/test_owners.py)
    resolve_app.redirect_tables()  # resolve's client is aws.dynamodb() too

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") != registry:
            made.append(model.name)

    clients.dynamodb().meta.events.register("before-parameter-build.dynamodb", record)
    return made


class ResolveClock:
    """resolve's monotonic clock, moved by hand: what it remembers of a link expires on ``advance``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def resolve_clock(handlers: dict[str, Any]) -> ResolveClock:
    import resolve_app

    clock = ResolveClock()
    resolve_app.redirect_tables().memory.monotonic = clock
    return clock
