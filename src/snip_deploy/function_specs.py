"""Snip's Lambda functions: what each one is and how it is sized, in one place.

The CDK stack deploys each function from its spec; the local stack runs it with the same memory,
timeout and reserved concurrency; the alarms take their thresholds from it. Which settings a
function is told is declared with each setting (``snip.settings``), by the function's ``name``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionSpec:
    """One function.

    Memory also buys CPU (and so cold-start time) on Lambda. The first numbers are a judgement;
    the benchmark that revises them is the per-function p50/p99 Duration and Init Duration at
    256/512/1024 MB (make bench against a deployed stack, or AWS Lambda Power Tuning): take the
    smallest size whose p99 does not improve by doubling it.
    """

    name: str  # shorten, resolve, keygen, aggregate, console: the function name's suffix, log service
    folder: str  # deployable folder, relative to the repository root
    handler: str  # Lambda handler string: module.function
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int | None = None
    throttles_tolerated: int = 1  # throttle events per 5 minutes before the alarm fires
    # How long an asynchronous event (schedule, on-demand invoke) may wait for a free environment
    # before it is dropped; None is Lambda's default (6 hours, with retries).
    max_event_age_seconds: int | None = None
    max_retry_attempts: int | None = None  # for asynchronous events that fail; None is Lambda's 2

    @property
    def construct_id(self) -> str:
        return self.name.title()


# On the public hot path: a read of the link (unless its 2-second memory has it) and one
# conditional PutItem of the visit event (one TransactWriteItems for a link with max_visits);
# 512 MB halves the Python cold start compared with 128 MB for a fraction of a cent per million
# (docs/deploy.md).
RESOLVE = FunctionSpec(
    "resolve", "functions/resolve", "resolve_app.handler", memory_mb=512, timeout_seconds=5
)

# A transaction, an idempotency record and, with an empty pool, a key made on the spot.
SHORTEN = FunctionSpec(
    "shorten",
    "functions/shorten",
    "shorten_app.handler",
    memory_mb=512,
    timeout_seconds=10,
)

# Off the request path: up to pool_target conditional puts per run, once a minute. One refill at a
# time (concurrent refills would only race each other's puts), so a refill requested while one is
# running is throttled by design: only many throttles mean the pool is starved. A throttled or
# failed refill is not worth retrying: the schedule runs again within a minute.
KEYGEN = FunctionSpec(
    "keygen",
    "functions/keygen",
    "keygen_app.handler",
    memory_mb=256,
    timeout_seconds=60,
    reserved_concurrency=1,
    throttles_tolerated=10,
    max_event_age_seconds=60,
    max_retry_attempts=0,
)

# Off the request path: the visits table's stream, in batches of up to STREAM_BATCH_SIZE records.
# Classifying user agents is pure-Python regex work (ua-parser, cached per agent): 1024 MB buys
# the CPU. No reserved concurrency: the stream's shards bound it (one batch per shard at a time).
AGGREGATE = FunctionSpec(
    "aggregate",
    "functions/aggregate",
    "aggregate_app.handler",
    memory_mb=1024,
    timeout_seconds=60,
)


@dataclass(frozen=True)
class StreamSource:
    """How the aggregator is fed from the visits table's stream: the event source mapping's
    settings (CDK) and the local poller's, one definition for both."""

    # A link's events of one batch are counted with one plain update per hour touched and one of
    # its counters item, however many there are (snip.data.rollups_table): a hot link's items are
    # written once per batch and shard. 1,200 records stay near 1.2 MB of the 6 MB an invocation
    # may carry (an event's item is under 1 KB: the user agent is cut at 512 characters), and a
    # window's worth at the realistic day's rate (below).
    batch_size: int = 1200
    # A shard invokes when its batch is full or this window ends. The longer the window, the more
    # visits of one link share a batch, and a link costs two writes per batch (its hour and its
    # counters): at 10 million visits a day over 4 shards, 40 s fills a batch (~1,150 events),
    # 0.68 distinct links per visit, ~1.44 write units per visit (35 s and 1,000: 0.69 and ~1.47;
    # 5 s: 145 events, 0.83 distinct, over 1.8; make bench, part 8), and leaves 20 s of the stats
    # promise (CONTRACT: within 60 s deployed) to the stream's own delay (under a second), the
    # aggregator (a second or two for a full batch) and a retry. A hot link's items take at most
    # shards / window writes per second. The local poller waits at most a second instead
    # (snip_local.stream_poller.LOCAL_BATCHING_WINDOW; 5 s locally).
    max_batching_window_seconds: int = 40
    # Exactly once rests on each shard being read in order, one batch at a time: the watermark per
    # link and shard (snip.data.rollups_table). More than 1 would order records per item key only.
    parallelization_factor: int = 1
    # Only for the shard's id: Lambda puts ``shardId`` in the event of a mapping with a tumbling
    # window (no other setting does). Snip keeps no window state; the longest window (15 min)
    # makes the fewest end-of-window invocations (one per shard and window).
    tumbling_window_seconds: int = 900
    # A failed batch is retried until the stream drops its records (24 h): the aggregator fails on
    # a dependency (DynamoDB, S3), not on a record's content (it skips what is no visit event,
    # caps referrer hosts, and a full rollup item counts without new breakdowns:
    # snip.data.rollups_table), so an outage delays counts and loses none. -1 is Lambda's
    # "infinite"; no maximum record age (the stream's retention bounds it). A record the stream
    # drops unprocessed goes to the on-failure queue (never lost silently).
    retry_attempts: int = -1
    max_record_age_seconds: int | None = None
    bisect_on_error: bool = True
    report_batch_item_failures: bool = True
    starting_position: str = "TRIM_HORIZON"  # nothing written before the mapping is skipped
    event_names: tuple[str, ...] = ("INSERT",)  # the filter: TTL expiry (REMOVE) never reaches it
    # Alarm when the aggregator falls this far behind the stream for 3 of 5 minutes: stats are
    # promised within 60 s (CONTRACT §2), and a record the stream keeps 24 h is lost after that.
    iterator_age_alarm_seconds: int = 60


VISIT_STREAM = StreamSource()

# The web console's static files (GET / and /_/{file}): reads files from its own folder, no
# table, no runtime package; the smallest size is plenty for a few dozen kilobytes of text.
CONSOLE = FunctionSpec(
    "console", "functions/console", "console_app.handler", memory_mb=128, timeout_seconds=3
)

ALL_FUNCTIONS = (SHORTEN, RESOLVE, KEYGEN, AGGREGATE, CONSOLE)
FUNCTIONS = {spec.name: spec for spec in ALL_FUNCTIONS}
