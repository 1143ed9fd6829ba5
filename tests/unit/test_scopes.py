"""The route -> scope rule (snip.scopes), as the routes table and the contract read it."""

from __future__ import annotations

import pytest

from snip import scopes
from snip_deploy.routes import ROUTES


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_a_route_needs_a_scope_exactly_when_it_needs_a_key(route: object) -> None:
    assert (route.scope is not None) is route.api_key_required  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "resource", "needed"),
    [
        ("GET", "/links", scopes.READ),
        ("GET", "/links/{key}", scopes.READ),
        ("GET", "/links/{key}/stats", scopes.READ),
        ("GET", "/links/{key}/qr", scopes.READ),
        ("POST", "/links", scopes.WRITE),
        ("POST", "/links/batch", scopes.WRITE),
        ("PATCH", "/links/{key}", scopes.WRITE),
        ("DELETE", "/links/{key}", scopes.WRITE),
        ("GET", "/{key}", None),
        ("HEAD", "/{key}", None),
        ("GET", "/health", None),
        ("GET", "/openapi.json", None),
        ("GET", "/linksx", None),
    ],
)
def test_contract_scopes(method: str, resource: str, needed: str | None) -> None:
    assert scopes.required_scope(method, resource) == needed


def test_write_implies_read() -> None:
    assert scopes.allows([scopes.WRITE], scopes.READ)
    assert scopes.allows([scopes.READ], scopes.READ)
    assert not scopes.allows([scopes.READ], scopes.WRITE)
    assert not scopes.allows([], scopes.READ)


def test_parse() -> None:
    assert scopes.parse("links.write, links.read") == scopes.ALL
    with pytest.raises(ValueError, match="unknown scope"):
        scopes.parse("links.admin")
    with pytest.raises(ValueError):
        scopes.parse("")
