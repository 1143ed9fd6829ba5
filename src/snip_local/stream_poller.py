"""The local event source mapping: the visits table's stream → the aggregator, as Lambda feeds it.

The local counterpart of the CDK stack's ``DynamoEventSource`` (infra/visit_pipeline.py), with
the same settings (``snip_deploy.function_specs.VISIT_STREAM``): it reads the stream moto keeps
for the visits table (DescribeStream, GetShardIterator, GetRecords on the local endpoint), keeps
the INSERT records only (the mapping's filter), and invokes the aggregator through its local
execution environments with batches of up to ``batch_size`` records, in stream order, one batch
at a time (moto keeps one shard; Lambda runs one batch per shard at a time). Each event has the
shape a mapping with a tumbling window gives (``shardId``, ``window``, ``state``); the window's
extra end-of-window invocation is not played (Snip keeps no window state).

Failures are handled as the mapping handles them: a function error splits the batch in two
(bisect on error) and retries; ``batchItemFailures`` resends the batch from its lowest failed
sequence number on; records go to the on-failure file (the local stand-in for the on-failure
queue), logged, once ``retry_attempts`` are spent or, when it is -1 (Lambda's infinite, Snip's
setting), once the oldest is older than ``max_record_age_seconds`` or the stream's retention
(24 h); then the stream moves on. Stopping the poller ends a batch's retries (it starts again
from the stream's beginning: the watermarks make that harmless).

``delivered_through`` is the mapping's position: the sequence number of the last record of the
last batch whose delivery ended (counted, or given up). ``snip_local.saved_tables`` saves the
stream from the record after it, so a restart hands the aggregator what it may not have counted.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from snip_deploy.function_specs import VISIT_STREAM, StreamSource
from snip_local.local_config import REGION
from snip_local.worker_pool import FunctionPool, NoCapacity

log = logging.getLogger("snip_local")

Record = dict[str, Any]
# One invocation: the event in, (error or None, the function's result) out.
Invoke = Callable[[dict[str, Any]], tuple[dict[str, Any] | None, Any]]


STREAM_RETENTION_SECONDS = 24 * 3600  # a DynamoDB stream keeps a record 24 h
# The local batching window: records gathered for up to this long (or until a batch is full)
# make one invocation, as the deployed mapping's window does, shorter (stats within 5 s locally).
# Delivering each poll's few records at once made an aggregator invocation per redirect or two
# under load, every one of them waiting for moto's one lock with the redirects.
LOCAL_BATCHING_WINDOW = 1.0


def _seq(record: Record) -> int:
    return int(record["dynamodb"]["SequenceNumber"])


def _created(record: Record) -> float:
    return float(record["dynamodb"].get("ApproximateCreationDateTime") or time.time())


def lambda_record(record: Record, stream_arn: str) -> Record:
    """A GetRecords record as Lambda's event carries it: with eventSourceARN, times in epoch seconds."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": stream, "eventSourceARN": stream_arn}


def _client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto checks no signature
    )


def window_event(records: list[Record], shard: str, source: StreamSource, now: float) -> dict[str, Any]:
    """The event Lambda sends for ``records`` of ``shard`` by a mapping with a tumbling window."""
    size = source.tumbling_window_seconds
    start = int(now) // size * size

    def stamp(at: int) -> str:
        return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "Records": records,
        "window": {"start": stamp(start), "end": stamp(start + size)},
        "state": {},
        "shardId": shard,
        "eventSourceARN": records[0].get("eventSourceARN", "") if records else "",
        "isFinalInvokeForWindow": False,
        "isWindowTerminatedEarly": False,
    }


class Delivery:
    """Lambda's retry rules for one batch of a stream, around any ``invoke``."""

    def __init__(
        self,
        invoke: Invoke,
        source: StreamSource = VISIT_STREAM,
        backoff: float = 0.05,
        stopped: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.invoke = invoke
        self.source = source
        self.backoff = backoff
        self.stopped = stopped
        self.clock = clock
        self.given_up: list[Record] = []  # the on-failure destination's share

    def _spent(self, failures: int, records: list[Record]) -> bool:
        """Whether the mapping gives up on ``records`` after ``failures`` failed invocations."""
        if self.source.retry_attempts >= 0:
            return failures > self.source.retry_attempts
        max_age = self.source.max_record_age_seconds or STREAM_RETENTION_SECONDS
        return self.clock() - min(_created(record) for record in records) > max_age

    def deliver(self, batch: list[Record], shard: str) -> None:
        queue = [batch]
        failures = 0
        while queue and not self.stopped():
            current = queue.pop(0)
            error, result = self.invoke(window_event(current, shard, self.source, time.time()))
            if error is None:
                failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
                if not failed:
                    continue
                lowest = min(int(seq) for seq in failed)
                retry = [record for record in current if _seq(record) >= lowest]
                if not retry:  # a failure named past the batch's end: nothing to send again
                    continue
            else:
                log.warning("aggregator failed on %d records: %s", len(current), error.get("errorMessage"))
                retry = current
            failures += 1
            if self._spent(failures, retry):
                self._give_up(retry + [r for rest in queue for r in rest])
                return
            time.sleep(min(self.backoff * 2 ** min(failures, 5), 1.0))
            if error is not None and self.source.bisect_on_error and len(retry) > 1:
                middle = len(retry) // 2
                queue[:0] = [retry[:middle], retry[middle:]]
            else:
                queue.insert(0, retry)

    def _give_up(self, records: list[Record]) -> None:
        log.error("aggregator: %d records sent to the on-failure destination", len(records))
        self.given_up += records


class StreamPoller:
    """Reads the visits table's stream and delivers it to the aggregator, until stopped."""

    def __init__(
        self,
        pool: FunctionPool,
        endpoint_url: str,
        table_name: str,
        failed_file: Path | None = None,
        source: StreamSource = VISIT_STREAM,
        idle_wait: float = 0.1,
        window: float = LOCAL_BATCHING_WINDOW,
    ) -> None:
        self.pool = pool
        self.table_name = table_name
        self.source = source
        self.idle_wait = idle_wait
        self.window = window
        self.failed_file = failed_file
        self.delivery = Delivery(self._invoke, source, stopped=self._stopped)
        self._dynamodb: Any = _client("dynamodb", endpoint_url)
        self._streams: Any = _client("dynamodbstreams", endpoint_url)
        self.delivered_through: int | None = None  # None: no batch delivered in this run yet
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="visit-stream", daemon=True)

    def _invoke(self, event: dict[str, Any]) -> tuple[dict[str, Any] | None, Any]:
        try:
            outcome = self.pool.invoke(event, wait=self.pool.spec.timeout)
        except NoCapacity as exc:
            return {"errorType": "TooManyRequestsException", "errorMessage": str(exc)}, None
        return outcome.error, outcome.result

    def _stopped(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)  # a batch in flight ends with the workers (stopped next)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except Exception:  # the endpoint stopping, or a bug: say so, start over from the checkpoint
                if self._stop.is_set():
                    return
                log.exception("visit stream poller failed; starting again")
                self._stop.wait(1.0)

    def _follow(self) -> None:
        arn = self._dynamodb.describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]
        shard = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = self._streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType=self.source.starting_position
        )["ShardIterator"]
        pending: list[Record] = []
        since = 0.0  # when the first pending record was read
        while not self._stop.is_set():
            answer = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            iterator = answer["NextShardIterator"]
            found = [
                lambda_record(record, arn)
                for record in answer.get("Records", [])
                if record.get("eventName") in self.source.event_names
            ]
            if found and not pending:
                since = time.monotonic()
            pending += found
            full = len(pending) >= self.source.batch_size
            if not pending or (not full and time.monotonic() - since < self.window):
                self._stop.wait(self.idle_wait)
                continue
            batch, pending = pending[: self.source.batch_size], pending[self.source.batch_size :]
            before = len(self.delivery.given_up)
            self.delivery.deliver(batch, shard)
            if self.failed_file is not None and len(self.delivery.given_up) > before:
                self._record_failed(self.delivery.given_up[before:])
            if not self._stop.is_set():  # a delivery cut short by the stop is not done
                self.delivered_through = _seq(batch[-1])

    def _record_failed(self, records: list[Record]) -> None:
        assert self.failed_file is not None
        self.failed_file.parent.mkdir(parents=True, exist_ok=True)
        with self.failed_file.open("a") as out:
            for record in records:
                out.write(json.dumps(record, default=str) + "\n")
