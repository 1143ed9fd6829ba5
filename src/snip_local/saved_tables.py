"""The local stack's tables kept across restarts: ``<SNIP_EVENTS_DIR>/tables.json`` (``.snip/tables.json``).

moto keeps DynamoDB in memory and has no supported way to save it (its recorder replays requests,
which would run conditions and clocks again), so the stack saves the tables itself: every item of
every table (links and their tombstones, the key pool, idempotency records, API keys, visit events,
rollups), in DynamoDB's typed JSON, and the visits stream's records the aggregator has not been
handed yet, with their sequence numbers. A save is taken under the endpoint's lock (one instant of
all tables, between two requests), written to a temporary file and renamed over the last one, so
the file is always a whole save: every ``interval`` seconds when something was written since the
last save, and once more when the stack stops (Ctrl-C, SIGTERM). A ``kill -9`` loses what was
written after the last save, about one interval. Reading the tables holds the lock (DynamoDB
waits) for about 13 ms per 1,000 items, so saves of large tables are spaced further apart: at
least ``LOCK_SHARE_INVERSE`` times that reading's time, so that saving never holds DynamoDB more
than a tenth of the time.

The stream is what makes a restart count every visit once. The aggregator counts exactly once by a
watermark per link, stream shard and hour (``snip.data.rollups_table``): a record whose sequence
number is at or below its hour's watermark is taken as counted. moto's stream has one shard with a
fixed id and numbers its records from a fixed start, so a fresh moto would number new visits with
numbers already counted (and drop them), and replaying old events as new writes would count them
again. So the shard is restored as it was: its records after the poller's position (what the
aggregator may not have counted yet) with their own numbers, and new records numbered after them.
After a restart the poller starts from the first saved record: one counted already (a save's
position is read before its tables) cancels on its watermark, one not counted yet is counted once.
Items are put back without stream records of their own.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from snip_local.local_config import ACCOUNT_ID, REGION

log = logging.getLogger("snip_local")

FILE_NAME = "tables.json"
LOCK_SHARE_INVERSE = 10  # a save's reading of the tables holds the lock at most 1/10 of the time
FORMAT = 1
CREATED = "ApproximateCreationDateTime"  # a datetime in moto's stream records
# What FRESH=1 removes besides the tables: the raw visit events and the failed batches (stream_poller).
FRESH_REMOVES = ("events", "failed-visit-batches.jsonl")

# The stream position: table name -> sequence number of the last record the aggregator was handed
# (None: none yet in this run).
Positions = Callable[[], dict[str, int | None]]


class SavedStateError(Exception):
    """The saved file cannot be read: the stack refuses to start rather than overwrite it."""


class _SavedRecord:
    """A stream record put back into moto's shard: moto only ever asks it for ``to_json()``."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record

    def to_json(self) -> dict[str, Any]:
        return self.record


def _items(table: Any) -> Iterator[Any]:
    for value in table.items.values():
        if table.range_key_attr is not None:
            yield from value.values()
        else:
            yield value


def _record_out(record: dict[str, Any]) -> dict[str, Any]:
    stream = dict(record["dynamodb"])
    if isinstance(stream.get(CREATED), datetime):
        stream[CREATED] = stream[CREATED].isoformat()
    return {**record, "dynamodb": stream}


def _record_in(record: dict[str, Any]) -> _SavedRecord:
    stream = dict(record["dynamodb"])
    if isinstance(stream.get(CREATED), str):
        stream[CREATED] = datetime.fromisoformat(stream[CREATED])
    return _SavedRecord({**record, "dynamodb": stream})


@dataclass(frozen=True)
class Restored:
    items: dict[str, int]  # table name -> items put back
    pending: int  # stream records the aggregator is handed again (not counted yet, or cancelled)
    saved_at: str


class TableKeeper:
    """Saves the in-process moto's tables to ``path`` and puts them back at start."""

    def __init__(
        self,
        path: Path,
        lock: threading.Lock,
        writes: Callable[[], int],
        positions: Positions = dict,
        interval: float = 1.0,
    ) -> None:
        self.path = path
        self.lock = lock  # the endpoint's: a save sees all tables between two requests
        self.writes = writes  # the endpoint's count of DynamoDB requests that may have written
        self.positions = positions
        self.interval = interval
        self._saved: tuple[int, dict[str, int | None]] | None = None
        self._saving = threading.Lock()  # the timer's save and the last one never write at once
        self.locked_seconds = 0.0  # how long the last save held the lock (read by the timer)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="table-keeper", daemon=True)

    @staticmethod
    def _backend() -> Any:
        return dynamodb_backends[ACCOUNT_ID][REGION]

    def restore(self) -> Restored | None:
        """Put the saved items and stream records into the (new, empty) tables; None: nothing saved."""
        try:
            saved = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SavedStateError(f"{self.path} cannot be read ({exc})") from exc
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            raise SavedStateError(f"{self.path} is not a saved state of this version (format {FORMAT})")
        counts: dict[str, int] = {}
        pending = 0
        with self.lock:
            tables = self._backend().tables
            for name, items in saved["tables"].items():
                table = tables.get(name)
                if table is None:
                    log.warning("saved table %s is not a table of this stack: left out", name)
                    continue
                for attrs in items:
                    hash_key = DynamoType(attrs[table.hash_key_attr])
                    if table.range_key_attr is None:
                        table.items[hash_key] = Item(hash_key, None, attrs)
                    else:
                        range_key = DynamoType(attrs[table.range_key_attr])
                        table.items[hash_key][range_key] = Item(hash_key, range_key, attrs)
                counts[name] = len(items)
            for name, stream in saved["streams"].items():
                shard = tables[name].stream_shard if name in tables else None
                if shard is None:
                    continue
                shard.starting_sequence_number = int(stream["start"])
                shard.items = [_record_in(record) for record in stream["records"]]
                pending += len(shard.items)
            self._saved = (self.writes(), {})
        return Restored(counts, pending, str(saved.get("saved_at", "")))

    def capture(self) -> tuple[int, dict[str, int | None], dict[str, Any]]:
        """(writes seen, positions, the state) at one instant."""
        positions = self.positions()  # before the tables: what it names was counted by then
        with self.lock:
            began = time.monotonic()
            writes = self.writes()
            tables: dict[str, list[dict[str, Any]]] = {}
            streams: dict[str, dict[str, Any]] = {}
            for name, table in self._backend().tables.items():
                tables[name] = [item.to_json()["Attributes"] for item in _items(table)]
                shard = table.stream_shard
                if shard is None:
                    continue
                first = shard.starting_sequence_number
                handed = positions.get(name)
                skip = 0 if handed is None else max(0, min(handed + 1 - first, len(shard.items)))
                streams[name] = {
                    "start": first + skip,
                    "records": [record.to_json() for record in shard.items[skip:]],
                }
            self.locked_seconds = time.monotonic() - began
        state = {
            "format": FORMAT,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tables": tables,
            "streams": {
                name: {"start": s["start"], "records": [_record_out(r) for r in s["records"]]}
                for name, s in streams.items()
            },
        }
        return writes, positions, state

    def save(self, force: bool = False) -> bool:
        """Write the state if anything changed since the last save (or ``force``); True if written."""
        with self._saving:
            return self._save(force)

    def _save(self, force: bool) -> bool:
        if not force and self._saved is not None:
            with self.lock:
                unchanged = self._saved == (self.writes(), self.positions())
            if unchanged:
                return False
        writes, positions, state = self.capture()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        with partial.open("w") as out:
            json.dump(state, out, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.path)  # atomic: the file is the last whole save, or this one
        self._saved = (writes, positions)
        return True

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(max(self.interval, LOCK_SHARE_INVERSE * self.locked_seconds)):
            try:
                self.save()
            except Exception:  # a full disk must not stop the stack; the next tick tries again
                log.exception("saving the tables to %s failed", self.path)

    def stop(self) -> None:
        """End the timer and save a last time (the caller has stopped what writes)."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.save(force=True)


def claim(folder: Path) -> IO[str]:
    """Hold ``folder`` for this stack while it runs (the lock goes with the process, even on kill -9).

    Two stacks saving to one folder would each restore the same key pool and links and then hand
    out the same keys; the second one to start is refused instead."""
    folder.mkdir(parents=True, exist_ok=True)
    holder = (folder / (FILE_NAME + ".lock")).open("a+")
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder.seek(0)
        other = holder.read().strip() or "?"
        holder.close()
        raise SavedStateError(
            f"another local stack (pid {other}) keeps its tables in {folder}; stop it, or give this one "
            "another folder with SNIP_EVENTS_DIR"
        ) from None
    holder.truncate(0)
    holder.write(f"{os.getpid()}\n")
    holder.flush()
    return holder


def forget(folder: Path) -> list[Path]:
    """FRESH=1: remove the saved tables and the raw events of earlier runs; returns what was removed."""
    removed = []
    for name in (FILE_NAME, *FRESH_REMOVES):
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            continue
        removed.append(target)
    with contextlib.suppress(FileNotFoundError):
        (folder / (FILE_NAME + ".partial")).unlink()
    return removed
