"""6. Footprint: the bytes each function deploys (its folder, the snip symlink followed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.common import BARE, ROOT
from snip_deploy.function_specs import ALL_FUNCTIONS


def asset_bytes(folder: Path) -> tuple[int, int]:
    """(bytes, files) of ``folder`` as the CDK asset bundles it: symlinks followed, no __pycache__."""
    total = files = 0
    for directory, subdirs, names in os.walk(folder, followlinks=True):
        subdirs[:] = [d for d in subdirs if d != "__pycache__"]
        for name in names:
            total += (Path(directory) / name).stat().st_size
            files += 1
    return total, files


def run() -> dict[str, Any]:
    folders = {spec.name: ROOT / spec.folder for spec in ALL_FUNCTIONS}
    folders["bare"] = BARE
    out = {}
    for name, folder in folders.items():
        size, files = asset_bytes(folder)
        out[name] = {"asset_bytes": size, "files": files}
    return out
