"""Facts that must stay in one place: the Powertools release, and one meaning per module name."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from pathlib import Path

from snip_deploy import powertools

REPO = Path(__file__).resolve().parents[2]
# The packages whose modules a reader meets side by side (runtime, deploy-time, local stack, CDK app).
PACKAGES = ("src/snip", "src/snip_deploy", "src/snip_local", "infra")
POWERTOOLS_PIN = re.compile(r"^aws-lambda-powertools(?:\[[^\]]*\])?==(?P<version>[^\s;#]+)")


def powertools_pins(requirements: list[str]) -> list[str]:
    found = [POWERTOOLS_PIN.match(line.strip()) for line in requirements]
    return [match["version"] for match in found if match]


def test_powertools_release_is_the_one_pinned_everywhere() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    runtime = (REPO / "functions/runtime-requirements.txt").read_text().splitlines()
    pins = {
        "pyproject.toml": powertools_pins(pyproject["project"]["dependencies"]),
        "functions/runtime-requirements.txt": powertools_pins(runtime),
    }
    assert pins == {source: [powertools.VERSION] for source in pins}, (
        f"snip_deploy.powertools.VERSION is {powertools.VERSION}; move the pins and the layer together"
    )


def test_the_pin_reader_reads_what_it_must() -> None:
    assert powertools_pins(["aws-lambda-powertools[tracer,parser]==3.23.0", "boto3==1"]) == ["3.23.0"]
    assert powertools_pins(["aws-lambda-powertools==9.9.9  # note"]) == ["9.9.9"]


def test_no_module_name_means_two_things() -> None:
    homes: dict[str, list[str]] = defaultdict(list)
    for package in PACKAGES:
        for module in sorted((REPO / package).glob("*.py")):
            if module.name != "__init__.py":
                homes[module.name].append(f"{package}/{module.name}")
    assert homes, "no modules found: has a package moved?"
    twice = {name: paths for name, paths in homes.items() if len(paths) > 1}
    assert not twice, f"one module name, several meanings: {twice}"
