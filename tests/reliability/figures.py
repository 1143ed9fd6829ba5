"""Figures the reliability suites measure, printed at the end of the run (and saved on request).

``SNIP_RELIABILITY_FIGURES=path.json`` writes them as JSON too; docs/reliability.md quotes a run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FIGURES: dict[str, dict[str, Any]] = {}


def record(name: str, **values: Any) -> None:
    FIGURES[name] = values


def render() -> list[str]:
    lines = []
    for name, values in FIGURES.items():
        shown = ", ".join(f"{key}={value}" for key, value in values.items())
        lines.append(f"{name}: {shown}")
    return lines


def save() -> None:
    target = os.environ.get("SNIP_RELIABILITY_FIGURES")
    if target and FIGURES:
        Path(target).write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
