"""Every route of CONTRACT §2 through the local gateway, and API Gateway's own answers."""

from __future__ import annotations

import requests

from tests.e2e.stacks import Stack


def create(stack: Stack, key_id: str = "local", **fields: object) -> requests.Response:
    body = {"url": "https://example.com/some/page", **fields}
    return requests.post(f"{stack.base_url}/links", json=body, headers=stack.headers(key_id), timeout=30)


def test_health_and_openapi_are_public(stack: Stack) -> None:
    health = requests.get(f"{stack.base_url}/health", timeout=30)
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    openapi = requests.get(f"{stack.base_url}/openapi.json", timeout=30)
    assert openapi.status_code == 200
    assert openapi.json()["openapi"].startswith("3.")


def test_link_lifecycle_through_every_route(stack: Stack) -> None:
    created = create(stack, max_visits=10, redirect_status=307)
    assert created.status_code == 201, created.text
    link = created.json()
    key = link["key"]
    assert created.headers["Location"] == f"/links/{key}"
    assert link["short_url"] == f"{stack.base_url}/{key}"
    assert created.headers["x-amzn-RequestId"]

    head = requests.head(f"{stack.base_url}/{key}", allow_redirects=False, timeout=30)
    assert head.status_code == 307
    assert head.headers["Location"] == "https://example.com/some/page"
    redirect = requests.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=30)
    assert redirect.status_code == 307
    assert "Cache-Control" in redirect.headers

    got = requests.get(f"{stack.base_url}/links/{key}", headers=stack.headers(), timeout=30)
    assert got.status_code == 200
    assert got.json()["visits"] == 1  # the GET counted, the HEAD did not

    patched = requests.patch(
        f"{stack.base_url}/links/{key}",
        json={"url": "https://example.org/"},
        headers=stack.headers(),
        timeout=30,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["url"] == "https://example.org/"

    deleted = requests.delete(f"{stack.base_url}/links/{key}", headers=stack.headers(), timeout=30)
    assert deleted.status_code == 204
    assert requests.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=30).status_code == 410
    assert (
        requests.get(f"{stack.base_url}/links/{key}", headers=stack.headers(), timeout=30).status_code == 404
    )


def test_unknown_key_is_404(stack: Stack) -> None:
    assert requests.get(f"{stack.base_url}/NoSuchKey9", allow_redirects=False, timeout=30).status_code == 404


def test_missing_or_wrong_api_key_is_forbidden(stack: Stack) -> None:
    for headers in ({}, {"x-api-key": "not-a-key"}):
        response = requests.post(
            f"{stack.base_url}/links", json={"url": "https://example.com/"}, headers=headers, timeout=30
        )
        assert response.status_code == 403
        assert response.json() == {"message": "Forbidden"}
        assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"


def test_another_owners_link_looks_missing(stack: Stack) -> None:
    key = create(stack, "local").json()["key"]
    for method in ("GET", "DELETE"):
        response = requests.request(
            method, f"{stack.base_url}/links/{key}", headers=stack.headers("other"), timeout=30
        )
        assert response.status_code == 404


def test_unknown_routes_answer_missing_authentication_token(stack: Stack) -> None:
    """The API's paths (the front door's API patterns); the others are the redirects' own
    (tests/e2e/test_front_door.py)."""
    for method, path in (
        ("POST", "/"),  # GET / is the console
        ("PUT", "/links"),
        ("PUT", "/links/abc"),
        ("GET", "/links/batch"),  # the literal resource wins over {key}, and has no GET
        ("GET", "/links/abc/qr/x"),
        ("POST", "/health"),
        ("GET", "/_/a/b"),
    ):
        response = requests.request(method, f"{stack.base_url}{path}", headers=stack.headers(), timeout=30)
        assert response.status_code == 403, (method, path)
        assert response.json() == {"message": "Missing Authentication Token"}


def test_payload_over_10_mb_is_413(stack: Stack) -> None:
    body = b"x" * (10 * 1024 * 1024 + 1)
    response = requests.post(f"{stack.base_url}/links", data=body, headers=stack.headers(), timeout=60)
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
