"""The route -> scope rule (snip.domain.api_scopes), as the routes table and the contract read it."""

from __future__ import annotations

import pytest

from snip.domain import api_scopes
from snip_deploy.routes import ROUTES


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_a_route_needs_a_scope_exactly_when_it_needs_a_key(route: object) -> None:
    assert (route.scope is not None) is route.api_key_required  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "resource", "needed"),
    [
        ("GET", "/links", api_scopes.READ),
        ("GET", "/links/{key}", api_scopes.READ),
        ("GET", "/links/{key}/stats", api_scopes.READ),
        ("GET", "/links/{key}/qr", api_scopes.READ),
        ("POST", "/links", api_scopes.WRITE),
        ("POST", "/links/batch", api_scopes.WRITE),
        ("PATCH", "/links/{key}", api_scopes.WRITE),
        ("DELETE", "/links/{key}", api_scopes.WRITE),
        ("GET", "/{key}", None),
        ("HEAD", "/{key}", None),
        ("GET", "/health", None),
        ("GET", "/openapi.json", None),
        ("GET", "/linksx", None),
    ],
)
def test_contract_scopes(method: str, resource: str, needed: str | None) -> None:
    assert api_scopes.required_scope(method, resource) == needed


def test_write_implies_read() -> None:
    assert api_scopes.allows([api_scopes.WRITE], api_scopes.READ)
    assert api_scopes.allows([api_scopes.READ], api_scopes.READ)
    assert not api_scopes.allows([api_scopes.READ], api_scopes.WRITE)
    assert not api_scopes.allows([], api_scopes.READ)


def test_parse() -> None:
    assert api_scopes.parse("links.write, links.read") == api_scopes.ALL
    with pytest.raises(ValueError, match="unknown scope"):
        api_scopes.parse("links.admin")
    with pytest.raises(ValueError):
        api_scopes.parse("")
