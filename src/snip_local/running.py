"""Where a running local stack can be found: a small file per stack, so ``snip`` needs no setting.

``snip serve`` writes ``.snip/local-<port>.json`` (its API URL, its DynamoDB endpoint and its pid) in
the folder it starts in (the repository, for ``make run``) and removes it when it stops; the client
looks for live ones from its own folder upwards (``snip keys`` uses the DynamoDB endpoint). A file
whose process is gone (a stack killed outright) is ignored and removed. Only the URLs are written:
API keys stay in the environment.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

FOLDER = ".snip"


@dataclass(frozen=True)
class RunningStack:
    api_url: str
    pid: int
    path: Path
    dynamodb_url: str | None  # None: a record written before the endpoint was recorded


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def announce(folder: Path, port: int, api_url: str, dynamodb_url: str) -> Path | None:
    """Record this process's stack; returns the file to pass to ``withdraw`` (None: not writable)."""
    state = folder / FOLDER
    path = state / f"local-{port}.json"
    try:
        state.mkdir(exist_ok=True)
        (state / ".gitignore").write_text("*\n")  # never committed, whatever the repository ignores
        path.write_text(
            json.dumps({"api_url": api_url, "dynamodb_url": dynamodb_url, "pid": os.getpid()}) + "\n"
        )
    except OSError:
        return None  # the client then needs PORT or SNIP_API_URL, as it always may
    return path


def withdraw(path: Path | None) -> None:
    """Remove the record, if it is still this process's (another stack may have taken the port since)."""
    if path is None:
        return
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def find(start: Path, port: int | None = None) -> RunningStack | None:
    """The most recently started live stack recorded in ``start`` or a folder above it (the one
    whose API listens on ``port``, if given)."""
    pattern = f"local-{port}.json" if port is not None else "local-*.json"
    for folder in (start, *start.parents):
        live: list[RunningStack] = []
        for path in sorted((folder / FOLDER).glob(pattern), key=_mtime, reverse=True):
            try:
                record = json.loads(path.read_text())
                dynamodb_url = record.get("dynamodb_url")
                stack = RunningStack(
                    str(record["api_url"]),
                    int(record["pid"]),
                    path,
                    str(dynamodb_url) if dynamodb_url else None,
                )
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
            if _alive(stack.pid):
                live.append(stack)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
        if live:
            return live[0]
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
