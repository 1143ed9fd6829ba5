"""10. An owner's links at scale: a search page (GET /links?q=), the summary (GET /links/summary)
and the export (GET /links/export).

Two measurements and one model:

* **Counted at the SDK, in this process, on moto**: an owner with ``MEASURED_LINKS`` links of
  typical size (the benchmarks' typical target, a title, two tags), among another owner's; a search
  for a term no link holds (the rarest: every entry is read) page by page to the end, and one
  summary. Every request is recorded; read units are computed from the entries each Query reads
  (the index's projected entries, unfiltered, by DynamoDB's item-size rule: ``requests_count``),
  since moto's ConsumedCapacity is fixed whatever the size (and a filter hides what was read).
* **Timed on the local stack** (``snip serve``, moto behind the API Gateway stand-in): the same
  owner's search page, summary and first export answer through HTTP, ``TIMED_ROUNDS`` each.
* **Modelled for ``MODEL_LINKS``**: the same page rule (``SEARCH_SCAN`` entries, four times as many
  each round, at most ``MAX_SEARCH_ROUNDS`` Queries, each stopped by DynamoDB at 1 MB) and the
  summary's reads, applied to the mean entry size measured above. The model is checked against
  the count at ``MEASURED_LINKS`` (same Queries, same units).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.common import TYPICAL_TARGET, dynamodb_client
from bench.requests_count import in_process_environment, item_size, read_units

MEASURED_LINKS = 10_000
VISITS = 3_000  # the measured owner's visits, through the aggregator
VISIT_BATCH = 1_000
LOCAL_VISITS = 200  # through the local stack, over 40 of the owner's links
MODEL_LINKS = 100_000
TIMED_ROUNDS = 7
OWNER = "local"  # the local stack's local-dev-key owner
RARE = "zq-no-such-term"
PAGE = 25
MB = 1024 * 1024
BATCH_WRITE = 25
START = 1_893_456_000  # 2030-01-01T00:00:00Z: the links are made a second apart from then
PORTS = (19240, 19241)  # the local stack's gateway and DynamoDB (this work's range: 19200-19299)


def typical_link(index: int, owner: str = OWNER) -> Any:
    """A link as POST /links makes it (with a title and two tags), ``index`` seconds after 2030."""
    from snip.data.link_items import listed_at
    from snip.domain import clock
    from snip.domain.link import Link

    key = f"b{index:06d}"
    created = clock.format_ts(datetime.fromtimestamp(START + index, UTC))
    return Link(
        key=key,
        url=TYPICAL_TARGET,
        owner=owner,
        created_at=created,
        redirect_status=302,
        tags=("newsletter", "spring"),
        title=f"Spring sale landing page {index}",
        disabled=False,
        create_marker="bench-marker-0123",
        listed_at=listed_at(created, key),
    )


def fill(client: Any, table: str, count: int, owner: str = OWNER, start: int = 0) -> None:
    """``count`` typical links of ``owner`` written straight into the links table."""
    from snip.data.link_items import item_of

    items = [item_of(typical_link(start + i, owner)) for i in range(count)]
    for first in range(0, len(items), BATCH_WRITE):
        chunk = {table: [{"PutRequest": {"Item": item}} for item in items[first : first + BATCH_WRITE]]}
        while chunk:
            chunk = client.batch_write_item(RequestItems=chunk).get("UnprocessedItems") or {}


class QueryMeter:
    """Every request a client sends, and the read units of each Query from the entries it read."""

    def __init__(self, client: Any, peek: Any) -> None:
        self.peek = peek
        self.requests: list[str] = []
        self.units = 0.0
        self.entry_sizes: list[int] = []
        self.index_sizes: dict[str, list[int]] = {}  # index -> the size of each entry read
        self._queries: list[dict[str, Any]] = []
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def reset(self) -> None:
        self.requests.clear()
        self.units = 0.0

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(model.name)
        if model.name in ("Query", "BatchGetItem", "GetItem"):
            self._queries.append(json.loads(params["body"]))

    def _after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name not in ("Query", "BatchGetItem", "GetItem"):
            return
        body = self._queries.pop()
        if model.name == "GetItem":
            self.units += read_units(item_size(parsed.get("Item")), bool(body.get("ConsistentRead")))
            return
        if model.name == "BatchGetItem":  # each key as a GetItem: one not found costs as a small item
            for table, asked in body["RequestItems"].items():
                consistent = bool(asked.get("ConsistentRead"))
                found = parsed.get("Responses", {}).get(table, [])
                self.units += sum(read_units(item_size(item), consistent) for item in found)
                self.units += (len(asked["Keys"]) - len(found)) * read_units(0, consistent)
            return
        # What the Query read: the same Query without its filter and projection, and whether it
        # went on; DynamoDB stops at 1 MB, which the page rule's rounds meet at 100,000 links.
        dropped = ("FilterExpression", "ProjectionExpression", "Select")
        args = {k: v for k, v in body.items() if k not in dropped}
        used = body["KeyConditionExpression"]
        args["ExpressionAttributeNames"] = {
            k: v for k, v in body.get("ExpressionAttributeNames", {}).items() if k in used
        }
        args["ExpressionAttributeValues"] = {
            k: v for k, v in body.get("ExpressionAttributeValues", {}).items() if k in used
        }
        read = self.peek.query(**args).get("Items", [])
        sizes = [item_size(item) for item in read]
        self.entry_sizes += sizes
        self.index_sizes.setdefault(str(body.get("IndexName")), []).extend(sizes)
        self.units += read_units(sum(sizes), False)  # an index is read eventually consistent


def search_model(links: int, entry: float) -> dict[str, Any]:
    """Pages, Queries and read units of a search for a term no link holds, over ``links`` entries
    of ``entry`` bytes, by the page rule of ``snip.data.links_table``."""
    from snip.data.links_table import MAX_SEARCH_ROUNDS, SEARCH_SCAN

    per_mb = max(1, int(MB // entry))
    left, pages, queries, units = links, [], 0, 0.0
    while left > 0:
        page_queries, page_units, page_entries = 0, 0.0, 0
        for round_ in range(MAX_SEARCH_ROUNDS):
            read = min(SEARCH_SCAN * 4**round_, per_mb, left)
            left -= read
            page_queries += 1
            page_entries += read
            page_units += read_units(math.ceil(read * entry), False)
            if left <= 0:
                break
        pages.append({"queries": page_queries, "entries": page_entries, "read_units": page_units})
        queries += page_queries
        units += page_units
    # Each page also reads its links and their counters (none match here: two empty reads at most).
    return {
        "links": links,
        "entry_bytes": entry,
        "entries_per_mb_query": per_mb,
        "pages": len(pages),
        "first_page": pages[0],
        "queries": queries,
        "read_units": units,
    }


def reading_model(links: int, entry: float, counters_item: int) -> dict[str, Any]:
    """Requests and read units of reading every link (the summary before owner totals, and its
    fallback: ``owner_summary.summarize_by_reading``) for ``links`` links."""
    per_mb = max(1, int(MB // entry))
    queries = math.ceil(links / per_mb)
    index_units = sum(
        read_units(math.ceil(min(per_mb, links - i * per_mb) * entry), False) for i in range(queries)
    )
    batches = math.ceil(links / 100)
    counter_units = links * read_units(counters_item, True)
    return {
        "links": links,
        "queries": queries,
        "counters_batch_gets": batches,
        "requests": queries + batches + 1,
        "read_units": index_units + counter_units + 10,  # + the top 10 links, consistent
        "index_read_units": index_units,
        "counters_read_units": counter_units,
    }


def summary_model(
    links: int, count_entry: float, counted: dict[str, Any], counted_links: int
) -> dict[str, Any]:
    """Requests and read units of GET /links/summary from the owner totals for ``links`` links
    created since the cut: the COUNT Queries of ``by_owner`` (entries of ``count_entry`` bytes,
    1 MB each) grow with the links; the rest (the cut, the owner's item, the empty Query of links
    before the cut, the candidates' counters items, the top links) is what was ``counted`` for
    ``counted_links`` less its own COUNT Queries."""

    def counting(n: int) -> tuple[int, float]:
        per_mb = max(1, int(MB // count_entry))
        queries = math.ceil(n / per_mb)
        units = sum(
            read_units(math.ceil(min(per_mb, n - i * per_mb) * count_entry), False) for i in range(queries)
        )
        return queries, units

    measured_queries, measured_units = counting(counted_links)
    queries, units = counting(links)
    fixed_requests = counted["requests"] - measured_queries
    fixed_units = counted["read_units"] - measured_units
    return {
        "links": links,
        "count_queries": queries,
        "count_read_units": units,
        "fixed_requests": fixed_requests,
        "fixed_read_units": fixed_units,
        "requests": queries + fixed_requests,
        "read_units": units + fixed_units,
    }


def _in_process() -> dict[str, Any]:
    """The search and the summary counted at the SDK on moto, in this process."""
    import boto3
    from moto import mock_aws

    from snip.data import clients
    from snip.data.link_items import BY_OWNER_INDEX
    from snip.data.owner_totals import OwnersTable
    from snip.data.rollups_table import rollups_table
    from snip.execution import environment
    from snip.operations import owner_summary
    from snip.settings import DEFAULT_TABLES, Env
    from snip_deploy.tables import create_tables
    from snip_local import moto_queries

    saved = in_process_environment()
    # Index Queries as the local stack answers them: each stopped at 1 MB of index entries, as
    # DynamoDB's are (moto's own weighs whole items), and in seconds rather than minutes.
    moto_queries.install()
    try:
        with mock_aws(), contextlib.redirect_stdout(io.StringIO()):
            environment.reset()
            peek = boto3.client("dynamodb", region_name="us-east-1")
            create_tables(peek, DEFAULT_TABLES)
            table = DEFAULT_TABLES[Env.LINKS_TABLE]
            owners = OwnersTable(clients.dynamodb(), DEFAULT_TABLES[Env.ROLLUPS_TABLE], margin=0)
            owners.cut()  # the aggregator of this version ran: the links below are in its totals
            fill(peek, table, MEASURED_LINKS)
            fill(peek, table, 1000, owner="someone-else", start=MEASURED_LINKS)
            _visit(owners)
            meter = QueryMeter(clients.dynamodb(), peek)
            links = environment.links()
            pages, cursor = [], None
            while True:
                meter.reset()
                page = links.page(OWNER, "https://sho.rt", PAGE, cursor, None, q=RARE)
                pages.append({"requests": len(meter.requests), "read_units": meter.units})
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            entry = statistics.fmean(meter.entry_sizes)  # the search index's entries
            meter.reset()
            meter.index_sizes.clear()
            summary = links.summary(OWNER)
            summary_counted = {
                "requests": len(meter.requests),
                "read_units": meter.units,
                "by_request": dict(Counter(meter.requests)),
            }
            count_entry = statistics.fmean(meter.index_sizes[BY_OWNER_INDEX])
            meter.reset()
            by_reading = owner_summary.summarize_by_reading(links._table, rollups_table().counts, OWNER)
            reading_counted = {"requests": len(meter.requests), "read_units": meter.units}
            # The same figures (of links tied with the 10th, either may name others: no order of
            # ties is promised).
            assert [t["visits"] for t in by_reading["top"]] == [t["visits"] for t in summary["top"]]
            assert {**by_reading, "top": None} == {**summary, "top": None}, (by_reading, summary)
            counters = item_size(
                {"key": {"S": "b000000"}, "bucket": {"S": "link"}, "visits": {"N": "12345"},
                 "bot_visits": {"N": "123"}, "l#redirect": {"S": "2030-01-01T00:00:00Z"},
                 "n#shard-000001": {"S": "0123456789abc"}, "l#shard-000001": {"S": "2030-01-01T00:00:00Z"}}
            )  # fmt: skip
    finally:
        moto_queries.uninstall()
        environment.reset()
        os.environ.clear()
        os.environ.update(saved)
    assert summary["links"] == MEASURED_LINKS, summary
    assert summary["visits"] == VISITS, summary
    return {
        "links": MEASURED_LINKS,
        "visits": VISITS,
        "search_pages": pages,
        "summary": summary_counted,
        "summary_by_reading": reading_counted,
        "entry_bytes": entry,
        "count_entry_bytes": count_entry,
        "counters_item_bytes": counters,
    }


def _visit(owners: Any) -> None:
    """``VISITS`` visits of the owner's links (by a Zipf-like rank: link i gets about 1/(i+1) of
    them) through the aggregator, in batches of ``VISIT_BATCH`` from one shard: the owner's item,
    its candidates and floor as a busy owner's are."""
    from snip.data.rollups_table import rollups_table
    from snip.data.visit_archive import NoArchive
    from snip.domain.rollups import UserAgentClass
    from snip.domain.visit_events import VisitEvent
    from snip.operations.visit_counting import aggregate

    agent = UserAgentClass("desktop", "Chrome", "Windows")

    weights = [1 / (rank + 1) for rank in range(MEASURED_LINKS)]
    picks = random.Random(7).choices(range(MEASURED_LINKS), weights=weights, k=VISITS)
    records = []
    for n, index in enumerate(picks):
        link = typical_link(index)
        event = VisitEvent(
            id=f"bench-{n}", at="2030-02-01T12:00:00.000Z", key=link.key, owner=OWNER, bot=False,
            referrer="(direct)", country="DE", user_agent="Mozilla/5.0", source="link",
            expires=1_900_000_000, created=link.created_at or "",
        )  # fmt: skip
        records.append(
            {
                "eventName": "INSERT",
                "dynamodb": {"SequenceNumber": str(10**20 + n), "NewImage": event.to_item()},
            }
        )
    for first in range(0, len(records), VISIT_BATCH):
        batch = records[first : first + VISIT_BATCH]
        outcome = aggregate(batch, "shardId-bench", lambda _: agent, rollups_table(), NoArchive(), 8, owners)
        assert not outcome.failed, outcome


def _timed(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """``TIMED_ROUNDS`` GETs of ``url``: their times, and every status (a function that runs past
    its 10 s answers 502 through the gateway: counted, not hidden)."""
    seconds, statuses, size = [], [], 0
    for _ in range(TIMED_ROUNDS):
        began = time.perf_counter()
        reply = requests.get(url, headers=headers, timeout=60)
        seconds.append(time.perf_counter() - began)
        statuses.append(reply.status_code)
        size = max(size, len(reply.content) if reply.ok else 0)
    return {
        "p50_s": statistics.median(seconds),
        "max_s": max(seconds),
        "n": len(seconds),
        "bytes": size,
        "statuses": statuses,
    }


def _local_stack() -> dict[str, Any]:
    """The search page, the summary and the first export answer through the local stack."""
    from bench.concurrency import STACK_ENV
    from snip.settings import DEFAULT_TABLES, Env
    from tests.e2e.stacks import launch, stop

    with tempfile.TemporaryDirectory() as tmp:
        port, aws_port = PORTS
        stack = launch(Path(tmp), "owners", **STACK_ENV, PORT=str(port), SNIP_DYNAMODB_PORT=str(aws_port))
        stack = replace(stack, base_url=f"http://127.0.0.1:{port}", aws_url=f"http://127.0.0.1:{aws_port}")
        try:
            client = dynamodb_client(stack.aws_url)
            table = DEFAULT_TABLES[Env.LINKS_TABLE]
            headers = stack.headers()
            base = stack.base_url
            _record_cut(stack, client)  # as on a stack whose aggregator ran: the links below are in totals
            fill(client, table, MEASURED_LINKS)
            for index in range(LOCAL_VISITS):  # visits the pipeline counts: the owner's candidates
                reply = requests.get(
                    f"{base}/{typical_link(index % 40).key}", allow_redirects=False, timeout=30
                )
                assert reply.status_code == 302, reply.status_code
            time.sleep(8)  # the local pipeline counts within about 5 s; the listing follows in 1 s
            result = {
                "search_page": _timed(f"{base}/links?q={RARE}&limit={PAGE}", headers),
                "summary": _timed(f"{base}/links/summary", headers),
                "export_csv": _timed(f"{base}/links/export", headers),
            }
        finally:
            stop(stack)
    return result


def _record_cut(stack: Any, client: Any) -> None:
    """One link visited through the stack, then wait until its aggregator recorded the owner
    totals' cut (SNIP_OWNER_CUT_MARGIN is 0 locally)."""
    from snip.data.owner_totals import CUT_BUCKET, CUT_KEY
    from snip.settings import DEFAULT_TABLES, Env

    made = requests.post(
        f"{stack.base_url}/links", json={"url": TYPICAL_TARGET}, headers=stack.headers(), timeout=30
    )
    assert made.status_code == 201, made.text
    requests.get(f"{stack.base_url}/{made.json()['key']}", allow_redirects=False, timeout=30)
    deadline = time.monotonic() + 30
    key = {"key": {"S": CUT_KEY}, "bucket": {"S": CUT_BUCKET}}
    while not client.get_item(TableName=DEFAULT_TABLES[Env.ROLLUPS_TABLE], Key=key).get("Item"):
        assert time.monotonic() < deadline, "the local aggregator recorded no cut"
        time.sleep(0.5)


def run() -> dict[str, Any]:
    counted = _in_process()
    model_here = search_model(MEASURED_LINKS, counted["entry_bytes"])
    return {
        "counted": counted,
        "model_check": model_here,
        "search_model": search_model(MODEL_LINKS, counted["entry_bytes"]),
        "summary_model": summary_model(
            MODEL_LINKS, counted["count_entry_bytes"], counted["summary"], MEASURED_LINKS
        ),
        "reading_model": reading_model(MODEL_LINKS, counted["entry_bytes"], counted["counters_item_bytes"]),
        "local_stack": _local_stack(),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
