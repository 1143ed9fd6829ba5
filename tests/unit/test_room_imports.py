"""Each room of ``snip`` imports only the rooms its docstring allows (``src/snip/*/__init__.py``),
type-checking imports included: HTTP stays at the edges, the domain stays plain Python."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SNIP = Path(__file__).resolve().parents[2] / "src" / "snip"
# Each room, and the rooms of snip it may import (itself and snip.settings always).
MAY_IMPORT = {
    "domain": set(),
    "data": {"domain"},
    "operations": {"domain", "data"},
    "http": {"domain", "operations", "execution"},
    "execution": {"domain", "data", "operations", "http"},
    "links_api": {"domain", "data", "operations", "http", "execution"},
}
# Third-party packages the domain may not import (resolve's cold path and every test import it).
NOT_IN_DOMAIN = ("boto3", "botocore", "pydantic", "aws_lambda_powertools")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_a_room_imports_only_the_rooms_it_may(room: str) -> None:
    allowed = MAY_IMPORT[room] | {room, "settings"}
    found = {
        f"{path.relative_to(SNIP)}: {name}"
        for path in (SNIP / room).rglob("*.py")
        for name in _imports(path)
        if name.startswith("snip.") and name.split(".")[1] not in allowed
    }
    assert sorted(found) == []


def test_the_domain_is_plain_python() -> None:
    found = {
        f"{path.relative_to(SNIP)}: {name}"
        for path in (SNIP / "domain").rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in NOT_IN_DOMAIN
    }
    assert sorted(found) == []
