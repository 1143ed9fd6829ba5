"""What an API key may do: the scopes, and the one rule that says which scope a route needs.

The rule is the home of "route -> scope": shorten's middleware checks it on every request, and
``snip_deploy.routes.Route.scope`` reads it, so the CDK API, the local gateway and the OpenAPI
parity test see the same answer. It goes by method because the contract does: every GET under
``/links`` reads, every other method there (POST, PATCH, DELETE, the batch) writes.
"""

from __future__ import annotations

from collections.abc import Iterable

READ = "links.read"
WRITE = "links.write"
ALL = (READ, WRITE)
PROTECTED_PREFIX = "/links"  # routes under it need an API key; the others are public
_READ_METHODS = frozenset({"GET", "HEAD"})


def required_scope(method: str, resource: str) -> str | None:
    """The scope a route needs, or None for a public route (redirects, /health, /openapi.json)."""
    if resource != PROTECTED_PREFIX and not resource.startswith(PROTECTED_PREFIX + "/"):
        return None
    return READ if method.upper() in _READ_METHODS else WRITE


def allows(held: Iterable[str], needed: str) -> bool:
    """Whether scopes ``held`` grant ``needed``: write implies read."""
    granted = set(held)
    return needed in granted or (needed == READ and WRITE in granted)


def parse(text: str) -> tuple[str, ...]:
    """``"links.read"`` or ``"links.read,links.write"`` -> the scopes, in ``ALL``'s order."""
    wanted = {part.strip() for part in text.split(",") if part.strip()}
    unknown = wanted - set(ALL)
    if unknown or not wanted:
        raise ValueError(
            f"unknown scope {', '.join(sorted(unknown)) or '(none)'}; scopes are {', '.join(ALL)}"
        )
    return tuple(scope for scope in ALL if scope in wanted)
