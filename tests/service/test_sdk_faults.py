"""A failing DynamoDB: 503 with Retry-After, never a 500, never a half-written link."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from snip.data import clients
from snip.execution import environment
from snip.settings import DEFAULT_TABLES, Env
from tests.service import sdk_faults
from tests.service.conftest import Call, LambdaContext, scan
from tests.service.lambda_events import rest_event, to_reply
from tests.service.test_links_api import create

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
ALL_FAULTS = [
    sdk_faults.THROTTLED,
    sdk_faults.THROTTLING,
    sdk_faults.SERVER_ERROR,
    sdk_faults.UNAVAILABLE,
    sdk_faults.TRANSACTION_CONFLICT,
    sdk_faults.TIMEOUT,
]


def assert_unavailable(reply: Any) -> None:
    assert reply.status == 503, reply.body
    assert reply.error_code == "service_unavailable"
    assert int(reply.headers["Retry-After"]) >= 1


@pytest.mark.usefixtures("filled_pool")
@pytest.mark.parametrize("fault", ALL_FAULTS, ids=lambda f: f[0])
class TestEveryFault:
    def test_create(self, call: Call, dynamodb: Any, fault: tuple[str, int]) -> None:
        pool_before = scan(dynamodb, KEYS)
        count = sdk_faults.inject(clients.dynamodb(), fault)
        assert_unavailable(call("POST", "/links", body={"url": "https://e.com"}))
        assert count() >= 1
        assert scan(dynamodb, LINKS) == []
        assert scan(dynamodb, KEYS) == pool_before

    def test_create_with_alias(self, call: Call, dynamodb: Any, fault: tuple[str, int]) -> None:
        sdk_faults.inject(clients.dynamodb(), fault)
        reply = call("POST", "/links", body={"url": "https://e.com", "alias": "my-alias"})
        assert_unavailable(reply)
        assert scan(dynamodb, LINKS) == []

    def test_redirect_get_and_head(self, call: Call, fault: tuple[str, int]) -> None:
        key = create(call)["key"]
        sdk_faults.inject(clients.dynamodb(), fault)
        assert_unavailable(call("GET", f"/{key}", api_key_id=None))
        assert_unavailable(call("HEAD", f"/{key}", api_key_id=None))

    def test_link_routes(self, call: Call, fault: tuple[str, int]) -> None:
        key = create(call)["key"]
        sdk_faults.inject(clients.dynamodb(), fault)
        assert_unavailable(call("GET", f"/links/{key}"))
        assert_unavailable(call("PATCH", f"/links/{key}", body={"disabled": True}))
        assert_unavailable(call("DELETE", f"/links/{key}"))

    def test_create_with_idempotency_key(self, call: Call, fault: tuple[str, int]) -> None:
        sdk_faults.inject(clients.dynamodb(), fault)
        reply = call("POST", "/links", body={"url": "https://e.com"}, headers={"Idempotency-Key": "k"})
        assert_unavailable(reply)


def test_keygen_failure_raises_for_the_alarm_and_writes_nothing(
    handlers: dict[str, Any], dynamodb: Any
) -> None:
    from snip.domain.errors import DependencyUnavailable

    sdk_faults.inject(clients.dynamodb(), sdk_faults.THROTTLED, operations=("TransactWriteItems",))
    with pytest.raises(DependencyUnavailable):
        handlers["keygen"]({"source": "aws.events"}, LambdaContext())
    assert scan(dynamodb, KEYS) == []


@pytest.mark.usefixtures("filled_pool")
def test_unexpected_errors_are_logged_with_the_request_id_and_not_leaked(
    handlers: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """shorten logs through Powertools' Logger, resolve through snip.execution.hot_path_telemetry (stdout)."""
    import io

    from snip.links_api.shorten_telemetry import logger

    buffer = io.StringIO()
    sink = logging.StreamHandler(buffer)
    sink.setFormatter(logger.registered_formatter)
    logger.addHandler(sink)

    def explode(*_: Any, **__: Any) -> Any:
        raise ValueError("secret internal detail: table arn:aws:dynamodb:...")

    monkeypatch.setattr(environment.links_table(), "get_link", explode)
    for method, path in [("GET", "/links/Abc1234"), ("GET", "/Abc1234")]:
        capsys.readouterr()
        function, event = rest_event(method, path)
        reply = to_reply(handlers[function](event, LambdaContext()))
        assert reply.status == 500
        assert reply.error_code == "internal_error"
        assert "secret" not in reply.body
        lines = buffer.getvalue() if function == "shorten" else capsys.readouterr().out
        logged = [json.loads(line) for line in lines.splitlines() if line.startswith('{"level"')]
        buffer.truncate(0)
        buffer.seek(0)
        errors = [entry for entry in logged if entry["level"] == "ERROR"]
        assert errors, logged
        assert errors[0]["correlation_id"] == event["requestContext"]["requestId"]
        assert "secret internal detail" in errors[0]["exception"]


def test_logs_are_json_with_the_request_id(
    call: Call, filled_pool: None, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    call("GET", "/Missing1", api_key_id=None)
    # warnings only for failures; a clean request logs nothing at WARNING
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# A write DynamoDB did whose answers were all lost: tests/service/test_lost_answers.py.


@pytest.mark.usefixtures("filled_pool")
def test_an_ambiguous_failure_with_nothing_written_is_503(call: Call, dynamodb: Any) -> None:
    sdk_faults.inject(clients.dynamodb(), sdk_faults.TIMEOUT, operations=("TransactWriteItems", "PutItem"))
    reply = call("POST", "/links", body={"url": "https://e.com"})
    assert_unavailable(reply)
    assert scan(dynamodb, LINKS) == []
