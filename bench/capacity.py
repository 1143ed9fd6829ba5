"""9. Capacity of one link through the front door: redirects per second before the first throttle.

Arithmetic, like part 7: the platform's documented limits (below, each with its source), the
front door's two configurations (``snip_deploy.front_door``: the default one and the documented
high-traffic one) and what this run measured (resolve's warm duration, the write units of a
redirect, the aggregator's batches on a hot link). Every limit is turned into the redirect rate at
which it throttles; the lowest is the first throttle, and what the visitor then sees is named
with it. A link without ``max_visits`` is the case (a link with it is limited by its own item:
every redirect writes it).
"""

from __future__ import annotations

import math
from typing import Any

from bench.cost import AGGREGATOR, lambda_ms
from snip.data.link_memory import LINK_MEMORY_SECONDS
from snip_deploy.front_door import DEFAULT_CAPACITY, HIGH_TRAFFIC_CAPACITY, FrontDoorCapacity

# Lambda (docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html and lambda-concurrency.html,
# checked 2026-12-07): a function serves at most 10 requests per second per concurrent execution
# (a Function URL too: TooManyRequestsException, reason ReservedFunctionInvocationRateLimitExceeded,
# a 429), grows by at most 1,000 execution environments every 10 seconds, and an account keeps at
# least 100 of its concurrency unreserved.
REQUESTS_PER_SECOND_PER_ENVIRONMENT = 10
SCALING_ENVIRONMENTS_PER_10_S = 1_000
UNRESERVED_MINIMUM = 100
# DynamoDB (developerguide/warm-throughput-scenarios.html, checked 2026-12-07): a new on-demand
# table starts with a warm throughput of 4,000 write units per second (more once it has served
# more, or when warm throughput is set), and each partition serves at most 1,000 write units and
# 3,000 read units per second.
NEW_TABLE_WRITE_UNITS_PER_SECOND = 4_000
PARTITION_WRITE_UNITS = 1_000
PARTITION_READ_UNITS = 3_000
# CloudFront (DeveloperGuide/cloudfront-limits.html, checked 2026-12-07): 250,000 requests per
# second per distribution by default (a quota; it can be raised).
CLOUDFRONT_REQUESTS_PER_SECOND = 250_000
# A write of the hot link's busiest item by the aggregator: a plain update of an item under
# 1 KB, 1 write unit.
ITEM_WRITE_UNITS = 1


def _limit(name: str, rate: float, load: str, visitor: str) -> dict[str, Any]:
    return {"limit": name, "redirects_per_second": rate, "load": load, "visitor_sees": visitor}


def model(
    config: FrontDoorCapacity,
    warm_ms: float,
    write_units_per_redirect: float,
    read_units_per_link_read: float,
    busiest_item_writes_at_10k: float,
    aggregator_memory_mb: int,
) -> dict[str, Any]:
    """The limits of one configuration, in redirects per second of one link, lowest first."""
    reserved = config.resolve_reserved_concurrency
    quota = config.account_concurrency_quota
    by_rate = reserved * REQUESTS_PER_SECOND_PER_ENVIRONMENT
    by_duration = reserved / (warm_ms / 1000)
    resolve_rate = min(by_rate, by_duration)
    warm_writes = config.visits_warm_writes_per_second or NEW_TABLE_WRITE_UNITS_PER_SECOND
    partitions = math.ceil(warm_writes / PARTITION_WRITE_UNITS)
    visits_rate = warm_writes / write_units_per_redirect
    # The link's item: each environment reads it once per LINK_MEMORY_SECONDS at most, whatever
    # the rate; its partition's read units run out only with more environments than this, which
    # serve at most 10 requests/s each.
    link_reads = reserved / LINK_MEMORY_SECONDS * read_units_per_link_read
    reading_environments = PARTITION_READ_UNITS / read_units_per_link_read * LINK_MEMORY_SECONDS
    # The aggregator: one batch at a time per shard (a shard per partition), a full batch in the
    # modelled time of part 7 (its CPU per event at its memory, one link's updates, one S3 object).
    batch = AGGREGATOR["batch_size"]
    batch_ms = (
        lambda_ms(batch * AGGREGATOR["cpu_ms_per_event"], 0, aggregator_memory_mb)
        + AGGREGATOR["link_round_trip_ms"]
        + AGGREGATOR["s3_put_round_trip_ms"]
    )
    per_shard = batch / (batch_ms / 1000)
    # The hot link's busiest item: part 8 measured its writes at 10,000 redirects/s; they grow with
    # the rate (more batches), and its partition takes 1,000 write units a second.
    item_ceiling = PARTITION_WRITE_UNITS / ITEM_WRITE_UNITS
    item_rate = 10_000 * item_ceiling / busiest_item_writes_at_10k
    limits = [
        _limit(
            f"resolve's reserved concurrency ({reserved:,} environments)",
            resolve_rate,
            f"{reserved:,} \u00d7 {REQUESTS_PER_SECOND_PER_ENVIRONMENT} requests/s per environment = "
            f"{by_rate:,.0f}/s; by duration {reserved:,} / {warm_ms:.1f} ms = {by_duration:,.0f}/s: "
            + ("the per-environment request rate binds" if by_rate <= by_duration else "the duration binds"),
            "429 from Lambda's throttle, passed on by CloudFront (the distribution's error page, "
            "the contract's short page)",
        ),
        _limit(
            f"account concurrency quota ({quota:,})",
            quota * REQUESTS_PER_SECOND_PER_ENVIRONMENT,
            f"{reserved:,} reserved of {quota:,} ("
            + ("fits" if reserved <= quota - UNRESERVED_MINIMUM else "does NOT fit")
            + f": at most {quota - UNRESERVED_MINIMUM:,} may be reserved); the account's "
            f"{quota * REQUESTS_PER_SECOND_PER_ENVIRONMENT:,} requests/s are shared with every function",
            "429, as above (resolve's reserved environments are its own: the other functions "
            "cannot take them)",
        ),
        _limit(
            "visits table, on-demand "
            + (
                f"with warm throughput {warm_writes:,} writes/s"
                if config.visits_warm_writes_per_second
                else f"new table ({warm_writes:,} writes/s until it has grown)"
            ),
            visits_rate,
            f"{write_units_per_redirect:g} write unit per redirect (the event's PutItem, measured); "
            f"≥ {partitions} partitions of {PARTITION_WRITE_UNITS:,}: events keyed by request id "
            "spread over all of them",
            "503 with Retry-After (the event's put throttled after the SDK's retries: no redirect "
            "that is not counted)",
        ),
        _limit(
            "the link's item (links table)",
            reading_environments * REQUESTS_PER_SECOND_PER_ENVIRONMENT,
            f"read from resolve's {LINK_MEMORY_SECONDS:g}-second memory: {reserved:,} environments "
            f"read it {reserved / LINK_MEMORY_SECONDS:,.0f} times/s at most, {link_reads:,.0f} read "
            f"units of the partition's {PARTITION_READ_UNITS:,} whatever the rate; "
            f"{reading_environments:,.0f} environments would use them all",
            "503 with Retry-After (the read throttled)",
        ),
        _limit(
            f"stream shards and the aggregator ({partitions} shards)",
            partitions * per_shard,
            f"one batch at a time per shard: {batch:,} events in ≈ {batch_ms:.0f} ms (modelled) = "
            f"{per_shard:,.0f} events/s per shard",
            "nothing: the redirect is answered; stats lag behind (the stream keeps events 24 h)",
        ),
        _limit(
            "the hot link's busiest item (aggregator)",
            item_rate,
            f"{busiest_item_writes_at_10k:g} writes/s at 10,000 redirects/s (part 8), "
            f"{ITEM_WRITE_UNITS} write units each; its partition takes {item_ceiling:g} such "
            "writes/s",
            "nothing: the batch is retried; stats lag",
        ),
        _limit(
            "CloudFront requests per distribution (quota)",
            CLOUDFRONT_REQUESTS_PER_SECOND,
            "every request of the distribution, the API's included",
            "CloudFront's own error (a quota increase lifts it)",
        ),
    ]
    limits.sort(key=lambda found: found["redirects_per_second"])
    ramp = reserved / SCALING_ENVIRONMENTS_PER_10_S * 10  # refilled continuously, as Lambda tries to
    return {
        "configuration": {
            "resolve_reserved_concurrency": reserved,
            "visits_warm_writes_per_second": config.visits_warm_writes_per_second,
            "account_concurrency_quota": quota,
        },
        "first_throttle": limits[0]["limit"],
        "redirects_per_second": limits[0]["redirects_per_second"],
        "seconds_to_scale_from_cold": ramp,
        "limits": limits,
    }


def run(cost: dict[str, Any], counts: dict[str, Any], pipeline: dict[str, Any]) -> dict[str, Any]:
    """Both configurations, from this run's figures (part 7's assumptions, parts 3 and 8)."""
    assumed = cost["assumptions"]
    warm = counts["redirect_get_warm"]  # a hot link: served from memory, one put per redirect
    inputs = {
        "warm_ms": assumed["resolve_warm_ms_link_in_memory"],
        "write_units_per_redirect": warm["wru_per_operation"],
        "read_units_per_link_read": counts["redirect_get"]["rru_per_operation"],
        "busiest_item_writes_at_10k": pipeline["hot_link"]["busiest_item_writes_per_second"],
        "aggregator_memory_mb": assumed["aggregator"]["memory_mb"],
    }
    return {
        "inputs": inputs,
        "default": model(DEFAULT_CAPACITY, **inputs),
        "high_traffic": model(HIGH_TRAFFIC_CAPACITY, **inputs),
    }
