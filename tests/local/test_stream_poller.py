"""The local event source mapping's retry rules (snip_local.stream_poller.Delivery), as Lambda's."""

from __future__ import annotations

from typing import Any

from snip_deploy.function_specs import StreamSource
from snip_local.stream_poller import Delivery
from tests.visits import stream_record, visit

RECORDS = [stream_record(visit("k", n), n) for n in range(10)]
SHARD = "shardId-00000001700000000000-0a1b2c3d"


def seq(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


class Function:
    """Answers from a script: per call, an error, a list of failed indexes, or success."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.batches: list[list[int]] = []
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> tuple[dict[str, Any] | None, Any]:
        self.events.append(event)
        batch = [RECORDS.index(r) for r in event["Records"]]
        self.batches.append(batch)
        step = self.script.pop(0) if self.script else None
        if step == "error":
            return {"errorType": "Boom", "errorMessage": "boom"}, None
        if isinstance(step, list):
            return None, {"batchItemFailures": [{"itemIdentifier": seq(RECORDS[i])} for i in step]}
        return None, {"batchItemFailures": []}


def test_a_partial_failure_resends_from_the_lowest_failed_record() -> None:
    function = Function([6, 4])
    Delivery(function, backoff=0).deliver(RECORDS, SHARD)
    assert function.batches == [list(range(10)), list(range(4, 10))]


def test_an_error_bisects_the_batch() -> None:
    function = Function("error", "error")
    Delivery(function, backoff=0).deliver(RECORDS, SHARD)
    assert function.batches == [list(range(10)), list(range(5)), [0, 1], [2, 3, 4], list(range(5, 10))]


def test_after_the_retries_the_records_go_to_the_on_failure_destination() -> None:
    function = Function(*(["error"] * 50))
    delivery = Delivery(function, StreamSource(retry_attempts=2, bisect_on_error=False), backoff=0)
    delivery.deliver(RECORDS[:4], SHARD)
    assert function.batches == [[0, 1, 2, 3]] * 3
    assert delivery.given_up == RECORDS[:4]


CREATED = 1_900_000_000  # tests.visits.stream_record's ApproximateCreationDateTime


def test_snips_mapping_retries_until_the_stream_would_drop_the_records() -> None:
    """VISIT_STREAM retries without a count (-1): a conflict storm or an outage delays the
    counts, it never loses them; only a record the stream has kept 24 h is given up."""
    function = Function(*(["error"] * 40))  # far more failures than any count of retries
    young = Delivery(function, backoff=0, clock=lambda: CREATED + 23 * 3600)
    young.deliver(RECORDS[:1], SHARD)
    assert len(function.batches) == 41
    assert young.given_up == []
    old = Delivery(Function("error"), backoff=0, clock=lambda: CREATED + 24 * 3600 + 1)
    old.deliver(RECORDS[:1], SHARD)
    assert old.given_up == RECORDS[:1]


def test_stopping_ends_the_retries_without_giving_up() -> None:
    function = Function(*(["error"] * 10))
    calls = iter(range(100))
    delivery = Delivery(function, backoff=0, stopped=lambda: next(calls) >= 3, clock=lambda: CREATED)
    delivery.deliver(RECORDS[:1], SHARD)
    assert len(function.batches) == 3
    assert delivery.given_up == []


def test_every_event_has_the_tumbling_windows_shape_with_the_shard() -> None:
    """The aggregator counts by shard (snip.data.rollups_table): Lambda names it only in a tumbling
    window's event, whose answer must carry ``state``."""
    function = Function([6])
    Delivery(function, StreamSource(tumbling_window_seconds=900), backoff=0).deliver(RECORDS, SHARD)
    assert len(function.events) == 2
    for event in function.events:
        assert event["shardId"] == SHARD
        assert event["state"] == {}
        assert event["isFinalInvokeForWindow"] is False
        start, end = event["window"]["start"], event["window"]["end"]
        assert start < end
        assert start.endswith(("00:00Z", "15:00Z", "30:00Z", "45:00Z"))


class _Stream:
    """A stream that yields one new record per GetRecords, then nothing."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = list(records)

    def describe_table(self, **_: Any) -> dict[str, Any]:
        return {"Table": {"LatestStreamArn": "arn:stream"}}

    def describe_stream(self, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": SHARD}]}}

    def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
        return {"ShardIterator": "it"}

    def get_records(self, **_: Any) -> dict[str, Any]:
        return {"NextShardIterator": "it", "Records": [self.records.pop(0)] if self.records else []}


def test_the_local_poller_gathers_a_windows_records_into_one_invocation() -> None:
    """Records read a poll at a time go to the aggregator together once the local batching window
    ends (as the deployed mapping's window does), not an invocation per poll."""
    import threading
    import time

    from snip_local.stream_poller import StreamPoller

    stream = _Stream(RECORDS[:6])
    poller = StreamPoller(None, "http://127.0.0.1:9", "visits", idle_wait=0.01, window=0.5)  # type: ignore[arg-type]
    poller._dynamodb = poller._streams = stream
    batches: list[int] = []
    poller.delivery.deliver = lambda batch, shard: batches.append(len(batch))  # type: ignore[method-assign]
    follow = threading.Thread(target=poller._follow, daemon=True)
    follow.start()
    time.sleep(1.0)
    poller._stop.set()
    follow.join(2)
    assert batches == [6]  # six polls, one invocation
