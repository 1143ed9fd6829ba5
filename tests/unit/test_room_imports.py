"""The runtime package's rooms import only what their docstrings allow (``snip/__init__.py``).

Read from the source, not from ``sys.modules``: an import under ``TYPE_CHECKING`` or inside a
function is still a dependency between rooms, and it is the dependency the rule is about.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SNIP = Path(__file__).resolve().parents[2] / "src" / "snip"
# From the inside out: each room may import the rooms before it (and snip.settings), never after.
ROOMS = ("domain", "data", "operations", "execution", "http", "links_api")
# What the domain may not load: AWS's SDK, Lambda's toolkit, HTTP models.
NOT_IN_DOMAIN = ("boto3", "botocore", "aws_lambda_powertools", "pydantic")


def imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def modules_of(room: str) -> list[Path]:
    return sorted((SNIP / room).rglob("*.py"))


@pytest.mark.parametrize("room", ROOMS)
def test_a_room_imports_only_the_rooms_before_it(room: str) -> None:
    later = {f"snip.{other}" for other in ROOMS[ROOMS.index(room) + 1 :]}
    wrong = [
        f"{path.relative_to(SNIP)} imports {module}"
        for path in modules_of(room)
        for module in imports(path)
        if any(module == name or module.startswith(name + ".") for name in later)
        or module.startswith(("snip_deploy", "snip_local", "infra"))
    ]
    assert wrong == []


def test_the_domain_loads_no_sdk_no_lambda_toolkit_and_no_http_models() -> None:
    wrong = [
        f"{path.relative_to(SNIP)} imports {module}"
        for path in modules_of("domain")
        for module in imports(path)
        if module.split(".")[0] in NOT_IN_DOMAIN
    ]
    assert wrong == []


def test_every_module_of_the_package_is_in_a_room() -> None:
    loose = sorted(p.name for p in SNIP.glob("*.py") if p.name not in {"__init__.py", "settings.py"})
    assert loose == []
    assert sorted(p.name for p in SNIP.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(ROOMS)
