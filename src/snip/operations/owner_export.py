"""GET /links/export: every live link of the owner, newest first, as CSV (RFC 4180) or JSON Lines,
in answers of at most ``MAX_EXPORT_LINKS`` links and ``MAX_EXPORT_BYTES``, each naming the next.

An answer reads the owner's listing index for its keys (a Query or two: the index entries are
small), then the links and their counters in BatchGetItems of 100, ``READERS`` at a time, so that
10,000 links take about a second of DynamoDB, not a hundred round trips in a row; should reading
take longer than ``READ_SECONDS`` (the local stack), the answer holds what was read and names the
next. A row is the
link as GET /links/{key} shows it (``owner_links.view``), so a field the view gains (rules,
split, forward_query) fills its column with no change here.

The size bound is of the body as Lambda carries it: the proxy answer is JSON, in which a quote or
a line break takes two characters and a non-ASCII character up to six, and Lambda refuses an
answer over 6 MB. Each row is measured so encoded; an answer stops before the row that would take
it past 5 MB, leaving room for the headers.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, get_args

from snip.data.links_table import LinksTable
from snip.domain.errors import InvalidInput
from snip.domain.link import Link
from snip.operations.owner_links import make_cursor, read_cursor, view

MAX_EXPORT_LINKS = 10_000
MAX_EXPORT_BYTES = 5 * 1024 * 1024
READERS = 2  # BatchGetItems in flight at once (the local stack serves them one at a time)
BATCH = 100  # keys per BatchGetItem
# An answer stops reading after this long and names the next: 10,000 links take about a second
# of DynamoDB, and minutes of the local stack's moto, whose function times out after 10 s.
READ_SECONDS = 4.0
ExportFormat = Literal["csv", "jsonl"]
FORMATS: tuple[str, ...] = get_args(ExportFormat)
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
# The contract's columns, in its order (tags space-separated; rules and split as JSON).
CSV_COLUMNS = (
    "key", "short_url", "url", "title", "notes", "tags", "created_at", "expires_at", "max_visits",
    "redirect_status", "forward_query", "disabled", "visits", "bot_visits", "rules", "split",
)  # fmt: skip


def check_format(value: str) -> str:
    """``csv`` or ``jsonl``; else 400 invalid_format."""
    if value not in FORMATS:
        raise InvalidInput(f"format: {' or '.join(FORMATS)}.", code="invalid_format")
    return value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_row(shown: Mapping[str, object], *, header: bool = False) -> str:
    """One CSV record (CRLF-terminated, quoted where RFC 4180 needs it) of a link's JSON view, or
    the header record."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
        return out.getvalue()
    tags = shown.get("tags") or []
    special = {
        "tags": " ".join(str(tag) for tag in tags) if isinstance(tags, list) else "",
        "forward_query": _cell(shown.get("forward_query", False)),
        "rules": json.dumps(shown.get("rules") or [], ensure_ascii=False),
        "split": json.dumps(shown.get("split") or [], ensure_ascii=False),
    }
    writer.writerow([special[name] if name in special else _cell(shown.get(name)) for name in CSV_COLUMNS])
    return out.getvalue()


def jsonl_row(shown: Mapping[str, object]) -> str:
    return json.dumps(shown, ensure_ascii=False) + "\n"


def carried_size(text: str) -> int:
    """The characters ``text`` takes inside the JSON answer Lambda carries (quotes excluded)."""
    return len(json.dumps(text)) - 2


def export_page(
    table: LinksTable,
    counted: Callable[[Mapping[str, Link]], dict[str, Link]],
    owner: str,
    base_url: str,
    fmt: str,
    cursor: str | None,
) -> tuple[str, str | None]:
    """One answer of the owner's export: its body, and the cursor of the next (None: the last)."""
    fmt = check_format(fmt)
    after = read_cursor(cursor, owner) if cursor is not None else None
    entries, position = table.owner_page(owner, after, MAX_EXPORT_LINKS, None)
    keys = [key for key, _ in entries]
    chunks = [keys[start : start + BATCH] for start in range(0, len(keys), BATCH)]

    def read(chunk: list[str]) -> dict[str, Link]:
        return counted(table.get_links(chunk))

    found: dict[str, Link] = {}
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=READERS) as readers:
        for first in range(0, len(chunks), READERS):
            for links in readers.map(read, chunks[first : first + READERS]):
                found.update(links)
            read_keys = min(len(keys), (first + READERS) * BATCH)
            if read_keys < len(keys) and time.monotonic() - began > READ_SECONDS:
                # A slow DynamoDB (the local stack's moto): this answer ends here, the next goes on.
                entries, position = entries[:read_keys], entries[read_keys - 1][1]
                break
    parts = [csv_row({}, header=True)] if fmt == "csv" else []
    size = sum(carried_size(part) for part in parts)
    for index, (key, _) in enumerate(entries):
        link = found.get(key)
        if link is None or not link.live_for(owner):
            continue
        row = (csv_row if fmt == "csv" else jsonl_row)(view(link, base_url, detail=True))
        if size + carried_size(row) > MAX_EXPORT_BYTES:
            # The rows so far are the answer; the next goes on after the last of them.
            return "".join(parts), make_cursor(owner, entries[index - 1][1]) if index else None
        parts.append(row)
        size += carried_size(row)
    return "".join(parts), make_cursor(owner, position) if position else None
