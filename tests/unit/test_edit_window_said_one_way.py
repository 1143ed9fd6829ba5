"""The edit window, said one way (CONTRACT §2, issue 20.4): a link's edit, disable or delete takes
effect for redirects within 2 seconds (resolve may remember a link that long), never "at once":
in the README, the API reference and the console's own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The console's words, in whichever of its scripts they are.
CONSOLE = "\n".join(path.read_text() for path in sorted((ROOT / "functions/console/static").glob("*.js")))
API = (ROOT / "docs/api.md").read_text()


@pytest.mark.parametrize(
    "path",
    ["README.md", "docs/api.md", "docs/console.md"]
    + [
        f"functions/console/static/{p.name}" for p in sorted((ROOT / "functions/console/static").glob("*.js"))
    ],
)
def test_no_edit_takes_effect_at_once(path: str) -> None:
    text = (ROOT / path).read_text()
    said = re.findall(r"[^.;\n]*(?:at once|immediately)[^.;\n]*", text)
    assert not [s for s in said if re.search(r"edit|disabl|delet|410|take effect|redirect", s)], said


def test_the_readme_says_within_2_seconds() -> None:
    assert "take effect within 2 seconds" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("message", ["Disabled:", "Enabled:", "will stop working for good", "Saved"])
def test_the_console_says_within_2_seconds(message: str) -> None:
    (line,) = [line for line in CONSOLE.splitlines() if message in line]
    assert "within 2 seconds" in line, line


def section(title: str) -> str:
    return API.split(f"## `{title}`", 1)[1].split("\n## ", 1)[0]


def test_the_api_reference_says_within_2_seconds_and_the_max_visits_bound() -> None:
    patch = section("PATCH /links/{key}")
    assert "within 2 seconds" in patch
    assert "up to `max_visits` more redirects" in patch  # pinned: tests/service/test_max_visits_set_later.py
    assert "within 2 seconds" in section("DELETE /links/{key}")
