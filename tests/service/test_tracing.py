"""X-Ray traces carry timings and annotations, never a link's target URL (it may hold a token)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aws_lambda_powertools import Tracer

from snip.execution.powertools_wiring import instrument
from tests.service.conftest import LambdaContext
from tests.service.lambda_events import rest_event, to_reply

SECRET_URL = "https://example.com/reset?token=s3cr3t-t0ken"


class Subsegment:
    def __init__(self, recorded: list[Any]) -> None:
        self.recorded = recorded

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.recorded.append((key, value))

    def put_annotation(self, key: str, value: Any) -> None:
        self.recorded.append((key, value))

    def add_exception(self, exception: BaseException, stack: Any = None, remote: bool = False) -> None:
        self.recorded.append(("exception", exception))


class RecordingProvider:
    """Stands in for the X-Ray recorder: keeps everything a trace would be sent."""

    def __init__(self) -> None:
        self.recorded: list[Any] = []

    @contextmanager
    def in_subsegment(self, name: str | None = None, **_: Any) -> Iterator[Subsegment]:
        self.recorded.append(("subsegment", name))
        yield Subsegment(self.recorded)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.recorded.append((key, value))

    def put_annotation(self, key: str, value: Any) -> None:
        self.recorded.append((key, value))

    def patch(self, modules: Any) -> None:
        pass

    def patch_all(self) -> None:
        pass


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> RecordingProvider:
    """Tracing on, as in Lambda, with every Tracer (Powertools shares one config) recording here."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "snip-shorten")
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_TRACER_CAPTURE_RESPONSE", raising=False)
    monkeypatch.setattr(Tracer, "_config", copy.copy(Tracer._default_config))
    recording = RecordingProvider()
    Tracer(provider=recording, auto_patch=False)
    return recording


def test_no_target_url_reaches_a_trace(handlers: dict[str, Any], provider: RecordingProvider) -> None:
    from snip.links_api.event_handler_app import resolve_request
    from snip.links_api.shorten_telemetry import logger, metrics

    traced = instrument(resolve_request, logger, metrics)
    answers = []
    for method, path, body in [("POST", "/links", {"url": SECRET_URL, "alias": "secret-link"}),
                               ("GET", "/links/secret-link", None),
                               ("PATCH", "/links/secret-link", {"url": SECRET_URL + "2"})]:  # fmt: skip
        _, event = rest_event(method, path, body=body)
        answers.append(to_reply(traced(event, LambdaContext())))
    assert [a.status for a in answers] == [201, 200, 200]
    assert all("s3cr3t-t0ken" in a.body for a in answers)  # the answers do carry it
    assert ("subsegment", "## resolve_request") in provider.recorded  # the handler was traced
    assert "s3cr3t-t0ken" not in repr(provider.recorded)
