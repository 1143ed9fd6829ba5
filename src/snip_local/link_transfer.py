"""``snip export`` and ``snip import`` against the links API: pages followed, batches sent, keys kept.

Export: GET /links/export, then each ``Link: <...>; rel="next"`` until there is none, into one file
(a CSV's header once).

Import (rows read by ``snip_local.link_import``): the rows go through POST /links/batch in chunks
of at most 100 (and under the batch's 1 MiB), each chunk with an Idempotency-Key made from its
body, so that a chunk sent again (after a 503, a lost answer, or by a re-run within 24 h) replays
instead of creating twice. Each row asks first for its own key as an alias, then for a key derived
from the row, then for a generated one: a 409 ``alias_taken`` is looked up (GET /links/{key}); if the
owner holds that key for the same url, the row was imported before and nothing is created. So a
re-run, at any time, creates nothing. ``disabled`` (a create cannot set it) is a PATCH afterwards.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from snip.domain import clock
from snip.domain.validation import MAX_BATCH_BODY_BYTES
from snip_local.api_client import UNAVAILABLE, ApiClient, ApiError
from snip_local.link_import import ImportRow

BATCH_ITEMS = 100
BATCH_BYTES = MAX_BATCH_BODY_BYTES - 1024  # room for the envelope
ATTEMPTS = 5  # a chunk the API could not take (503, 429, in progress) is sent this often at most
ITEM_RETRIES = 3  # an item answered 503 is sent again in the next round this often at most
SECOND_POLLS = 5  # requests, over 1.2 s at most, to see the API's clock reach its next second

CREATED, IMPORTED_BEFORE, NEW_KEY, FAILED = "created", "imported before", "new key", "failed"
NEXT_KEY, RETRY = "next key", "retry"  # what becomes of a row that was not settled in a round
UNAVAILABLE_ROW = "the API could not create it for now (503): import the file again"


# -- export -------------------------------------------------------------------------------------
def export_pages(client: ApiClient, export_format: str) -> Iterator[bytes]:
    """Each answer of GET /links/export, following ``rel="next"`` (its query: the cursor)."""
    params: dict[str, Any] = {"format": export_format}
    while True:
        response = client.request("GET", "/links/export", params=params)
        yield response.content
        following = response.links.get("next", {}).get("url")
        if not following:
            return
        params = dict(parse_qsl(urlsplit(following).query))


def write_export(pages: Iterator[bytes], out: IO[bytes], export_format: str) -> int:
    """Write the pages as one file (the CSV header once); the links written."""
    header: bytes | None = None
    links = 0
    for page in pages:
        if export_format == "csv":
            first, _, rest = page.partition(b"\n")
            if header is None:
                header = first
            elif first == header:
                page = rest
            records = csv.reader(io.StringIO(page.decode(), newline=""))
            links += sum(1 for record in records if record) - (1 if page.startswith(header) else 0)
        else:
            links += sum(1 for line in page.splitlines() if line.strip())
        if page and not page.endswith(b"\n"):
            page += b"\n"
        out.write(page)
    return links


# -- import -------------------------------------------------------------------------------------
@dataclass
class RowResult:
    line: int
    status: str  # CREATED, IMPORTED_BEFORE, NEW_KEY or FAILED
    key: str | None = None
    short_url: str | None = None
    message: str = ""  # a new key's reason, a failure's message

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def idempotency_key(body: dict[str, Any]) -> str:
    """The same chunk, the same key: in this run and the next."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "snip-import-" + hashlib.sha256(canonical.encode()).hexdigest()


def chunks(bodies: list[tuple[int, dict[str, Any]]]) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """At most ``BATCH_ITEMS`` bodies and ``BATCH_BYTES`` of JSON each."""
    chunk: list[tuple[int, dict[str, Any]]] = []
    size = 0
    for entry in bodies:
        length = len(json.dumps(entry[1], ensure_ascii=False).encode()) + 2
        if chunk and (len(chunk) == BATCH_ITEMS or size + length > BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += length
    if chunk:
        yield chunk


class Importer:
    """One import: the rows' state between rounds, and the API calls that move them on."""

    def __init__(self, client: ApiClient, sleep: Callable[[float], None] | None = None) -> None:
        self._client = client
        self._sleep = sleep or time.sleep
        self._started = ""  # the API's time when the import began (RFC 3339), see ``run``

    def run(self, rows: list[ImportRow]) -> list[RowResult]:
        """Each row's result, in the rows' order."""
        self._started = self._next_server_second()
        results: dict[int, RowResult] = {}
        links: dict[int, dict[str, Any]] = {}  # the link each imported row is now
        choice = dict.fromkeys(range(len(rows)), 0)  # which of row.keys_to_try() to ask for next
        retries = dict.fromkeys(range(len(rows)), 0)
        pending = list(range(len(rows)))
        while pending:
            again: list[int] = []
            busy = False  # some item was answered 503: give the API a moment before the next round
            asked = [(i, self._body(rows[i], rows[i].keys_to_try()[choice[i]])) for i in pending]
            for chunk in chunks(asked):
                answers = self._send(chunk)
                for (i, _), answer in zip(chunk, answers, strict=True):
                    alias = rows[i].keys_to_try()[choice[i]]
                    outcome = self._settle(rows[i], alias, answer)
                    if isinstance(outcome, tuple):
                        results[i], links[i] = outcome
                    elif outcome == NEXT_KEY:
                        choice[i] += 1
                        again.append(i)
                    elif outcome == RETRY and retries[i] < ITEM_RETRIES:
                        retries[i] += 1
                        again.append(i)
                        busy = True
                    elif outcome == RETRY:
                        results[i] = RowResult(rows[i].line, FAILED, message=UNAVAILABLE_ROW)
                    else:
                        results[i] = RowResult(rows[i].line, FAILED, message=outcome)
            if busy:
                self._sleep(1.0)
            pending = again
        for i, link in links.items():
            if rows[i].disabled and not link.get("disabled"):
                self._disable(results[i])
        return [results[i] for i in range(len(rows))]

    def _next_server_second(self) -> str:
        """The API's time (its ``Date``) once a new second has begun there, RFC 3339.

        A link made by an earlier import was made before this import's first request, so in an
        earlier second than this one; a link this import makes is made in this second or later
        (``created_at`` has whole seconds). So a create that answers a link made before it is a
        replay of an earlier run's chunk: the row was imported before. The first request also
        tells a key that cannot read the owner's links before any row is sent.
        """
        first = self._client.request("GET", "/links", params={"limit": 1}).headers.get("Date")
        for _ in range(SECOND_POLLS):
            self._sleep(1 / SECOND_POLLS * 1.2)
            now = self._client.request("GET", "/links", params={"limit": 1}).headers.get("Date")
            if now != first:
                return _server_time(now)
        return _server_time(first)  # a Date that does not move: as good as it gets

    @staticmethod
    def _body(row: ImportRow, alias: str | None) -> dict[str, Any]:
        return {**row.body, "alias": alias} if alias else dict(row.body)

    def _send(self, chunk: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
        """The batch's results; a whole-chunk refusal becomes every item's."""
        body = {"links": [entry[1] for entry in chunk]}
        client = dataclasses.replace(self._client, idempotency_key=idempotency_key(body))
        for attempt in range(ATTEMPTS):
            try:
                return list(client.call("POST", "/links/batch", body)["results"])
            except ApiError as refused:
                busy = refused.exit_code == UNAVAILABLE or refused.code == "request_in_progress"
                if busy and attempt + 1 < ATTEMPTS:
                    self._sleep(2.0**attempt)
                    continue
                if refused.status is None or refused.status in (401, 403) or refused.status >= 500:
                    raise  # the API cannot be used at all: no row would fare better
                return [{"status": refused.status, "message": str(refused)}] * len(chunk)
        raise AssertionError("unreachable")  # pragma: no cover

    def _settle(
        self, row: ImportRow, alias: str | None, answer: dict[str, Any]
    ) -> tuple[RowResult, dict[str, Any]] | str:
        """A created or found link with its result; NEXT_KEY; RETRY; or why the row failed."""
        status = answer.get("status")
        error = answer.get("error") or {}
        if status == 201:
            link = answer["link"]
            before = bool(self._started) and link.get("created_at", "") < self._started
            return self._result(row, link, IMPORTED_BEFORE if before else None), link
        if status == 409 and error.get("code") == "alias_taken" and alias is not None:
            try:
                held = self._client.call("GET", f"/links/{alias}")
            except ApiError as missing:
                if missing.exit_code == UNAVAILABLE:
                    return RETRY
                if missing.status != 404:
                    raise
                return NEXT_KEY  # another owner's key
            if held.get("url") == row.body["url"]:
                return self._result(row, held, IMPORTED_BEFORE), held
            return NEXT_KEY  # the owner's, for another url
        if status == 503:
            return RETRY
        return str(error.get("message") or answer.get("message") or f"status {status}") + (
            f" ({status} {error['code']})" if error.get("code") else ""
        )

    def _result(self, row: ImportRow, link: dict[str, Any], status: str | None) -> RowResult:
        key = link["key"]
        reasons = []
        if key != row.source_key and row.source_key:
            problem = row.key_problem
            reasons.append(
                f"new key for {row.source_key!r}: "
                + (problem or "that key is taken (by another link or owner)")
            )
        reasons += row.changes
        if row.disabled:
            reasons.append("disabled")
        if status is None:
            status = NEW_KEY if key != row.source_key and row.source_key else CREATED
        return RowResult(row.line, status, key, link.get("short_url"), "; ".join(reasons))

    def _disable(self, result: RowResult) -> None:
        try:
            self._client.call("PATCH", f"/links/{result.key}", {"disabled": True})
        except ApiError as refused:  # the link is there, enabled: importing again disables it
            result.status = FAILED
            result.message += f"; imported as {result.key} but not disabled: {refused}"


def _server_time(date_header: str | None) -> str:
    """The API's clock (its Date header), else ours."""
    try:
        return clock.format_ts(parsedate_to_datetime(date_header)) if date_header else clock.now_ts()
    except (TypeError, ValueError):
        return clock.now_ts()
