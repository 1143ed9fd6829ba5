"""The front door's throttle page (functions/edge_throttle): a Lambda@Edge origin-response handler,
fed CloudFront's origin-response events as the Developer Guide shapes them (lower-case header
names, each a list of ``{"key", "value"}``, the status a string)."""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from snip.domain.validation import REDIRECT_STATUSES
from snip.http.error_bodies import HTML, JSON, error_body, error_page, prefers_html
from snip.http.error_status import STATUS_OF

FOLDER = Path(__file__).resolve().parents[2] / "functions" / "edge_throttle"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# What a Function URL over its reserved concurrency sends (Lambda's JSON and error type header).
LAMBDA_THROTTLE_HEADERS = {
    "content-type": [{"key": "Content-Type", "value": "application/json"}],
    "content-length": [{"key": "Content-Length", "value": "87"}],
    "x-amzn-errortype": [{"key": "x-amzn-ErrorType", "value": "TooManyRequestsException"}],
    "x-amzn-requestid": [{"key": "x-amzn-RequestId", "value": "5f0c7a52-0000-4000-8000-000000000000"}],
    "date": [{"key": "Date", "value": "Mon, 07 Dec 2026 06:00:00 GMT"}],
}


def load_app(folder: Path = FOLDER) -> ModuleType:
    """The handler as Lambda@Edge loads it: its folder on the path, nothing of Snip's runtime."""
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(
            f"edge_throttle_app_{id(folder)}", folder / "edge_throttle_app.py"
        )
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def app() -> ModuleType:
    return load_app()


def origin_response(
    status: int,
    *,
    method: str = "GET",
    accept: str | None = BROWSER,
    headers: dict[str, list[dict[str, str]]] | None = None,
) -> dict[str, Any]:
    request_headers = {"host": [{"key": "Host", "value": "abcdef.lambda-url.eu-west-1.on.aws"}]}
    if accept is not None:
        request_headers["accept"] = [{"key": "Accept", "value": accept}]
    return {
        "Records": [
            {
                "cf": {
                    "config": {
                        "distributionDomainName": "d111111abcdef8.cloudfront.net",
                        "distributionId": "EDFDVBD6EXAMPLE",
                        "eventType": "origin-response",
                        "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
                    },
                    "request": {
                        "clientIp": "203.0.113.178",
                        "headers": request_headers,
                        "method": method,
                        "querystring": "",
                        "uri": "/AbC1234",
                    },
                    "response": {
                        "headers": copy.deepcopy(LAMBDA_THROTTLE_HEADERS if headers is None else headers),
                        "status": str(status),
                        "statusDescription": "Too Many Requests" if status == 429 else "",
                    },
                }
            }
        ]
    }


def header(response: dict[str, Any], name: str) -> str:
    (entry,) = response["headers"][name.lower()]
    assert entry["key"] == name
    value: str = entry["value"]
    return value


def test_lambdas_429_becomes_the_page_for_a_browser(app: ModuleType) -> None:
    response = app.handler(origin_response(429), None)
    assert response["status"] == "429"
    assert response["statusDescription"] == "Too Many Requests"
    assert response["body"] == error_page(429, app.MESSAGE)
    assert "<h1>Too many requests</h1>" in response["body"]
    assert response["bodyEncoding"] == "text"
    assert header(response, "Content-Type") == HTML
    assert header(response, "Retry-After") == "1"
    assert header(response, "Cache-Control") == "no-store"
    # Lambda's length was its own body's; CloudFront measures the page.
    assert "content-length" not in response["headers"]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html;q=0.5, application/json"])
def test_lambdas_429_becomes_the_json_error_for_any_other_client(app: ModuleType, accept: str | None) -> None:
    response = app.handler(origin_response(429, accept=accept), None)
    assert response["status"] == "429"
    assert json.loads(response["body"]) == {"error": {"code": "too_many_requests", "message": app.MESSAGE}}
    assert response["body"] == error_body(app.CODE, app.MESSAGE)
    assert header(response, "Content-Type") == JSON
    assert header(response, "Retry-After") == "1"
    assert header(response, "Cache-Control") == "no-store"


@pytest.mark.parametrize("accept", [BROWSER, "text/*", "application/json;q=0.1, text/html", "*/*", None])
def test_the_choice_is_resolves(app: ModuleType, accept: str | None) -> None:
    response = app.handler(origin_response(429, accept=accept), None)
    assert (header(response, "Content-Type") == HTML) is prefers_html(accept)


def test_a_head_gets_the_headers_and_no_body(app: ModuleType) -> None:
    response = app.handler(origin_response(429, method="HEAD"), None)
    assert response["status"] == "429"
    assert "body" not in response
    assert header(response, "Retry-After") == "1"
    assert header(response, "Content-Type") == HTML


def test_a_429_without_lambdas_headers_is_still_the_platforms(app: ModuleType) -> None:
    # resolve never answers 429 (below): whatever headers come with one, it is not resolve's.
    response = app.handler(origin_response(429, headers={}, accept="application/json"), None)
    assert header(response, "Retry-After") == "1"
    assert json.loads(response["body"])["error"]["code"] == "too_many_requests"


RESOLVES_OWN = {
    302: {
        "location": [{"key": "Location", "value": "https://example.com/"}],
        "cache-control": [{"key": "Cache-Control", "value": "private, no-store"}],
    },
    301: {"location": [{"key": "Location", "value": "https://example.com/"}]},
    404: {"content-type": [{"key": "Content-Type", "value": HTML}]},
    410: {"content-type": [{"key": "Content-Type", "value": JSON}]},
    503: {"retry-after": [{"key": "Retry-After", "value": "1"}]},
    200: {},
}


@pytest.mark.parametrize("status", sorted(RESOLVES_OWN))
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_resolves_own_answers_pass_untouched(app: ModuleType, status: int, method: str) -> None:
    event = origin_response(status, method=method, headers=RESOLVES_OWN[status])
    expected = copy.deepcopy(event["Records"][0]["cf"]["response"])
    assert app.handler(event, None) == expected


def test_resolve_never_answers_429() -> None:
    """The handler's premise: every 429 on the redirect behaviour is the platform's. A domain error
    that mapped to 429 would have its body replaced at the edge: give it another status, or teach
    the edge function to tell the two apart."""
    assert 429 not in STATUS_OF.values()
    assert 429 not in REDIRECT_STATUSES


def imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
    return found


def test_standalone_standard_library_only() -> None:
    """No layer and no runtime package at the edge: the folder is the handler and the one module it
    shares with resolve (a link to snip/http/error_bodies.py, which imports no snip module)."""
    assert sorted(p.name for p in FOLDER.iterdir() if p.name != "__pycache__") == [
        "edge_throttle_app.py",
        "error_bodies.py",
    ]
    shared = FOLDER / "error_bodies.py"
    assert shared.is_symlink()
    assert shared.resolve() == (FOLDER.parents[1] / "src/snip/http/error_bodies.py").resolve()
    allowed = set(sys.stdlib_module_names) | {"__future__", "error_bodies"}
    for module in (FOLDER / "edge_throttle_app.py", shared):
        assert imported(module) <= allowed, module
