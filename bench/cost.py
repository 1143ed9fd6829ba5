"""7. Cost per million redirects and per million creates on AWS, next to the functionless sample design.

Prices: us-east-1 list prices, checked 2026-11 against AWS's pricing pages as quoted by public sources
(API Gateway REST first tier; Lambda arm64; DynamoDB on-demand after the 50 % reduction of
2024-11-01). Free tiers ignored. The numbers measured here (duration, requests, capacity units) come
from the other benchmarks; the assumptions that turn them into Lambda durations are stated with them.
"""

from __future__ import annotations

import math
from typing import Any

PRICES = {
    "checked": "2026-11 (DynamoDB on-demand prices in force since the 2024-11-01 reduction)",
    "api_gateway_rest_per_million": 3.50,
    "lambda_arm64_per_gb_second": 0.0000133334,
    "lambda_per_million_requests": 0.20,
    "dynamodb_per_million_wru": 0.625,
    "dynamodb_per_million_rru": 0.125,
}
# Lambda gives a function CPU in proportion to its memory: one full vCPU at 1,769 MB. A benchmark
# core here is taken as one vCPU, so CPU time measured here is scaled by 1769 / memory.
FULL_VCPU_MB = 1769
DYNAMODB_ROUND_TRIP_MS = 4.0  # assumed in-region DynamoDB latency per request (the stub answers in µs)
COLD_START_SHARE = 0.01  # assumed: 1 invocation in 100 starts an environment; INIT is billed (2025-08)
KEYGEN_REFILL_CPU_MS = 50.0  # assumed CPU time of one refill run (35 keys, two requests)

# The visit pipeline after resolve's PutItem, from what the aggregator does (snip.data.rollups_table,
# functions/aggregate): the visits table's stream feeds it in batches of up to ``batch_size``
# INSERT records of one shard (stream reads by a Lambda trigger are free; TTL deletions are free).
# Per link in a batch, one TransactWriteItems (its hour rollups, which carry the shard's
# watermark, its day rollups, the link's counters); the write units per event are measured in part 8 from the
# items those transactions write (bench/pipeline_model.py: a hot link, every event of a batch on
# one link; the long tail, every event on another link). The events are never written again. Per
# batch and day, one gzipped JSON Lines object in S3.
AGGREGATOR = {
    "batch_size": 1000,
    "cpu_ms_per_event": 0.2,  # assumed: user-agent classification (cached per agent) and bookkeeping
    "transaction_round_trip_ms": 10.0,  # assumed: a transaction takes longer than a single write
    "s3_put_round_trip_ms": 20.0,  # assumed
}
# The visits table's storage: an event's item lives a day (snip.domain.visit_events.EVENT_TTL_SECONDS),
# and TTL deletes it "within a few days" after: billed here for 1 + 2 days, with DynamoDB's 100
# bytes of per-item overhead. The raw events' first month in S3 (gzipped JSON Lines).
STORAGE = {
    "dynamodb_per_gb_month": 0.25,
    "s3_standard_per_gb_month": 0.023,
    "s3_put_per_thousand": 0.005,
    "event_item_days": 3,
    "item_overhead_bytes": 100,
    "days_per_month": 30.4,
}


def lambda_ms(cpu_ms: float, requests: float, memory_mb: int) -> float:
    return cpu_ms * max(1.0, FULL_VCPU_MB / memory_mb) + requests * DYNAMODB_ROUND_TRIP_MS


def _lambda_cost(warm_ms: float, cold_ms: float, memory_mb: int) -> dict[str, float]:
    billed = math.ceil(warm_ms) * (1 - COLD_START_SHARE) + math.ceil(warm_ms + cold_ms) * COLD_START_SHARE
    gb_s = memory_mb / 1024 * billed / 1000
    return {
        "billed_ms": billed,
        "duration": gb_s * PRICES["lambda_arm64_per_gb_second"] * 1e6,
        "requests": PRICES["lambda_per_million_requests"],
    }


def _dynamodb(wru: float, rru: float) -> float:
    return wru * PRICES["dynamodb_per_million_wru"] + rru * PRICES["dynamodb_per_million_rru"]


def pipeline_per_event(
    memory_mb: int, wru_per_event: float, links_per_batch: int, event_item_bytes: int
) -> dict[str, float]:
    """The pipeline's cost per visit event (dollars per million events), for batches of
    ``batch_size`` events spread over ``links_per_batch`` links whose transactions consume
    ``wru_per_event`` write units per event (measured)."""
    a, st = AGGREGATOR, STORAGE
    batch = a["batch_size"]
    wru = wru_per_event * batch
    ms = (
        lambda_ms(batch * a["cpu_ms_per_event"], 0, memory_mb)
        + links_per_batch * a["transaction_round_trip_ms"]
        + a["s3_put_round_trip_ms"]
    )
    invocation = _lambda_cost(ms, 0, memory_mb)
    gb_months = (
        (event_item_bytes + st["item_overhead_bytes"]) / 1e9 * st["event_item_days"] / st["days_per_month"]
    )
    return {
        "wru_per_event": wru / batch,
        "lambda_requests": invocation["requests"] / batch,
        "lambda_duration": invocation["duration"] / batch,
        "dynamodb": _dynamodb(wru / batch, 0),
        "visits_table_storage": gb_months * st["dynamodb_per_gb_month"] * 1e6,
        "s3": st["s3_put_per_thousand"] / 1000 / batch * 1e6,
    }


def item_bytes(item: dict[str, dict[str, Any]]) -> int:
    """An item's size as DynamoDB counts it: names plus values (numbers about a byte per two digits)."""
    size = 0
    for name, value in item.items():
        ((kind, raw),) = value.items()
        size += len(name.encode())
        size += {"S": len(str(raw).encode()), "N": len(str(raw)) // 2 + 1, "BOOL": 1}[kind]
    return size


def _pipeline_total(found: dict[str, float]) -> float:
    return sum(v for k, v in found.items() if k != "wru_per_event")


def run(
    warm: dict[str, Any],
    cold: dict[str, Any],
    counts: dict[str, Any],
    memory: dict[str, int],
    event_item: dict[str, dict[str, Any]],
    pipeline: dict[str, Any],
) -> dict:
    api = PRICES["api_gateway_rest_per_million"]
    subjects = warm["subjects"]
    variants = cold["variants"]

    def cold_ms(name: str, memory_mb: int) -> float:
        return lambda_ms(variants[name]["median_in_process_s"] * 1e3, 0, memory_mb)

    def redirect_lambda(operation: dict[str, Any]) -> dict[str, float]:
        ms = lambda_ms(subjects["resolve"]["p50"], operation["requests_per_operation"], memory["resolve"])
        return _lambda_cost(ms, cold_ms("resolve", memory["resolve"]), memory["resolve"])

    redirect = counts["redirect_get"]
    resolve = redirect_lambda(redirect)
    redirect_db = _dynamodb(redirect["wru_per_operation"], redirect["rru_per_operation"])
    warm_redirect = counts["redirect_get_warm"]  # the link served from memory
    resolve_warm = redirect_lambda(warm_redirect)

    create = counts["create"]
    refill = counts["keygen_refill_35"]
    keys_per_refill = max(1, refill.get("added", 35))
    shorten_ms = lambda_ms(subjects["shorten"]["p50"], create["requests_per_operation"], memory["shorten"])
    shorten = _lambda_cost(shorten_ms, cold_ms("shorten_traced", memory["shorten"]), memory["shorten"])
    create_db = _dynamodb(create["wru_per_operation"], create["rru_per_operation"])
    refill_db = _dynamodb(refill["wru_per_operation"], refill["rru_per_operation"]) / keys_per_refill
    # keygen: one invocation per refill (on demand); its every-minute checks are a fixed
    # 43,200 invocations a month whatever the traffic, left out of a per-million figure.
    keygen_ms = lambda_ms(KEYGEN_REFILL_CPU_MS, refill["requests_per_operation"], memory["keygen"])
    keygen = _lambda_cost(keygen_ms, 0, memory["keygen"])
    keygen_per_key = (keygen["duration"] + keygen["requests"]) / keys_per_refill

    # A redirect of a link without max_visits: resolve reads the link (counted here at every
    # redirect, as if memory never served it: the dearer case) and puts its event; then the
    # aggregator. The aggregator's memory is its FunctionSpec's (1024 MB) when the stack has it.
    aggregator_mb = memory.get("aggregate", 1024)
    event_bytes = item_bytes(event_item)
    hot = pipeline_per_event(
        aggregator_mb, pipeline["hot_link"]["write_units_per_event"], 1, event_item_bytes=event_bytes
    )
    spread = pipeline_per_event(
        aggregator_mb,
        pipeline["long_tail"]["write_units_per_event"],
        int(AGGREGATOR["batch_size"]),
        event_item_bytes=event_bytes,
    )
    snip_redirect = {
        "api_gateway": api,
        "lambda_requests": resolve["requests"],
        "lambda_duration": resolve["duration"],
        "dynamodb": redirect_db,
        "visit_pipeline": _pipeline_total(hot),
    }
    snip_redirect_from_memory = {
        **snip_redirect,
        "lambda_duration": resolve_warm["duration"],
        "dynamodb": _dynamodb(warm_redirect["wru_per_operation"], warm_redirect["rru_per_operation"]),
    }
    snip_create = {
        "api_gateway": api,
        "lambda_requests": shorten["requests"],
        "lambda_duration": shorten["duration"],
        "dynamodb": create_db,
        "key_pool_refill": refill_db + keygen_per_key,
    }
    # aws-samples/amazon-api-gateway-url-shortener: API Gateway integrates with DynamoDB directly;
    # a redirect is one GetItem (eventually consistent, item ≤ 4 KB: 0.5 RRU), a create one PutItem.
    sample_redirect = {"api_gateway": api, "dynamodb": _dynamodb(0, 0.5)}
    sample_create = {"api_gateway": api, "dynamodb": _dynamodb(1, 0)}
    return {
        "prices": PRICES,
        "assumptions": {
            "memory_mb": memory,
            "full_vcpu_mb": FULL_VCPU_MB,
            "dynamodb_round_trip_ms": DYNAMODB_ROUND_TRIP_MS,
            "cold_start_share": COLD_START_SHARE,
            "keygen_refill_cpu_ms": KEYGEN_REFILL_CPU_MS,
            "resolve_billed_ms": resolve["billed_ms"],
            "aggregator": {**AGGREGATOR, "memory_mb": aggregator_mb},
            "storage": STORAGE,
            "event_item_bytes": event_bytes,
            "shorten_billed_ms": shorten["billed_ms"],
        },
        "per_million_redirects": {
            "snip": {**snip_redirect, "total": sum(snip_redirect.values())},
            # The same redirect when resolve's memory serves the link (a hot link's case).
            "snip_link_in_memory": {
                **snip_redirect_from_memory,
                "total": sum(snip_redirect_from_memory.values()),
            },
            "functionless_sample": {**sample_redirect, "total": sum(sample_redirect.values())},
            # The same redirect when each event of a batch is another link's (the dearest case).
            "snip_spread_batches": sum(snip_redirect.values())
            - snip_redirect["visit_pipeline"]
            + _pipeline_total(spread),
            "pipeline_per_event": {"hot_link": hot, "spread": spread},
        },
        "per_million_creates": {
            "snip": {**snip_create, "total": sum(snip_create.values())},
            "functionless_sample": {**sample_create, "total": sum(sample_create.values())},
        },
    }
