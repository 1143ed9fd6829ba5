"""7. Cost per million redirects and per million creates on AWS, next to the functionless sample design.

Prices: list prices (us-east-1 for the regional services; CloudFront's for viewers in the United
States), each line with its source and the day it was checked (``PRICES``, ``PRICE_SOURCES``).
Free tiers ignored. The numbers measured here (duration, requests, capacity units, the bytes of a
redirect) come from the other benchmarks; the assumptions that turn them into Lambda durations
and bytes on the wire are stated with them.
"""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from snip_deploy.function_specs import VISIT_STREAM

CHECKED = "2026-12-07"
PRICES = {
    "checked": CHECKED,
    "cloudfront_https_per_million": 1.00,  # US, Mexico, Canada: $0.0100 per 10,000 HTTPS requests
    "cloudfront_http_per_million": 0.75,  # $0.0075 per 10,000 HTTP requests
    "cloudfront_out_per_gb": 0.085,  # to the internet, US, first 10 TB a month
    "cloudfront_origin_fetch_per_gb": 0.0,  # from an AWS origin (a Function URL) to CloudFront
    "cloudfront_to_origin_per_gb": 0.020,  # US; billed for DELETE, OPTIONS, PATCH, POST, PUT only
    "lambda_function_url_per_million": 0.0,  # a Function URL invocation is a Lambda request
    "api_gateway_rest_per_million": 3.50,  # first 333 M a month
    "lambda_arm64_per_gb_second": 0.0000133334,
    "lambda_per_million_requests": 0.20,
    "dynamodb_per_million_wru": 0.625,  # on-demand, since the 2024-11-01 reduction
    "dynamodb_per_million_rru": 0.125,
    "dynamodb_per_gb_month": 0.25,
    "s3_put_per_thousand": 0.005,
    "waf_web_acl_per_month": 5.00,
    "waf_rule_per_month": 1.00,
    "waf_per_million_requests": 0.60,
}
_CF = "https://aws.amazon.com/cloudfront/pricing/"
_CF_REQUESTS = (
    f"{_CF} (its request table is rendered client-side and was not in the stored copy; the same "
    "figures in infracost's CloudFront price listing, github.com/vreutova/infracost-idem-support/pull/15, "
    "and github.com/SaimShaikh/Cloud_Computing AWS_CloudFront_Pricing.md)"
)
_LAMBDA = (
    "https://aws.amazon.com/lambda/pricing/ (arm64 first tier; its tables render client-side: "
    "figures as cloudchipr.com/blog/aws-lambda-pricing quotes them)"
)
_WAF = (
    "https://aws.amazon.com/waf/pricing/ as quoted by c3x.dev/blog/aws-waf-cost-explained and "
    "awsnegotiations.com/waf-pricing-strategy.html (2026); AWS's blog \"Cost-effective ways for "
    'securing your web applications using AWS WAF" for the model'
)
# Where each price was read, and when (one line of docs/performance.md each).
PRICE_SOURCES: dict[str, tuple[str, str]] = {
    "cloudfront_https_per_million": (_CF_REQUESTS, CHECKED),
    "cloudfront_http_per_million": (_CF_REQUESTS, CHECKED),
    "cloudfront_out_per_gb": (_CF, CHECKED),
    "cloudfront_origin_fetch_per_gb": (f'{_CF} ("Free for origin fetches from any AWS origin")', CHECKED),
    "cloudfront_to_origin_per_gb": (
        'CloudFront Developer Guide, "AWS billing and usage reports for CloudFront" '
        "(DataTransfer-Out-OBytes: DELETE, OPTIONS, PATCH, POST and PUT requests); "
        "rate as infracost lists it",
        CHECKED,
    ),
    "lambda_function_url_per_million": (
        "https://aws.amazon.com/lambda/pricing/ (no Function URL line: an invocation through a URL "
        "is a request and its duration); docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html",
        CHECKED,
    ),
    "api_gateway_rest_per_million": ("https://aws.amazon.com/api-gateway/pricing/", "2026-11"),
    "lambda_arm64_per_gb_second": (_LAMBDA, CHECKED),
    "lambda_per_million_requests": (_LAMBDA, CHECKED),
    "dynamodb_per_million_wru": (
        "https://aws.amazon.com/dynamodb/pricing/on-demand/ (as airbyte.com/data-engineering-resources/"
        "dynamodb-pricing quotes it, US East)",
        CHECKED,
    ),
    "dynamodb_per_million_rru": ("as the line above", CHECKED),
    "dynamodb_per_gb_month": ("https://aws.amazon.com/dynamodb/pricing/on-demand/", "2026-11"),
    "s3_put_per_thousand": ("https://aws.amazon.com/s3/pricing/", "2026-11"),
    "waf_web_acl_per_month": (_WAF, CHECKED),
    "waf_rule_per_month": (_WAF, CHECKED),
    "waf_per_million_requests": (_WAF, CHECKED),
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
# Per link in a batch, one plain UpdateItem per hour touched and one of its counters item, each
# carrying the shard's watermark; the write units per event are measured in part 8 from the items
# those updates write (bench/pipeline_model.py: a hot link, every event of a batch on one link; the
# long tail, every event on another link; the Zipf day). The events are never written again. Per
# batch and day, one gzipped JSON Lines object in S3.
AGGREGATOR = {
    "batch_size": VISIT_STREAM.batch_size,
    "cpu_ms_per_event": 0.2,  # assumed: user-agent classification (cached per agent) and bookkeeping
    "link_round_trip_ms": 10.0,  # assumed: a link's two updates (its hour, its counters)
    "counting_workers": 8,  # links counted at once (functions/aggregate: COUNTING_WORKERS)
    "s3_put_round_trip_ms": 20.0,  # assumed
}
# The visits table's storage: an event's item lives a day (snip.domain.visit_events.EVENT_TTL_SECONDS),
# and TTL deletes it "within a few days" after: billed here for 1 + 2 days, with DynamoDB's 100
# bytes of per-item overhead.
STORAGE = {
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
    memory_mb: int,
    wru_per_event: float,
    links_per_batch: float,
    event_item_bytes: int,
    batch_size: float | None = None,
) -> dict[str, float]:
    """The pipeline's cost per visit event (dollars per million events), for batches of
    ``batch_size`` events (the configured size by default) spread over ``links_per_batch`` links
    whose updates consume ``wru_per_event`` write units per event (measured)."""
    a, st = AGGREGATOR, STORAGE
    batch = batch_size or a["batch_size"]
    wru = wru_per_event * batch
    ms = (
        lambda_ms(batch * a["cpu_ms_per_event"], 0, memory_mb)
        + math.ceil(links_per_batch / a["counting_workers"]) * a["link_round_trip_ms"]
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
        "visits_table_storage": gb_months * PRICES["dynamodb_per_gb_month"] * 1e6,
        "s3": PRICES["s3_put_per_thousand"] / 1000 / batch * 1e6,
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


# What reaches a viewer besides resolve's own answer. Values are placeholders of the lengths AWS
# sends (assumed; a Function URL adds Date, Content-Length, Connection and its request and trace
# ids; CloudFront adds X-Cache, Via, its POP and its request id and keeps the rest).
FUNCTION_URL_HEADERS = {
    "Date": "Mon, 07 Dec 2026 06:00:00 GMT",
    "Content-Length": "0",
    "Connection": "keep-alive",
    "x-amzn-RequestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    "X-Amzn-Trace-Id": "Root=1-6755f0a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=0",
}
CLOUDFRONT_HEADERS = {
    "X-Cache": "Miss from cloudfront",
    "Via": "1.1 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)",
    "X-Amz-Cf-Pop": "IAD89-C1",
    "X-Amz-Cf-Id": "Lp3QxY8v2nB0kR7tZ1mWc4eH6jA9sD5fG2hJ8kL0qW3eR5tY7uI9oA==",
}
# An http:// short link (or a QR code of one): with the viewer protocol policy "redirect to
# HTTPS", CloudFront answers the plain-HTTP request itself, a 301 to the same URL over HTTPS, with
# its own small HTML page (assumed: 167 bytes, as CloudFront serves it), before the redirect.
DISTRIBUTION_HOST = "d111111abcdef8.cloudfront.net"
CLOUDFRONT_301_BODY_BYTES = 167
CLOUDFRONT_301_HEADERS = {
    "Server": "CloudFront",
    "Date": FUNCTION_URL_HEADERS["Date"],
    "Content-Type": "text/html",
    "Content-Length": str(CLOUDFRONT_301_BODY_BYTES),
    "Connection": "keep-alive",
    "Location": f"https://{DISTRIBUTION_HOST}/AbC1234",
    "X-Cache": "Redirect from cloudfront",
    "Via": CLOUDFRONT_HEADERS["Via"],
    "X-Amz-Cf-Pop": CLOUDFRONT_HEADERS["X-Amz-Cf-Pop"],
    "X-Amz-Cf-Id": CLOUDFRONT_HEADERS["X-Amz-Cf-Id"],
}


def http_bytes(status: int, headers: list[tuple[str, str]], body_bytes: int) -> int:
    """An answer's bytes as HTTP/1.1 text: status line, header lines, blank line, body. HTTP/2
    and HTTP/3 compress the headers, so this is what a viewer is billed at most (TLS framing
    is not counted)."""
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"] + [f"{k}: {v}" for k, v in headers]
    return sum(len(line.encode()) + 2 for line in lines) + 2 + body_bytes


def resolve_headers(response: dict[str, Any]) -> list[tuple[str, str]]:
    """The header lines of resolve's answer as the Function URL (or API Gateway) sends them."""
    found = list((response.get("headers") or {}).items())
    for name, values in (response.get("multiValueHeaders") or {}).items():
        found += [(name, value) for value in values]
    found += [("Set-Cookie", cookie) for cookie in response.get("cookies") or []]
    return found


def redirect_bytes(responses: dict[str, Any]) -> dict[str, Any]:
    """The bytes CloudFront sends a viewer for one redirect: resolve's measured answer (under the
    Function URL's event when resolve answers it with a redirect, else under the REST event),
    the Function URL's and CloudFront's headers added."""
    shape = "function_url" if responses["function_url"]["statusCode"] in (301, 302, 307, 308) else "rest"
    answer = responses[shape]
    own = resolve_headers(answer)
    names = {name.lower() for name, _ in own}
    added = [
        (k, v) for k, v in {**FUNCTION_URL_HEADERS, **CLOUDFRONT_HEADERS}.items() if k.lower() not in names
    ]
    body = len((answer.get("body") or "").encode())
    return {
        "measured_on": shape,
        "status": answer["statusCode"],
        "resolve_bytes": http_bytes(answer["statusCode"], own, body),
        "bytes": http_bytes(answer["statusCode"], own + added, body),
    }


def _transfer_out(size: int) -> float:
    """Dollars per million answers of ``size`` bytes from CloudFront to US viewers."""
    return size / 1e9 * PRICES["cloudfront_out_per_gb"] * 1e6


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

    # resolve under the front door's Function URL event (parts 1 and 2 measure it as resolve_url),
    # and under the REST API's event (the API-Gateway-only shape).
    front = "resolve_url" if "resolve_url" in subjects and "resolve_url" in variants else "resolve"

    def redirect_lambda(operation: dict[str, Any], measured: str = front) -> dict[str, float]:
        ms = lambda_ms(subjects[measured]["p50"], operation["requests_per_operation"], memory["resolve"])
        return _lambda_cost(ms, cold_ms(measured, memory["resolve"]), memory["resolve"])

    redirect = counts["redirect_get"]
    resolve = redirect_lambda(redirect)
    redirect_db = _dynamodb(redirect["wru_per_operation"], redirect["rru_per_operation"])
    warm_redirect = counts["redirect_get_warm"]  # the link served from memory
    resolve_warm = redirect_lambda(warm_redirect)
    warm_ms = lambda_ms(subjects[front]["p50"], warm_redirect["requests_per_operation"], memory["resolve"])
    rest = {  # the REST API's shape: resolve as measured under that event
        "every": redirect_lambda(redirect, "resolve"),
        "memory": redirect_lambda(warm_redirect, "resolve"),
    }

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
    # The realistic day (part 8: 10 million redirects a day over a million links, Zipf, 4 shards):
    # its batches as the configured window makes them, its write units as measured.
    zipf = pipeline.get("zipf_day", {}).get("4")
    zipf_day = (
        pipeline_per_event(
            aggregator_mb,
            zipf["write_units_per_event"],
            zipf["events_per_batch"] * zipf["distinct_links_per_visit"],
            event_item_bytes=event_bytes,
            batch_size=zipf["events_per_batch"],
        )
        if zipf
        else None
    )
    behind = {  # what a redirect costs behind its front door, whichever it is
        "lambda_requests": resolve["requests"],
        "lambda_duration": resolve["duration"],
        "dynamodb": redirect_db,
        "visit_pipeline": _pipeline_total(hot),
    }
    behind_from_memory = {
        **behind,
        "lambda_duration": resolve_warm["duration"],
        "dynamodb": _dynamodb(warm_redirect["wru_per_operation"], warm_redirect["rru_per_operation"]),
    }
    # The front door (the default shape): CloudFront's HTTPS request and the answer's bytes to a
    # US viewer; the Function URL is reached through CloudFront, which pays nothing for fetching
    # from an AWS origin, nor for a GET's bytes to it, and the URL itself has no price of its own.
    wire = redirect_bytes(counts["redirect_responses"])
    edge = {
        "cloudfront_request": PRICES["cloudfront_https_per_million"],
        "cloudfront_transfer_out": _transfer_out(wire["bytes"]),
        "cloudfront_origin_fetch": PRICES["cloudfront_origin_fetch_per_gb"],
        "cloudfront_to_origin": 0.0,  # a GET: DataTransfer-Out-OBytes counts only bodies sent up
        "function_url": PRICES["lambda_function_url_per_million"],
    }
    through_cloudfront = {**edge, **behind}
    through_cloudfront_from_memory = {**edge, **behind_from_memory}
    # An http:// short link (a QR code printed with one): CloudFront's own 301 to https:// first.
    first_301 = http_bytes(301, list(CLOUDFRONT_301_HEADERS.items()), CLOUDFRONT_301_BODY_BYTES)
    http_first = {
        "cloudfront_http_request": PRICES["cloudfront_http_per_million"],
        "cloudfront_transfer_out": _transfer_out(first_301),
    }
    # The API-Gateway-only shape (a context switch keeps it deployable): the REST API in front.
    api_gateway_only = {"api_gateway": api, **behind, "lambda_duration": rest["every"]["duration"]}
    api_gateway_only_from_memory = {
        "api_gateway": api,
        **behind_from_memory,
        "lambda_duration": rest["memory"]["duration"],
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

    def totalled(lines: dict[str, float]) -> dict[str, float]:
        return {**lines, "total": sum(lines.values())}

    return {
        "prices": PRICES,
        "price_sources": PRICE_SOURCES,
        "assumptions": {
            "memory_mb": memory,
            "full_vcpu_mb": FULL_VCPU_MB,
            "dynamodb_round_trip_ms": DYNAMODB_ROUND_TRIP_MS,
            "cold_start_share": COLD_START_SHARE,
            "keygen_refill_cpu_ms": KEYGEN_REFILL_CPU_MS,
            "resolve_measured_as": front,
            "resolve_billed_ms": resolve["billed_ms"],
            "resolve_billed_ms_link_in_memory": resolve_warm["billed_ms"],
            "resolve_warm_ms_link_in_memory": warm_ms,  # a warm redirect, no cold start: part 9
            "aggregator": {**AGGREGATOR, "memory_mb": aggregator_mb},
            "storage": STORAGE,
            "event_item_bytes": event_bytes,
            "shorten_billed_ms": shorten["billed_ms"],
            "redirect_bytes": wire,
            "http_301_bytes": first_301,
        },
        "per_million_redirects": {
            "cloudfront": totalled(through_cloudfront),
            # The same redirect when resolve's memory serves the link (a hot link's case).
            "cloudfront_link_in_memory": totalled(through_cloudfront_from_memory),
            # What an http:// link adds in front of the HTTPS redirect.
            "http_first": totalled(http_first),
            "api_gateway_only": totalled(api_gateway_only),
            "api_gateway_only_link_in_memory": totalled(api_gateway_only_from_memory),
            "functionless_sample": totalled(sample_redirect),
            # The same redirect when each event of a batch is another link's (the dearest case).
            "cloudfront_spread_batches": sum(through_cloudfront.values())
            - behind["visit_pipeline"]
            + _pipeline_total(spread),
            "pipeline_per_event": {
                "hot_link": hot,
                "spread": spread,
                **({"zipf_day": zipf_day} if zipf_day else {}),
            },
            # The realistic day: a redirect that reads its link, and the Zipf day's pipeline.
            **(
                {
                    "cloudfront_zipf_day": totalled(
                        {**through_cloudfront, "visit_pipeline": _pipeline_total(zipf_day)}
                    )
                }
                if zipf_day
                else {}
            ),
        },
        # WAF in front of the distribution: a fixed monthly part and a part per request, apart
        # from the rows above (on or off by the stack's context; its price either way).
        "waf": {
            "per_month_per_web_acl": PRICES["waf_web_acl_per_month"],
            "per_month_per_rule": PRICES["waf_rule_per_month"],
            "per_million_requests": PRICES["waf_per_million_requests"],
        },
        "per_million_creates": {
            "snip": totalled(snip_create),
            "functionless_sample": totalled(sample_create),
        },
    }
