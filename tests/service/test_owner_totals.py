"""An owner's totals kept by the pipeline (snip.data.owner_totals), on moto: GET /links/summary
read from them says exactly what reading every link says, however the stream delivers.

Links are created, visited, disabled and deleted through the handlers; the visits table's items
reach the aggregator as Lambda's event source mapping would deliver them: in order per shard, two
shards, in batches, again from a failed record, and (here) again whole.
"""

from __future__ import annotations

import random
import time
import zlib
from typing import Any

import pytest

from snip.data import clients
from snip.data.owner_totals import CANDIDATES_MAX, TOTALS_BUCKET, OwnersTable, owner_key
from snip.data.rollups_table import RollupsTable
from snip.data.visit_archive import NoArchive
from snip.domain.errors import LinkGone
from snip.operations import owner_summary
from snip.operations.visit_counting import BatchOutcome, aggregate
from snip.settings import DEFAULT_TABLES, Env
from snip_local import moto_queries, moto_transactions
from tests.service.conftest import Call, scan
from tests.service.conftest import create_link as create_link_body
from tests.service.sdk_faults import SDK_ATTEMPTS, LostAnswers
from tests.visits import SLACKBOT
from visit_classes import classify  # functions/aggregate: on the path by tests/service/conftest.py

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
VISITS = DEFAULT_TABLES[Env.VISITS_TABLE]
ROLLUPS = DEFAULT_TABLES[Env.ROLLUPS_TABLE]
SHARDS = ("shardId-000000000001", "shardId-000000000002")

pytestmark = pytest.mark.usefixtures("filled_pool")


class Stream:
    """The visits table's stream: each new item once, on the shard its id hashes to, in the
    order it was found; ``deliver`` hands a shard's next records to the aggregator."""

    def __init__(self, dynamodb: Any, owners: OwnersTable) -> None:
        self.dynamodb = dynamodb
        self.owners = owners
        self.rollups = RollupsTable(owners.client, ROLLUPS)
        self.seen: set[str] = set()
        self.records: dict[str, list[dict[str, Any]]] = {shard: [] for shard in SHARDS}
        self.next: dict[str, int] = dict.fromkeys(SHARDS, 0)  # the first record not yet done
        self.sequence = 0

    def poll(self) -> None:
        for item in sorted(scan(self.dynamodb, VISITS), key=lambda item: item["id"]["S"]):
            if item["id"]["S"] in self.seen:
                continue
            self.seen.add(item["id"]["S"])
            self.sequence += 1
            shard = SHARDS[zlib.crc32(item["id"]["S"].encode()) % len(SHARDS)]
            self.records[shard].append(
                {
                    "eventName": "INSERT",
                    "dynamodb": {
                        "SequenceNumber": str(10**20 + self.sequence),
                        "ApproximateCreationDateTime": 1_900_000_000,
                        "NewImage": item,
                    },
                }
            )

    def deliver(self, shard: str, size: int = 7, *, again_from: int | None = None) -> BatchOutcome:
        """The shard's next batch (or, ``again_from``, a batch from that record: a redelivery);
        moves on as Lambda does: past the batch, or to its first failed record."""
        start = self.next[shard] if again_from is None else again_from
        batch = self.records[shard][start : start + size]
        outcome = aggregate(batch, shard, classify, self.rollups, NoArchive(), owners=self.owners)
        if again_from is None:
            sequences = [record["dynamodb"]["SequenceNumber"] for record in batch]
            failed = [sequences.index(seq) for seq in outcome.failed if seq in sequences]
            self.next[shard] = start + (min(failed) if failed else len(batch))
        return outcome

    def drain(self, size: int = 7, rounds: int = 100) -> None:
        self.poll()
        for _ in range(rounds):
            busy = [shard for shard in SHARDS if self.next[shard] < len(self.records[shard])]
            if not busy:
                return
            for shard in busy:
                self.deliver(shard, size)
        raise AssertionError("the stream did not drain")


@pytest.fixture
def owners(dynamodb: Any) -> OwnersTable:
    moto_transactions.install()
    table = OwnersTable(clients.dynamodb(), ROLLUPS, margin=0)  # the functions' client and retries
    table.cut()  # the first aggregator of this version ran: links created from now on count
    yield table
    moto_transactions.uninstall()


@pytest.fixture
def stream(dynamodb: Any, owners: OwnersTable) -> Stream:
    return Stream(dynamodb, owners)


def create(call: Call, owner: str = "owner-a", **body: Any) -> str:
    return str(create_link_body(call, owner, **body)["key"])


def visit(call: Call, key: str, times: int = 1, **headers: str) -> None:
    for _ in range(times):
        assert call("GET", f"/{key}", api_key_id=None, headers=headers or None).status == 302


def summary(call: Call, owner: str = "owner-a") -> dict[str, Any]:
    reply = call("GET", "/links/summary", api_key_id=owner)
    assert reply.status == 200, reply.body
    return dict(reply.json)


def by_reading(owner: str = "owner-a") -> dict[str, Any]:
    """What reading every link says (the summary before owner totals, and its fallback)."""
    from snip.data.rollups_table import rollups_table
    from snip.execution.environment import links_table

    return owner_summary.summarize_by_reading(links_table(), rollups_table().counts, owner)


def owner_item(dynamodb: Any, owner: str = "owner-a") -> dict[str, Any]:
    found = dynamodb.get_item(
        TableName=ROLLUPS, Key={"key": {"S": owner_key(owner)}, "bucket": {"S": TOTALS_BUCKET}}
    )
    return found.get("Item", {})


def figures(call: Call, monkeypatch: pytest.MonkeyPatch, owner: str = "owner-a") -> dict[str, Any]:
    """The summary from the owner totals, checked against reading every link: the same figures,
    the same top 10 but for which of the links tied with the 10th are named (no order of ties is
    promised; reading every link names the newest)."""
    expected = by_reading(owner)
    with monkeypatch.context() as patch:
        patch.setattr(owner_summary, "summarize_by_reading", _refuse)
        found = summary(call, owner)
    assert {k: v for k, v in found.items() if k != "top"} == {k: v for k, v in expected.items() if k != "top"}
    assert [entry["visits"] for entry in found["top"]] == [entry["visits"] for entry in expected["top"]]
    last = expected["top"][-1]["visits"] if expected["top"] else 0
    above = [entry for entry in expected["top"] if entry["visits"] > last]
    assert [entry for entry in found["top"] if entry["visits"] > last] == above
    return found


def _refuse(*_: Any, **__: Any) -> Any:
    raise AssertionError("the summary read every link")


def test_the_summary_is_the_owner_totals(
    call: Call, dynamodb: Any, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [create(call, title=f"t{i}") for i in range(12)]
    for rank, key in enumerate(keys):
        visit(call, key, rank + 1)
    visit(call, keys[0], 2, **{"User-Agent": SLACKBOT})
    other = create(call, owner="owner-b")
    visit(call, other, 3)
    stream.drain()
    found = figures(call, monkeypatch)
    assert (found["links"], found["visits"], found["bot_visits"]) == (12, sum(range(1, 13)), 2)
    assert [entry["key"] for entry in found["top"]] == keys[::-1][:10]
    assert found["top"][0] == {"key": keys[11], "url": "https://example.com/", "title": "t11", "visits": 12}
    assert figures(call, monkeypatch, "owner-b")["visits"] == 3
    item = owner_item(dynamodb)
    assert item["visits"] == {"N": str(sum(range(1, 13)))}


def test_a_batch_delivered_twice_adds_nothing_twice(
    call: Call, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [create(call) for _ in range(4)]
    for key in keys:
        visit(call, key, 5)
    stream.poll()
    for shard in SHARDS:
        while stream.next[shard] < len(stream.records[shard]):
            start = stream.next[shard]
            stream.deliver(shard, size=3)
            stream.deliver(shard, size=3, again_from=start)  # the same batch, whole, again
            stream.deliver(shard, size=5, again_from=max(0, start - 1))  # bisected, overlapping
    assert figures(call, monkeypatch)["visits"] == 20


@pytest.mark.parametrize("lost", [1, SDK_ATTEMPTS], ids=["sdk-retry", "sdk-gave-up"])
def test_an_owner_update_whose_answer_was_lost_counts_once(
    call: Call, dynamodb: Any, stream: Stream, monkeypatch: pytest.MonkeyPatch, lost: int
) -> None:
    key = create(call)
    visit(call, key, 4)
    faults = LostAnswers(stream.owners.client, "UpdateItem", table=owner_key("owner-a"), attempts=lost)
    stream.drain()
    assert len(faults.lost) == lost
    assert figures(call, monkeypatch)["visits"] == 4


def test_an_owner_update_that_fails_is_delivered_again_from_the_owners_first_event(
    call: Call, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = create(call), create(call, owner="owner-b")
    visit(call, mine, 3)
    visit(call, theirs, 3)
    LostAnswers(
        stream.owners.client, "UpdateItem", table=owner_key("owner-a"), attempts=SDK_ATTEMPTS, applied=False
    )
    stream.poll()
    outcomes = [stream.deliver(shard, size=50) for shard in SHARDS]
    assert any(outcome.failed for outcome in outcomes)  # the SDK gave up: the batch comes again
    stream.drain()
    assert figures(call, monkeypatch)["visits"] == 3
    assert figures(call, monkeypatch, "owner-b")["visits"] == 3


def test_a_deleted_link_leaves_the_totals_with_its_visits_in_flight(
    call: Call, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept, gone = create(call), create(call)
    visit(call, kept, 2)
    visit(call, gone, 3)
    stream.drain()
    visit(call, gone, 4)  # in the stream, not counted yet, when the link is deleted
    assert call("DELETE", f"/links/{gone}").status == 204
    stream.drain()
    found = figures(call, monkeypatch)
    assert (found["links"], found["visits"]) == (1, 2)
    assert [entry["key"] for entry in found["top"]] == [kept]


def test_a_link_deleted_before_its_first_count(
    call: Call, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = create(call)
    visit(call, gone, 3)
    assert call("DELETE", f"/links/{gone}").status == 204
    stream.drain()
    assert figures(call, monkeypatch)["visits"] == 0


def test_the_gone_event_and_the_visits_in_any_order(
    call: Call, dynamodb: Any, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GoneEvent taken off before or after the link's last visits are added: the same."""
    for seed in range(4):
        kept, gone = create(call), create(call)
        visit(call, kept, 1)
        visit(call, gone, 2)
        stream.poll()
        order = list(SHARDS)
        random.Random(seed).shuffle(order)
        stream.deliver(order[0], size=50)  # one shard's visits counted, the other's not yet
        assert call("DELETE", f"/links/{gone}").status == 204
        stream.drain()
    found = figures(call, monkeypatch)
    assert (found["links"], found["visits"]) == (4, 4)


def test_a_limited_link_counts_at_the_redirect_and_in_the_totals(
    call: Call, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = create(call, max_visits=3)
    visit(call, limited, 3)
    assert call("GET", f"/{limited}", api_key_id=None).status == 410
    stream.drain()
    assert figures(call, monkeypatch)["visits"] == 3
    assert call("DELETE", f"/links/{limited}").status == 204
    stream.drain()
    assert figures(call, monkeypatch)["visits"] == 0


def test_a_limited_link_deleted_after_the_redirect_read_it_is_not_counted(call: Call, dynamodb: Any) -> None:
    """Deleted between the redirect's read and its count: the frozen counters item refuses the
    count (410), so the deleted link's final counts are final."""
    import resolve_app

    from snip.domain.link import Link

    key = create(call, max_visits=5)
    tables = resolve_app.redirect_tables()
    link = Link(
        key, owner="owner-a", url="https://example.com/", max_visits=5, created_at="2030-01-01T00:00:00Z"
    )
    assert call("DELETE", f"/links/{key}").status == 204
    from tests.visits import visit as visit_event

    with pytest.raises(LinkGone):
        tables.limited.record_visit(link, "2030-01-31T12:00:00Z", visit_event(key, 1, owner="owner-a"))
    assert [item for item in scan(dynamodb, VISITS) if "kind" not in item] == []


def test_links_created_before_the_cut_are_read_one_by_one(
    call: Call, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Index Queries as the local stack answers them, stopped after a few entries (DynamoDB stops
    # at 1 MB): the links before the cut are read over several pages.
    monkeypatch.setattr(moto_queries, "RESULT_SIZE_LIMIT", 300)
    moto_queries.install()
    moto_transactions.install()
    try:
        older = [create(call) for _ in range(5)]
        for n, key in enumerate(older):
            visit(call, key, n + 1)
        time.sleep(1.1)  # created_at has whole seconds: the cut comes after
        owners = OwnersTable(clients.dynamodb(), ROLLUPS, margin=0)
        owners.cut()
        stream = Stream(dynamodb, owners)
        newer = create(call)
        visit(call, newer, 4)
        visit(call, older[0], 5)
        stream.drain()
        found = figures(call, monkeypatch)
        assert (found["links"], found["visits"]) == (6, sum(range(1, 6)) + 4 + 5)
        assert [(entry["key"], entry["visits"]) for entry in found["top"][:2]] == [
            (older[0], 6),
            (older[4], 5),
        ]
        assert owner_item(dynamodb)["visits"] == {"N": "4"}  # the older links' are not in it
    finally:
        moto_transactions.uninstall()
        moto_queries.uninstall()


def test_before_the_first_aggregator_ran_the_summary_reads_every_link(call: Call, dynamodb: Any) -> None:
    key = create(call)
    visit(call, key, 2)
    assert not [item for item in scan(dynamodb, ROLLUPS) if item["key"]["S"].startswith("#owner")]
    assert summary(call) == by_reading() == {"links": 1, "visits": 0, "bot_visits": 0, "top": []}


def test_the_candidates_are_trimmed_and_the_top_10_stays_exact(
    call: Call, dynamodb: Any, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [create(call) for _ in range(CANDIDATES_MAX + 8)]
    visits = {key: 1 + (i * 7) % 23 for i, key in enumerate(keys)}
    for key, n in visits.items():
        visit(call, key, n)
    stream.drain(size=20)
    item = owner_item(dynamodb)
    candidates = [name for name in item if name.startswith("t:")]
    assert len(candidates) <= CANDIDATES_MAX
    assert any(name.startswith("f#") and int(value["N"]) > 0 for name, value in item.items())
    figures(call, monkeypatch)
    # The candidates' own visits move them; others climb past the floor and come in.
    low = sorted(keys, key=lambda key: visits[key])[:3]
    for key in low:
        visit(call, key, 30)
    stream.drain(size=20)
    top = figures(call, monkeypatch)["top"]
    assert {entry["key"] for entry in top[:3]} == set(low)
    # Deleting the top links leaves enough candidates.
    for entry in top[:5]:
        assert call("DELETE", f"/links/{entry['key']}").status == 204
    stream.drain(size=20)
    figures(call, monkeypatch)


def test_a_summary_whose_candidates_are_too_few_reads_every_link(
    call: Call, dynamodb: Any, stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [create(call) for _ in range(CANDIDATES_MAX + 5)]
    visits = {key: 1 + i % 5 for i, key in enumerate(keys)}
    for key, n in visits.items():
        visit(call, key, n)
    stream.drain(size=40)
    # Every link was a candidate once: more than CANDIDATES_MAX, so a trim raised the floor (which
    # links it kept depends on how the two shards' batches fell). All but 5 candidates deleted:
    item = owner_item(dynamodb)
    assert any(name.startswith("f#") and int(value["N"]) > 0 for name, value in item.items())
    candidates = sorted(name[2:] for name in item if name.startswith("t:"))
    for key in candidates[5:]:
        assert call("DELETE", f"/links/{key}").status == 204
    stream.drain(size=40)
    read: list[str] = []
    real = owner_summary.summarize_by_reading

    def reading(*args: Any, **kwargs: Any) -> Any:
        read.append("every link")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner_summary, "summarize_by_reading", reading)
    assert summary(call) == real(*_reading_args())
    assert read  # the candidates left could not show the top 10 for sure


def _reading_args() -> tuple[Any, ...]:
    from snip.data.rollups_table import rollups_table
    from snip.execution.environment import links_table

    return (links_table(), rollups_table().counts, "owner-a")
