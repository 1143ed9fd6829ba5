"""Raw visit events the owner keeps: one JSON Lines object per batch and day.

Deployed, objects go to the stack's S3 bucket under ``events/dt=YYYY-MM-DD/<name>.jsonl.gz``
(a Glue table with partition projection on ``dt`` lets Athena query them, docs/deploy.md);
locally, plain ``.jsonl`` files go under the folder the banner prints (docs/local.md).

The write is at least once: a batch delivered again writes the same object name (a digest of
its events' ids), so it replaces its first copy. A batch split differently on a retry (Lambda's
bisection) may leave an event in two objects: each line carries the event's ``id`` (the request
id, nothing personal) so a query can count ``DISTINCT id``. No IP address, no raw user agent.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Protocol, cast

from snip.domain.rollups import ClassifiedVisit

PREFIX = "events"


def raw_event(visit: ClassifiedVisit) -> dict[str, str | bool]:
    """One line of the archive (the Glue table's columns, infra/visit_pipeline.py)."""
    event, agent = visit.event, visit.agent
    return {
        "id": event.id,
        "at": event.at,
        "key": event.key,
        "owner": event.owner,
        "bot": event.bot,
        "referrer": event.referrer,
        "country": event.country,
        "device": agent.device,
        "browser": agent.browser,
        "os": agent.os,
        "source": event.source,
        "destination": event.destination,
    }


def by_day(visits: Iterable[ClassifiedVisit]) -> dict[str, tuple[str, bytes]]:
    """``dt`` -> (object name without extension, JSON Lines): one object per day of the batch."""
    days: dict[str, list[ClassifiedVisit]] = {}
    for visit in visits:
        days.setdefault(visit.event.at[:10], []).append(visit)
    objects = {}
    for day, found in days.items():
        found.sort(key=lambda visit: (visit.event.at, visit.event.id))
        digest = hashlib.sha256("\n".join(sorted(v.event.id for v in found)).encode()).hexdigest()[:32]
        lines = "".join(json.dumps(raw_event(visit), separators=(",", ":")) + "\n" for visit in found)
        objects[day] = (f"{PREFIX}/dt={day}/{digest}", lines.encode())
    return objects


class Archive(Protocol):
    def write(self, visits: list[ClassifiedVisit]) -> None: ...


class ObjectPuts(Protocol):
    """What the archive asks of the S3 client."""

    def put_object(
        self, *, Bucket: str, Key: str, Body: bytes, ContentType: str, ContentEncoding: str
    ) -> object: ...


class S3Archive:
    def __init__(self, client: ObjectPuts, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def write(self, visits: list[ClassifiedVisit]) -> None:
        for name, lines in by_day(visits).values():
            self.client.put_object(
                Bucket=self.bucket,
                Key=f"{name}.jsonl.gz",
                Body=gzip.compress(lines, mtime=0),  # mtime 0: the same batch, the same bytes
                ContentType="application/x-ndjson",
                ContentEncoding="gzip",
            )


class FolderArchive:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def write(self, visits: list[ClassifiedVisit]) -> None:
        for name, lines in by_day(visits).values():
            target = self.root / f"{name}.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(lines)
            os.replace(partial, target)  # readers never see half a file


class NoArchive:
    def write(self, visits: list[ClassifiedVisit]) -> None:
        return None


@lru_cache(maxsize=1)
def _s3() -> ObjectPuts:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard"})
    return cast(ObjectPuts, boto3.client("s3", config=config))


def archive(bucket: str | None, folder: str | None) -> Archive:
    """The archive the settings name: S3 when deployed, a folder locally, none in unit tests."""
    if bucket:
        return S3Archive(_s3(), bucket)
    if folder:
        return FolderArchive(folder)
    return NoArchive()
