"""docs/performance.md, the latency chart, and the table `make bench` prints."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import DOCS, ROOT, ratio
from bench.cost import PRICES
from bench.goals import RATIO, Goal, check
from bench.pipeline_model import ITEM_WRITE_UNITS_PER_SECOND, ZIPF_LINKS, ZIPF_REDIRECTS_PER_DAY
from snip_deploy.function_specs import VISIT_STREAM

MARKDOWN = DOCS / "performance.md"
CHART = DOCS / "performance-latency.png"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f}"


def _x(value: float) -> str:
    return f"{value:.2f}{RATIO}"


def _goal_value(goal: Goal) -> str:
    if math.isinf(goal.measured):
        return "not judged"
    if goal.unit == RATIO:
        return _x(goal.measured)
    return f"${goal.measured:.2f}" if goal.unit == "$" else f"{goal.measured:,g}"


def _goal_rows(results: dict[str, Any]) -> list[list[str]]:
    return [
        [
            goal.what,
            _goal_value(goal),
            goal.target,
            "met" if goal.met else "**missed**",
        ]
        for goal in check(results)
    ]


def console(results: dict[str, Any]) -> str:
    """The summary `make bench` prints: goals, then the headline numbers."""
    cold = results["cold_start"]["variants"]
    warm = results["warm"]["subjects"]
    stack = results["concurrency"]
    lines = [_table(["goal", "measured", "target", "verdict"], _goal_rows(results)), ""]
    rows = [
        [
            name,
            _ms(v["median_in_process_s"]),
            _ms(v["median_process_s"]),
            f"{v['median_peak_rss_kb'] / 1024:.0f}",
        ]
        for name, v in cold.items()
    ]
    lines += [
        _table(["cold start", "median ms (in process)", "median ms (process)", "peak RSS MB"], rows),
        "",
    ]
    rows = [[name, f"{v['p50']:.3f}", f"{v['p99']:.3f}"] for name, v in warm.items()]
    lines += [_table(["warm handler", "p50 ms", "p99 ms"], rows), ""]
    rows = [
        [name, f"{stack[name]['per_second']:.0f}", f"{stack[name]['latency_ms']['p50']:.1f}",
         f"{stack[name]['latency_ms']['p99']:.1f}"]
        for name in ("creates", "bare_put", "redirects", "bare_get")
    ]  # fmt: skip
    lines += [_table(["local stack, 16 clients", "req/s", "p50 ms", "p99 ms"], rows), ""]
    redirects, creates = results["cost"]["per_million_redirects"], results["cost"]["per_million_creates"]
    rows = [
        ["redirects through CloudFront", f"${redirects['cloudfront']['total']:.2f}", "n/a"],
        [
            "redirects, API Gateway only",
            f"${redirects['api_gateway_only']['total']:.2f}",
            f"${redirects['functionless_sample']['total']:.2f}",
        ],
        ["creates", f"${creates['snip']['total']:.2f}", f"${creates['functionless_sample']['total']:.2f}"],
    ]
    lines += [_table(["per million", "Snip", "functionless sample"], rows)]
    return "\n".join(lines)


def write_chart(results: dict[str, Any]) -> Path | None:
    """Box plots of every latency distribution; None (and a note) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib is not installed (pip install -r bench/requirements.txt): no chart")
        return None
    cold = results["cold_start"]["variants"]
    warm = results["warm"]["subjects"]
    stack = results["concurrency"]
    loads = ("creates", "bare_put", "redirects", "bare_get")
    panels = [
        (
            "1. cold start, process start to response (ms)",
            {n: [s * 1e3 for s in v["in_process_s"]] for n, v in cold.items()},
            False,
        ),
        ("2. warm handler, DynamoDB stubbed (ms)", {n: v["samples_ms"] for n, v in warm.items()}, True),
        ("4./5. local stack, 16 clients (ms)", {n: stack[n]["samples_ms"] for n in loads}, True),
    ]
    figure, axes = plt.subplots(1, 3, figsize=(16, 5))
    for axis, (title, data, log) in zip(axes, panels, strict=True):
        axis.boxplot(list(data.values()), whis=(1, 99), showfliers=False)
        axis.set_xticks(range(1, len(data) + 1), list(data), rotation=30, ha="right")
        axis.set_title(title, fontsize=10)
        if log:
            axis.set_yscale("log")
        axis.grid(axis="y", alpha=0.3)
    figure.suptitle(
        "Snip latency distributions (boxes: p25\u2013p75, line: p50, whiskers: p1\u2013p99)", fontsize=11
    )
    figure.tight_layout()
    figure.savefig(CHART, dpi=90)
    plt.close(figure)
    return CHART


# -- docs/performance.md ------------------------------------------------------------------------
def _cold_section(results: dict[str, Any]) -> str:
    data = results["cold_start"]
    cold = data["variants"]
    bare = cold["bare"]
    rows = []
    for name, v in cold.items():
        rows.append(
            [
                name,
                _ms(v["median_in_process_s"]),
                _ms(v["median_import_s"]),
                _ms(v["median_first_request_s"]),
                _ms(v["median_process_s"]),
                _x(ratio(v["median_in_process_s"], bare["median_in_process_s"])),
                _x(ratio(v["median_process_s"], bare["median_process_s"])),
                v["modules"],
                "yes" if v["xray_loaded"] else "no",
                "yes" if v["pydantic_loaded"] else "no",
            ]
        )
    header = ["variant", "in process ms", "import ms", "first request ms", "process ms",
              "ratio (in process)", "ratio (process)", "modules", "X-Ray SDK", "pydantic"]  # fmt: skip
    return (
        f"{data['rounds']} rounds, variants interleaved in alternating order; medians. *In process*: from "
        "the "
        "probe script's first line to the handler's answer (import + first request: client creation, "
        "connection, the DynamoDB calls); *process*: the whole `python -I -S` process as the benchmark "
        "sees it, interpreter start-up and exit included. Goals are judged on the in-process ratio, the "
        "stricter one (interpreter start-up is the same for every function and dilutes the process ratio). "
        "*bare* imports boto3, creates the client and answers with one GetItem (`bench/bare/bare_app.py`). "
        "keygen's run is the every-minute check on a full pool (one Scan). "
        "*_traced* is the deployed configuration (active tracing on); no function loads the X-Ray SDK, "
        "whose import and botocore patching would cost more than these goals allow "
        "(`instrument(..., trace=False)`; Lambda's active tracing still records each invocation), so a "
        "traced row differs from its untraced one by noise only. shorten's cold request is a POST /links, "
        "served by its lean path (no Event Handler, no pydantic). *resolve* serves the REST API's event "
        "(the API-Gateway-only shape: informational), *resolve_url* the Function URL event (payload "
        "2.0) the front door's distribution sends, on which the goal is judged.\n\n" + _table(header, rows)
    )


def _warm_section(results: dict[str, Any]) -> str:
    data = results["warm"]
    rows = [
        [name, v["n"], f"{v['p50']:.3f}", f"{v['p90']:.3f}", f"{v['p99']:.3f}", f"{v['mean']:.3f}",
         f"{data['dynamodb_requests_per_call'].get(name, 0):g}"]
        for name, v in data["subjects"].items()
    ]  # fmt: skip
    r = data["ratios"]
    return (
        "One process (`python -I -S`, the deployable folders and .lambda-runtime/ on its path); every "
        "DynamoDB request goes through the whole SDK (validation, serialization, SigV4 signing, parsing) "
        "and is answered by a `before-send` hook with a canned body. Subjects run in alternating blocks "
        "with untimed warm-up calls. Tracing off (the X-Ray SDK's per-request subsegments are not "
        "included; resolve never traces). *bare_create* parses the body and sends one conditional "
        "PutItem; shorten sends one TransactWriteItems per create plus one pool Query per 10 creates.\n\n"
        + _table(["subject", "n", "p50 ms", "p90 ms", "p99 ms", "mean ms", "DynamoDB requests/call"], rows)
        + f"\n\nresolve / bare: p50 {_x(r['resolve_p50'])}, p99 {_x(r['resolve_p99'])} (the REST "
        "event, on which the goals are judged)"
        + (
            f"; under the front door's Function URL event (*resolve_url*): p50 {_x(r['resolve_url_p50'])}, "
            f"p99 {_x(r['resolve_url_p99'])}"
            if "resolve_url_p50" in r
            else ""
        )
        + (
            f"; a link with ten redirect rules (*resolve_rules*: device, OS, country, language and "
            f"query conditions, visited by {len(_rules_mix())} real user agents in turn, each with its own "
            f"Accept-Language, country and query): p50 {_x(r['resolve_rules_p50'])}, "
            f"p99 {_x(r['resolve_rules_p99'])}"
            if "resolve_rules_p50" in r
            else ""
        )
        + f". shorten / bare_create: p50 {_x(r['shorten_p50'])}, p99 {_x(r['shorten_p99'])}."
    )


def _rules_mix() -> tuple[object, ...]:
    """The user agents part 2's *resolve_rules* visits with (tests/user_agent_corpus.py)."""
    from tests.user_agent_corpus import CORPUS

    return CORPUS


def _requests_section(results: dict[str, Any]) -> str:
    data = results["dynamodb_requests"]
    labels = {
        "redirect_get": "GET /{key} (redirect, counts a visit)",
        "redirect_head": "HEAD /{key}",
        "create": "POST /links (amortized)",
        "create_idempotent": "POST /links with Idempotency-Key (amortized)",
        "create_idempotent_replay": "POST /links, replayed Idempotency-Key",
        "create_batch_100": "POST /links/batch, 100 creates (one request)",
        "list_page_25": "GET /links, a page of 25",
        "keygen_refill_35": "keygen: refill of 35 keys",
        "keygen_fill_50": "keygen: first fill of 50 keys",
        "keygen_check": "keygen: check, pool full",
    }
    rows = []
    for key, label in labels.items():
        if key not in data:  # results of a run before the part measured it
            continue
        v = data[key]
        breakdown = ", ".join(f"{op} {n / v['operations']:.2f}" for op, n in sorted(v["requests"].items()))
        rows.append(
            [label, v["operations"], f"{v['requests_per_operation']:.2f}", breakdown,
             f"{v['wru_per_operation']:.2f}", f"{v['rru_per_operation']:.2f}"]
        )  # fmt: skip
    fallbacks = data["create"]["metrics"]["PoolEmptyFallbacks"]
    return (
        "Counted at the SDK: a `before-call` hook on `snip.data.clients.dynamodb()` records every request "
        "the "
        "handlers send (in this process, against moto in memory). Capacity is **computed**, not read "
        "from ReturnConsumedCapacity: moto answers fixed numbers whatever the item size, and none for "
        "TransactWriteItems. By DynamoDB's rules, from the items each request touches (looked up with a "
        "second, uncounted client): a write costs 1 WRU per started KB of the larger of the item before "
        "and after, 2 per KB in a transaction (ConditionCheck included); a read 1 RRU per started 4 KB, "
        "half when eventually consistent; a Query or Scan pays for the whole items it reads, projection "
        "or not. Creates run one after another with the pool refilled by keygen (not counted) whenever "
        f"it falls below its threshold; {fallbacks:g} of the {data['create']['operations']} plain creates "
        "fell back to a key generated on the spot (PoolEmptyFallbacks).\n\n"
        + _table(["operation", "n", "requests/op", "by API", "WRU/op", "RRU/op"], rows)
    )


def _stack_rows(stack: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for name in ("creates", "bare_put", "redirects", "bare_get"):
        v = stack[name]
        lat = v["latency_ms"]
        rows.append([name, v["requests"], v["errors"], f"{v['per_second']:.0f}",
                     f"{lat['p50']:.1f}", f"{lat['p99']:.1f}"])  # fmt: skip
    return rows


def _claims_rows(runs: dict[str, dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for label, stack in runs.items():
        c = stack["claims"]
        rows.append(
            [label, c["created"], f"{stack['creates']['per_second']:.0f}",
             f"{c['conflicts_per_create']:.3f}", f"{c['fallbacks_per_create']:.3f}",
             c["duplicate_keys"], f"{c['redirect_mismatches']} of {c['redirects_checked']}",
             c["links_in_table"]]
        )  # fmt: skip
    return rows


def _stack_section(results: dict[str, Any]) -> str:
    stack = results["concurrency"]
    runs = {"default settings (pool target 50, sized by keygen)": stack}
    if "concurrency_sized_pool" in results:
        sized = results["concurrency_sized_pool"]
        runs[f"pool target {sized['settings'].get('SNIP_POOL_TARGET', '?')}"] = sized
    ratio_create = ratio(stack["bare_put"]["per_second"], stack["creates"]["per_second"])
    ratio_redirect = ratio(stack["bare_get"]["per_second"], stack["redirects"]["per_second"])
    return (
        f"`snip serve` on free loopback ports, {stack['workers_per_function']} execution environments per "
        f"function, API Gateway's throttles lifted; {stack['clients']} client threads (one HTTP "
        "connection each). Creates run in rounds interleaved with the bare reference: "
        f"{stack['clients']} threads sending conditional PutItem to the same local moto endpoint (its own "
        "table). Then every created key is followed once (GET, no redirect following) and its Location "
        "checked against the URL it was created for, interleaved with bare GetItem. Conflicts and "
        "fallbacks are the functions' own EMF metrics (KeyClaimConflicts, PoolEmptyFallbacks) read "
        "from the stack's output; *links in table* is a Scan COUNT of the local DynamoDB.\n\n"
        "### 4. Key claims\n\n"
        + _table(
            [
                "run",
                "creates",
                "creates/s",
                "conflicts/create",
                "fallbacks/create",
                "duplicates",
                "redirect mismatches",
                "links in table",
            ],
            _claims_rows(runs),
        )
        + _pool_sizing(results)
        + "\n\n### 5. Throughput and latency (default pool)\n\n"
        + _table(["load", "requests", "errors", "req/s", "p50 ms", "p99 ms"], _stack_rows(stack))
        + f"\n\nThe bare reference does {_x(ratio_create)} the creates/s and {_x(ratio_redirect)} the "
        "redirects/s: it skips the gateway stand-in, the worker hop (a process per environment, JSON "
        "over a pipe), Powertools and our code, and the local stack serves at most "
        f"{stack['workers_per_function']} requests per function at a time on this machine's cores. "
        "Every DynamoDB request of the local stack also waits for one lock (moto is made atomic by "
        "serializing it), which a bare loop of single PutItems feels less than claims that are "
        "transactions over two tables."
    )


def _footprint_section(results: dict[str, Any]) -> str:
    cold = results["cold_start"]["variants"]
    bare_rss = cold["bare"]["median_peak_rss_kb"]
    rows = []
    for name, v in results["footprint"].items():
        rss = {"resolve": "resolve", "shorten": "shorten_traced", "keygen": "keygen_traced"}.get(name, name)
        if rss not in cold:  # no cold-start probe (the aggregator, the console): size only
            rows.append([name, f"{v['asset_bytes']:,}", v["files"], "n/a", "n/a"])
            continue
        peak = cold[rss]["median_peak_rss_kb"]
        rows.append(
            [name, f"{v['asset_bytes']:,}", v["files"], f"{peak / 1024:.1f}", _x(ratio(peak, bare_rss))]
        )
    return (
        "Asset: the bytes of the function's folder as the CDK asset bundles it (the `snip` symlink "
        "followed, `__pycache__` excluded); boto3 and Powertools come from the runtime and the layer. "
        "Peak memory: VmHWM (peak resident set) of the cold-start process, median, in the deployed "
        "tracing configuration. (ru_maxrss is not used: on Linux a child keeps the forking parent's "
        "high-water mark across exec, so every probe would report the benchmark's own size.)\n\n"
        + _table(["function", "asset bytes", "files", "peak RSS MB", "vs bare"], rows)
    )


_COST_LABELS = {
    "cloudfront_request": "CloudFront HTTPS request",
    "cloudfront_transfer_out": "CloudFront data transfer out (the redirect's bytes)",
    "cloudfront_origin_fetch": "origin fetch, Function URL → CloudFront",
    "cloudfront_to_origin": "data transfer CloudFront → origin (a GET)",
    "function_url": "Function URL",
    "api_gateway": "API Gateway REST",
    "lambda_requests": "Lambda requests",
    "lambda_duration": "Lambda duration",
    "dynamodb": "DynamoDB",
    "key_pool_refill": "key pool refill (keygen + its writes, per key)",
    "visit_pipeline": "visit pipeline after the event's put (section 8)",
    "total": "**total**",
}


def _cost_table(columns: dict[str, dict[str, float]]) -> str:
    items = [item for item in _COST_LABELS if any(item in column for column in columns.values())]
    rows = [
        [_COST_LABELS[item]]
        + [f"${column[item]:.3f}" if item in column else "n/a" for column in columns.values()]
        for item in items
    ]
    return _table(["item", *columns], rows)


def _price_rows(data: dict[str, Any]) -> list[list[str]]:
    prices, sources = data["prices"], data.get("price_sources", {})
    rows = []
    for key, (source, checked) in sources.items():
        rows.append([f"`{key}`", f"{prices[key]:g}", checked, source])
    return rows


def _cost_section(results: dict[str, Any]) -> str:
    data = results["cost"]
    prices, assumed = data["prices"], data["assumptions"]
    per = data["per_million_redirects"]
    wire = assumed["redirect_bytes"]
    http_first = per["http_first"]
    waf = data["waf"]
    shape = {"function_url": "the Function URL's payload 2.0 event", "rest": "the REST API's event"}
    return (
        "List prices, each with where it was read and when (`bench/cost.py`, `PRICES` and "
        "`PRICE_SOURCES`); us-east-1 for the regional services, CloudFront's for viewers in the "
        "United States. Free tiers, logs and X-Ray are left out.\n\n"
        + _table(["price", "USD", "checked", "source"], _price_rows(data))
        + "\n\nMemory as the CDK stack configures it (`src/snip_deploy/function_specs.py`): "
        + ", ".join(f"{k} {v} MB" for k, v in assumed["memory_mb"].items())
        + ". Lambda (arm64) duration = the warm p50 of section 2 (our code + SDK, measured here) \u00d7 "
        f"{assumed['full_vcpu_mb']}/memory (Lambda's CPU share: one vCPU at {assumed['full_vcpu_mb']} MB) + "
        f"{assumed['dynamodb_round_trip_ms']:g} ms per DynamoDB request (assumed in-region round trip), "
        f"rounded up to the ms, plus {assumed['cold_start_share']:.0%} of invocations paying the cold "
        "start of section 1 (scaled the same way; INIT is billed since 2025-08): "
        f"resolve ≈ {assumed['resolve_billed_ms']:.1f} ms "
        f"({assumed['resolve_billed_ms_link_in_memory']:.1f} ms with the link in memory), "
        f"shorten ≈ {assumed['shorten_billed_ms']:.1f} ms billed on average. DynamoDB units are those of "
        "section 3. keygen's every-minute check is a fixed ~43,200 invocations a month (cents), "
        "whatever the traffic, and is left out. The functionless sample is "
        "aws-samples/amazon-api-gateway-url-shortener: API Gateway integrates with DynamoDB directly, "
        "a redirect is one GetItem (eventually consistent, 0.5 RRU) and counts no visits, a create is "
        "one PutItem (1 WRU).\n\n"
        "### Per million redirects through CloudFront (the front door)\n\n"
        "US viewers over HTTPS, the hot link's pipeline (a few plain updates per batch); resolve's "
        + (
            "duration as measured under the Function URL event (*resolve_url* of sections 1 and 2). "
            if assumed.get("resolve_measured_as") == "resolve_url"
            else "duration as measured under the REST event (this run had no Function URL variant). "
        )
        + "*Every redirect "
        "reads its link*: the dearer case; *link in memory*: resolve's 2-second memory serves it (a hot "
        "link). The redirect's bytes are measured: resolve's answer to a GET of a link to a typical "
        f"target under {shape[wire['measured_on']]} ({wire['status']}, {wire['resolve_bytes']} bytes as "
        f"HTTP/1.1 text), plus the headers a Function URL and CloudFront add (`bench/cost.py`, "
        f"assumed lengths): {wire['bytes']} bytes a redirect, an upper bound (HTTP/2 and HTTP/3 "
        "compress headers; TLS framing not counted). CloudFront fetches from an AWS origin for "
        "nothing, bills bytes sent to an origin only for DELETE, OPTIONS, PATCH, POST and PUT (a "
        "redirect is a GET), and a Function URL has no price of its own: those lines are $0, shown so "
        "that nobody has to wonder. *Zipf day*: the realistic day of section 8 (10 million redirects "
        "over a million links, Zipf, 4 shards), every redirect reading its link. When every event of a "
        "batch is another link's (the long tail), the pipeline writes twice per event and a redirect "
        f"costs ${per['cloudfront_spread_batches']:.2f} per million.\n\n"
        + _cost_table(
            {
                "every redirect reads its link": per["cloudfront"],
                "link in memory": per["cloudfront_link_in_memory"],
                **({"Zipf day": per["cloudfront_zipf_day"]} if "cloudfront_zipf_day" in per else {}),
            }
        )
        + "\n\n**An http:// short link or QR code.** The distribution redirects viewers to HTTPS: "
        "CloudFront answers the plain-HTTP request itself with a 301 to the same URL over https:// "
        f"(its own small page, {assumed['http_301_bytes']} bytes), and the browser then asks again. "
        f"That adds an HTTP request (${http_first['cloudfront_http_request']:.2f} per million) and "
        f"its bytes (${http_first['cloudfront_transfer_out']:.3f}): "
        f"${http_first['total']:.2f} per million on top of the HTTPS redirect, "
        f"${per['cloudfront']['total'] + http_first['total']:.2f} in all, and two round trips to the "
        "edge before the HTTPS redirect's own (a connection to port 80 and its request; the "
        "visitor then opens the HTTPS connection anyway). Printing https:// in QR codes avoids both.\n\n"
        f"**WAF, a line of its own** (outside the rows above, on or off by the stack's context): "
        f"${waf['per_month_per_web_acl']:.2f} a month per web ACL, ${waf['per_month_per_rule']:.2f} a "
        "month per rule or managed rule group, "
        f"${waf['per_million_requests']:.2f} per million requests it inspects: a redirect through a "
        f"web ACL costs ${per['cloudfront']['total'] + waf['per_million_requests']:.2f} per million "
        "plus the monthly part (with the front door's two rate-based rules and two managed rule "
        f"groups, ${waf['per_month_per_web_acl'] + 4 * waf['per_month_per_rule']:.2f} a month).\n\n"
        "### Per million redirects, API Gateway only (informational)\n\n"
        "The shape a CDK context switch keeps deployable: no distribution, redirects on the REST API "
        f"(${prices['api_gateway_rest_per_million']:.2f}/M requests, first 333 M a month), the same "
        "function (its duration as measured under the REST event), the same pipeline; its data "
        "transfer out is left out. No goal: the front door's "
        "rows above are the goals.\n\n"
        + _cost_table(
            {
                "every redirect reads its link": per["api_gateway_only"],
                "link in memory": per["api_gateway_only_link_in_memory"],
                "functionless sample": per["functionless_sample"],
            }
        )
        + "\n\n### Per million creates\n\n"
        + _cost_table(
            {
                "Snip": data["per_million_creates"]["snip"],
                "functionless sample": data["per_million_creates"]["functionless_sample"],
            }
        )
    )


def _capacity_section(results: dict[str, Any]) -> str:
    found = results.get("capacity")
    if not found:
        return "Not worked out (`python -m bench --report-only` after a run)."
    inputs = found["inputs"]

    def configuration(title: str, name: str) -> str:
        data = found[name]
        config = data["configuration"]
        warm = config["visits_warm_writes_per_second"]
        rows = [
            [
                limit["limit"],
                f"{limit['redirects_per_second']:,.0f}",
                limit["load"],
                limit["visitor_sees"],
            ]
            for limit in data["limits"]
        ]
        return (
            f"### {title}\n\n"
            f"resolve's reserved concurrency {config['resolve_reserved_concurrency']:,}, the visits "
            + (
                f"table's warm throughput {warm:,} writes/s"
                if warm
                else "table as created (no warm throughput)"
            )
            + f", an account quota of {config['account_concurrency_quota']:,} concurrent executions. "
            f"**First throttle: {data['first_throttle']}, at {data['redirects_per_second']:,.0f} "
            "redirects/s.** From cold, Lambda adds at most 1,000 environments every 10 s: "
            f"about {data['seconds_to_scale_from_cold']:g} s before all of them serve, a throttle (429) "
            "meanwhile for what the environments already there cannot take.\n\n"
            + _table(["limit", "redirects/s", "load", "the visitor sees"], rows)
        )

    return (
        "`bench/capacity.py`: the platform's documented limits (Lambda, DynamoDB, CloudFront; "
        "sources in the module), the front door's configurations "
        "(`snip_deploy.front_door`: `DEFAULT_CAPACITY`, `HIGH_TRAFFIC_CAPACITY`) and this run's "
        "figures: resolve's warm duration with the link in memory "
        f"({inputs['warm_ms']:.1f} ms on Lambda, section 7's model of section 2's p50), "
        f"{inputs['write_units_per_redirect']:g} write unit per redirect (section 3), the hot link's "
        f"busiest item at {inputs['busiest_item_writes_at_10k']:g} writes/s at 10,000 redirects/s "
        "(section 8). Each limit as the redirect rate of one link (without `max_visits`) at which it "
        "throttles, lowest first. Modelled, not measured: nothing here reaches AWS. The goal is judged "
        'on the high-traffic configuration, which needs the account\'s "Concurrent executions" quota '
        "raised (Service Quotas, AWS Lambda, L-B99A9384).\n\n"
        + configuration("High-traffic configuration (the goal)", "high_traffic")
        + "\n\n"
        + configuration("Default configuration (informational)", "default")
    )


def _long_tail(found: dict[str, Any]) -> str:
    tail = found.get("long_tail")
    if not tail:
        return ""
    return (
        f"**Long tail.** One full batch of {tail['events']:,} events, each of another link (links "
        f"clicked now and then), links that carry 10 rules, a split, a 200-character title and 1,000 "
        f"characters of notes: {tail['updates']:,} plain updates (each link's hour rollup and its "
        "counters item, each with the shard's watermark; the pipeline's progress twice), "
        f"{tail['transactions']} transactions, {tail['link_item_writes']} writes of a link's own item, "
        f"{tail['counted']:,} visits counted, {tail['write_units_per_event']:.2f} WRU per visit "
        "(1 per started KB of each item): the pipeline's dearest case, and a small deployment's usual "
        "one. The floor is one write per link and hour touched; the second is the link's counters, "
        "kept apart from the link (a link's rules and notes never make counting dearer) so that "
        "GET /links reads them without summing hours. The owner's totals (GET /links/summary) are "
        f"one write per owner and batch: {tail.get('owner_item_writes', 0)} here, every link being "
        "one owner's." + _owner_per_link(found) + "\n\n"
    )


def _owner_per_link(found: dict[str, Any]) -> str:
    tail = found.get("long_tail_owner_per_link")
    if not tail:
        return ""
    return (
        f" The worst case for them, the same batch with every link another owner's ({tail['owners']:,} "
        f"owners): {tail['owner_item_writes']:,} owner writes, {tail['write_units_per_event']:.2f} WRU per "
        "visit (informational: a stack whose every owner has a link clicked in every batch; such "
        "owners' summaries read few links, and would not need the totals)."
    )


def _zipf_day(found: dict[str, Any], results: dict[str, Any]) -> str:
    days = found.get("zipf_day")
    if not days:
        return ""
    per = results["cost"]["per_million_redirects"]
    pipeline = per["pipeline_per_event"]
    rows = [
        [
            name,
            f"{day['minutes']}",
            f"{day['batches']:,}",
            f"{day['events_per_batch']:g}",
            f"{day['distinct_links_per_visit']:.3f}",
            f"{day['writes_per_visit']:.3f}",
            f"{day['write_units_per_event']:.3f}",
        ]
        for name, day in days.items()
    ]
    judged = days["4"]
    hot, tail = pipeline["hot_link"], pipeline["spread"]
    zipf = pipeline.get("zipf_day", {})
    side = _table(
        ["", "hot link", "Zipf day (4 shards)", "long tail"],
        [
            [
                "WRU per visit after the put",
                f"{hot['wru_per_event']:.4f}",
                f"{zipf.get('wru_per_event', math.nan):.3f}",
                f"{tail['wru_per_event']:.3f}",
            ],
            [
                "pipeline per million visits",
                f"${_pipeline_dollars(hot):.3f}",
                f"${_pipeline_dollars(zipf) if zipf else math.nan:.3f}",
                f"${_pipeline_dollars(tail):.3f}",
            ],
            [
                "per million redirects through CloudFront",
                f"${per['cloudfront']['total']:.2f}",
                f"${per.get('cloudfront_zipf_day', {}).get('total', math.nan):.2f}",
                f"${per['cloudfront_spread_batches']:.2f}",
            ],
        ],
    )
    return (
        f"**A realistic day.** {ZIPF_REDIRECTS_PER_DAY:,} redirects over {ZIPF_LINKS:,} links whose "
        "popularity follows Zipf (s = 1.0), arriving evenly over 24 h, through the configured stream "
        f"(batches of at most {VISIT_STREAM.batch_size:,}, a {VISIT_STREAM.max_batching_window_seconds} s "
        "batching window, each shard's events in its own batches) and the aggregator's own code: the "
        f"arrival is even, so every hour costs the same per visit; {judged['minutes']} minutes from an "
        f"hour's start ({judged['visits']:,} visits: the hour items as they grow, and the next hour's "
        "new ones) cost what the day costs per visit (1 and 10 shards, informational: the hour's first "
        "minutes only, their items smaller). "
        "Visitors: referrers and countries Zipf-like over 50 and 25 values, six browsers, a visit in "
        "ten from a QR code, one in fifty a bot. Judged at 4 shards:\n\n"
        + _table(
            [
                "shards",
                "minutes",
                "batches",
                "events per batch",
                "distinct links per visit",
                "writes per visit",
                "WRU per visit",
            ],
            rows,
        )
        + "\n\nSide by side, after the event's put (resolve's PutItem, 1 WRU, is the redirect's own):\n\n"
        + side
        + "\n\n"
    )


def _pipeline_dollars(found: dict[str, float]) -> float:
    return sum(v for k, v in found.items() if k != "wru_per_event")


def _max_visits(found: dict[str, Any]) -> str:
    limited = found.get("max_visits_link")
    if not limited:
        return ""
    rows = [
        [
            f"{rate}",
            f"{row['redirects']:,}",
            f"{row['item_bytes']}",
            f"{row['item_write_units_per_redirect']:g}",
            f"{row['write_units_per_redirect']:g}",
            f"{row['ceiling_redirects_per_second']:,}",
        ]
        for rate, row in limited["rates"].items()
    ]
    return (
        "**A max_visits link under load.** Each redirect counts the visit on the link's counters item "
        "and puts its event in one transaction (`snip.data.limited_visits`) whose condition is the "
        "count (exactly N redirects); the event is the visit's marker, so the item carries none and "
        "stays the same size whatever the rate. Redirects of one link for 3 s at each rate, through "
        "that code on the model:\n\n"
        + _table(
            [
                "redirects/s",
                "redirects",
                "counters item bytes",
                "item WRU per redirect",
                "WRU per redirect",
                "item ceiling, redirects/s",
            ],
            rows,
        )
        + f"\n\nThe item's partition takes about {ITEM_WRITE_UNITS_PER_SECOND:,} write units a second: "
        f"**{limited['ceiling_redirects_per_second']:,} redirects/s** before its ceiling (earlier "
        "versions kept ~30 s of visit markers on the link's own item: near 27/s). Transactions on "
        "one item at once may cancel each other (TransactionConflict): resolve sends a cancelled one "
        "again up to 3 times, then answers 503; the rate at which that bites is DynamoDB's to show, "
        "not this model's.\n\n"
    )


def _visits_section(results: dict[str, Any]) -> str:
    found = results.get("visit_pipeline")
    if not found:
        return "Not run (`python -m bench --only visits`)."
    hot, again, lag = found["hot_link"], found["redelivery"], found["stats_lag_local"]
    cost = results["cost"]["per_million_redirects"]["pipeline_per_event"]["hot_link"]
    spread_shards = ", ".join(f"{n} shards: {w:g}" for n, w in hot["writes_per_second_by_shards"].items())
    return (
        "`bench/pipeline_model.py`. Visit events are items of the visits table keyed by the request id; "
        "its stream has a shard per table partition, each read in order, a batch at a time, and the "
        "aggregator counts each link's events of a batch with one plain conditional update per hour "
        "touched and one of the link's counters item, each moving its own watermark for that shard "
        "(`snip.data.rollups_table`); a day is the sum of its hours. DynamoDB here is an in-memory "
        "model of exactly the aggregator's requests (moto would take minutes for 100,000 events; "
        "tests/service/test_aggregate.py runs the same cases on moto).\n\n"
        f"**Hot link.** {hot['redirects']:,} redirects of one link in one second, spread over "
        f"{hot['shards']} shards (10,000 writes/s need at least 10 partitions of 1,000 WCU) by the hash "
        f"of the request id, each shard's events in batches of at most {hot['batch_size']:,}: "
        f"{hot['batches']} batches, {hot['transactions']} transactions, all {hot['counted']:,} "
        f"visits counted. The busiest item is the link's {hot.get('busiest_item_name', 'rollup')} item with "
        f"{hot['busiest_item_writes_per_second']:g} writes/s (the ~1,000 writes/s ceiling of one item "
        "is never near); resolve's puts each go to an item of their own. A bigger visits table has "
        "more shards, each sending smaller batches, at least one per batching window "
        f"({VISIT_STREAM.max_batching_window_seconds} s) when busy: {spread_shards} writes/s at most "
        "(formula, not measured). The aggregator's updates consumed "
        f"{hot['write_units_per_event']:.4f} WRU per visit.\n\n"
        + _long_tail(found)
        + _zipf_day(found, results)
        + _max_visits(found)
        + f"**Redelivery.** {again['events']:,} events of 200 links over {again['shards']} shards, batches "
        f"of {again['batch_size']} ({again['batches']} batches, {again['invocations']} invocations): "
        f"{again.get('delivered_twice', 0)} batches delivered a second time later on and out of order, "
        f"{again.get('failed_mid_batch', 0)} failing mid-batch after part of a link was counted and "
        "retried from the first failed record (the local mapping's rules, "
        f"`snip_local.stream_poller.Delivery`), 2 % of the events an hour late: "
        f"**{again['lost_or_double_counted']}** visits lost or double-counted (each link's counters "
        f"and every hour rollup checked), {again['given_up']} records given up.\n\n"
        f"**Stats lag, local.** {lag['samples']} redirects through a local stack, each timed from its "
        f"answer to the stats counting it: p50 {lag['p50_s']:.2f} s, p99 {lag['p99_s']:.2f} s, max "
        f"{lag['max_s']:.2f} s ({lag['via']}; the local poller gathers up to a second's records per "
        "invocation).\n\n"
        f"**Cost per event** after the put (hot link): {cost['wru_per_event']:.3f} WRU, "
        f"${cost['dynamodb']:.4f} DynamoDB, ${cost['visits_table_storage']:.4f} the visits table's "
        f"storage, ${cost['s3']:.4f} S3 requests, "
        f"${cost['lambda_requests'] + cost['lambda_duration']:.4f} the aggregator per million."
    )


def _missed_section(results: dict[str, Any]) -> str:
    missed = [goal for goal in check(results) if not goal.met]
    if not missed:
        return "Every goal is met in this run."
    parts = []
    for goal in missed:
        explain = EXPLANATIONS.get(goal.id)
        text = explain(results) if explain else "No explanation recorded for this goal yet."
        parts.append(f"* **{goal.what}: {_goal_value(goal)}** (goal {goal.target}). {text}")
    return "\n".join(parts)


def _cold_import_ms(results: dict[str, Any], name: str) -> str:
    v = results["cold_start"]["variants"]
    return _ms(v[name]["median_import_s"] - v["bare"]["median_import_s"])


def _shorten_cold(results: dict[str, Any]) -> str:
    v = results["cold_start"]["variants"]
    shorten, bare = v["shorten"], v["bare"]
    return (
        "shorten serves a cold POST /links through its lean path (`snip.links_api.lean_create`: plain "
        "functions of the event, the domain's create rules in `snip.domain.link_request`, the hot path's "
        "lean logs and metrics), without the Event Handler, pydantic or the X-Ray SDK, which the other "
        "routes load on their first request (`snip.links_api.event_handler_app`); traced or not, it is "
        f"the same code. Its import takes {_cold_import_ms(results, 'shorten')} ms more than bare's "
        f"({shorten['modules']} modules against {bare['modules']}: Snip's own, and the candidate keys "
        "loaded at init, one Query), and its first request "
        f"{_ms(shorten['median_first_request_s'])} ms against bare's "
        f"{_ms(bare['median_first_request_s'])} (the scope check's GetItem and the claim's "
        "TransactWriteItems). What would close the rest: Lambda SnapStart for Python (an initialized "
        "snapshot instead of the imports), or provisioned concurrency at a fixed price."
    )


def _resolve_cold(results: dict[str, Any]) -> str:
    v = results["cold_start"]["variants"]
    if "resolve_url" not in v:
        return "Part 1 of this run had no Function URL variant: run `python -m bench --only cold`."
    resolve, bare = v["resolve_url"], v["bare"]
    if resolve["statuses"] != [302]:
        return (
            f"resolve answered the Function URL event (payload 2.0) with {resolve['statuses']}, not a "
            "redirect: this run's resolve does not serve the front door's events yet, so the goal "
            "is not judged on a redirect (the REST event's row in section 1 is, "
            f"{_x(ratio(v['resolve']['median_in_process_s'], bare['median_in_process_s']))})."
        )
    return (
        "Under the Function URL event. "
        f"resolve's import ({_ms(resolve['median_import_s'])} ms) is shorter than bare's "
        f"({_ms(bare['median_import_s'])} ms, which creates its client at import), but its first request "
        f"takes {_ms(resolve['median_first_request_s'])} ms against {_ms(bare['median_first_request_s'])} "
        "ms: the client is built on first use (by design: nothing at import), and a cold redirect makes "
        "two DynamoDB requests where bare makes one (the link's GetItem, then the visit event's PutItem, "
        "which must be durable before the answer: about 6 ms against moto here). Beyond bare it loads "
        f"{resolve['modules'] - bare['modules']} modules (Snip's own, about 10 ms; no Powertools). "
        f"In all {_ms(resolve['median_in_process_s'] - bare['median_in_process_s'])} ms over bare; the "
        "process ratio, interpreter start-up included, is "
        f"{_x(ratio(resolve['median_process_s'], bare['median_process_s']))}. The handler already runs "
        "its cold start without the garbage collector (`gc.disable()` first thing in resolve_app; the "
        "first request's end freezes what the start made and collects again): without that pause, runs "
        "of 15 to 25 rounds here gave 1.13 to 1.18, with it 1.06 to 1.08. What would close it: "
        "nothing left inside the handler short of dropping the event's write from the cold path; "
        "Lambda SnapStart (restores an initialized environment) or provisioned concurrency hide cold "
        "starts altogether."
    )


def _keygen_cold(results: dict[str, Any]) -> str:
    v = results["cold_start"]["variants"]
    keygen, bare = v["keygen"], v["bare"]
    return (
        f"keygen loads {keygen['modules'] - bare['modules']} modules more than bare (Powertools' Logger "
        "and Metrics, the key pool; never the X-Ray SDK: `instrument(..., trace=False)`, Lambda's active "
        "tracing still records each run), and its first request builds the client and scans the pool "
        f"({_ms(keygen['median_first_request_s'])} ms against bare's "
        f"{_ms(bare['median_first_request_s'])}). keygen is off the request path (a schedule and "
        "asynchronous invokes), so its cold start costs nobody a wait. What would close it: Logger "
        "and Metrics written by hand, as resolve does (snip.execution.hot_path_telemetry)."
    )


def _warm_p99(results: dict[str, Any]) -> str:
    s = results["warm"]["subjects"]
    return (
        f"resolve's p50 is {s['resolve']['p50'] * 1e3:.0f} µs against bare's "
        f"{s['bare_get']['p50'] * 1e3:.0f} µs; "
        f"its tail ({s['resolve']['p99']:.2f} ms against {s['bare_get']['p99']:.2f} ms) is the shared "
        "machine's (other test runs on the same 2 cores, garbage collection) as much as ours: every request "
        "does the same work (logger context, one UpdateItem, one EMF line printed), with no periodic "
        "flush or refresh. What would close it: a quiet machine or a run on Lambda itself (CloudWatch's "
        "p99 Duration), and, on our side, fewer allocations per request (Logger.inject_lambda_context "
        "builds a context model and the EMF document is serialized on every call)."
    )


def _requests_create(results: dict[str, Any]) -> str:
    create = results["dynamodb_requests"]["create"]
    per = {op: n / create["operations"] for op, n in create["requests"].items()}
    return (
        f"Per create: TransactWriteItems {per.get('TransactWriteItems', 0):.2f}, Query "
        f"{per.get('Query', 0):.2f}, PutItem {per.get('PutItem', 0):.2f}. The design's 1.1 is one "
        "transaction plus one Query per 10 candidates; a candidate load whose random start lies late in "
        "the shard wraps around with a second Query, and an empty-pool fallback adds a PutItem."
    )


def _conflicts(results: dict[str, Any]) -> str:
    claims = results["concurrency"]["claims"]
    return (
        f"With the default settings and 16 clients, {claims['conflicts_per_create']:.3f} conflicts and "
        f"{claims['fallbacks_per_create']:.3f} empty-pool fallbacks per create, keygen's target peaking "
        f"at {claims.get('pool_target_peak')} keys. Conflicts come from environments holding the same "
        "candidate: each keeps 10 keys drawn at random from a 30-key slice of a random shard, so they "
        "meet mostly while the pool is still small (the first seconds of a load, before keygen has "
        "seen the claim rate). Fallbacks come from the same first seconds: the pool holds the "
        "configured 50 keys until keygen's first run under load. No key was ever issued twice: the "
        "conditional transaction decided every conflict. "
    )


def _pool_sizing(results: dict[str, Any]) -> str:
    stack = results["concurrency"]
    claims, after = stack["claims"], stack.get("after_load")
    if not after:
        return ""
    runs = ", ".join(f"{target}/{size}" for target, size in after["runs"])
    return (
        f"\n\nThe pool sizes itself: keygen ran {claims.get('keygen_runs_during_load')} times during the "
        f"load (its schedule and shorten's on-demand requests) and raised its target to "
        f"{claims.get('pool_target_peak')} keys (90 s of the claim rate it measured, at least the "
        f"configured {after['floor']}, at most 20 times that), writing "
        f"{claims['keys_generated_by_keygen']:g} keys for {claims['created']} creates. After the load, "
        "keygen runs as its schedule would (once a minute; here back to back): target/pool after each "
        f"run {runs}; "
        + (
            f"back to the configured {after['floor']} after {after['runs_to_floor']} runs."
            if after["runs_to_floor"]
            else "not back to the configured target within these runs."
        )
    )


def _redirect_cost(results: dict[str, Any]) -> str:
    per = results["cost"]["per_million_redirects"]
    every, memory = per["cloudfront"], per["cloudfront_link_in_memory"]
    return (
        f"Through CloudFront a redirect costs ${every['total']:.2f} per million when every redirect "
        f"reads its link, ${memory['total']:.2f} when resolve's memory serves it. Most of it is fixed "
        f"by list prices: CloudFront's HTTPS request (${every['cloudfront_request']:.2f}), Lambda's "
        f"request (${every['lambda_requests']:.2f}) and the visit event's one write unit "
        f"(${results['cost']['prices']['dynamodb_per_million_wru']:.3f}); the rest is measured here: "
        f"Lambda's duration (${every['lambda_duration']:.3f}, "
        f"{results['cost']['assumptions']['resolve_billed_ms']:.1f} ms billed on average, the 1 % of "
        "invocations that start cold included), the redirect's bytes "
        f"(${every['cloudfront_transfer_out']:.3f}), the link's read (0.5 RRU) and the pipeline "
        f"(${every['visit_pipeline']:.3f}). What would close it: a shorter cold start or fewer of "
        "them (the duration line), a shorter answer (the bytes line), or CloudFront's flat-rate plans "
        "(a fixed monthly price that includes requests and WAF) for a steady high volume."
    )


def _capacity(results: dict[str, Any]) -> str:
    high = results["capacity"]["high_traffic"]
    return (
        f"At the high-traffic configuration the first throttle is {high['first_throttle']} at "
        f"{high['redirects_per_second']:,.0f} redirects/s (section 9). What would close it: more "
        "reserved concurrency for resolve (10 redirects/s each), within a larger account quota, "
        "and a visits table warmed to the rate it must take."
    )


PRICES_PER_WRU = PRICES["dynamodb_per_million_wru"]


def _zipf_cost(results: dict[str, Any]) -> str:
    per = results["cost"]["per_million_redirects"]
    day = results["visit_pipeline"]["zipf_day"]["4"]
    pipeline = per["pipeline_per_event"]["zipf_day"]
    total = per["cloudfront_zipf_day"]["total"]
    aggregator = pipeline["lambda_duration"] + pipeline["lambda_requests"]
    writes = 2 * day["distinct_links_per_visit"] * PRICES_PER_WRU
    return (
        f"The redirect itself (CloudFront, resolve, its read and its event's put) is "
        f"${total - per['cloudfront_zipf_day']['visit_pipeline']:.2f}; the pipeline "
        f"${per['cloudfront_zipf_day']['visit_pipeline']:.2f}: ${pipeline['dynamodb']:.2f} of write units "
        f"({day['write_units_per_event']:.3f} a visit: two plain writes per link and batch, its hour "
        f"and its counters, at {day['distinct_links_per_visit']:.3f} distinct links per visit, and "
        f"{day['write_units_per_event'] - day['writes_per_visit']:.3f} for hour items past 1 KB) and "
        f"${aggregator:.3f} of aggregator (8 links at a time). This design's "
        "floor, every item under 1 KB and the aggregator free, is "
        f"${total - pipeline['dynamodb'] - aggregator + writes:.2f}. "
        "The figure prices every redirect reading its link; resolve's 2-second memory serves a "
        "Zipf day's popular links most of the time (a redirect from memory costs "
        f"${per['cloudfront']['total'] - per['cloudfront_link_in_memory']['total']:.2f} less), "
        "which this goal does not count. "
        "What would close it: one write per link and batch instead of two — the counters item "
        "carrying the link's open hour, moved to its hour item when the hour turns (about 0.8 write "
        "units a visit: near $2.60), a rollover that must itself be exactly once across shards; "
        "not done in this change."
    )


def _local_ratio(results: dict[str, Any]) -> str:
    stack = results["concurrency"]
    return (
        f"The local stack served {stack['redirects']['per_second']:.0f} redirects/s against bare "
        f"moto's {stack['bare_get']['per_second']:.0f}. In this part every redirect is of another "
        "link (each created key followed once): the pipeline's dearest case, two updates of moto per "
        "redirect besides the redirect's own read and put, on the same two cores and the same moto "
        "lock. The local poller now gathers a second's records per invocation (an invocation per "
        "poll before), which does not lessen per-link writes when every link is another. Measured "
        "apart on 2026-12-07 on a quiet machine (not part of make bench; this part alone, run after "
        "run): with the stream poller switched off, no pipeline at all, 117 redirects/s against "
        "bare's 508 (4.35\u00d7); with it 51 against 172 (3.39\u00d7); full runs of make bench "
        "gave 3.45\u00d7 and 3.98\u00d7. The pipeline halves the local stack's redirects but "
        "slows the reference as much (the aggregator counts the redirects' events while bare's "
        "phases run, under the same moto lock), so it is not what holds the ratio above 3.2: the "
        "redirect path is (the gateway, a worker's invocation and two DynamoDB requests, each "
        "through botocore and moto, against bare's one request). Sending DynamoDB's requests "
        "straight to moto's DynamoDB application (skipping its per-request service lookup, a "
        "quarter of the endpoint's time in a py-spy profile) sped both sides up and left the ratio "
        "where it was (4.46\u00d7, 60 against 268/s), so it was not kept. What would close it: "
        "fewer moto requests per counted link (the one-write design above), and a redirect path "
        "with one request where it has two (the event's put batched with others, which the "
        "contract's durable-before-the-answer rule forbids today). It got worse with issues 21 "
        "and 22 (this part alone, one run each, back to back on 2026-12-07): 3.68\u00d7 (57 "
        "against 209/s) at the commit before them, 4.91\u00d7 with the redirect rules alone, "
        "5.39\u00d7 (47 against 255/s) with the search alone, whose faster index Queries on the "
        "local endpoint speed bare up too, and 4.34\u00d7 to 5.66\u00d7 with both; the "
        "redirect path's share of it is not yet profiled."
    )


def _search_page(results: dict[str, Any]) -> str:
    owners = results["owner_scale"]
    page = owners["local_stack"]["search_page"]
    queries = owners["model_check"]["queries"]
    return (
        f"Over {page['n']} rounds the page took {_ms(page['p50_s'])} ms at the median and "
        f"{_ms(page['max_s'])} ms at most. It reads every one of the owner's 10,000 index entries "
        f"({queries} Queries, the term being in no link). moto keeps no index: each Query walks and "
        "sorts the whole links table in Python "
        "(snip_local.moto_queries already spares it moto's copying and weighing of every item), on the 2 "
        "cores this run shares with other work. What would close it: an index the local stack keeps per "
        "owner between writes, or a quieter machine; DynamoDB reads the same Queries from its index."
    )


EXPLANATIONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "search_page_10k": _search_page,
    "cost_zipf_day": _zipf_cost,
    "local_redirects_ratio": _local_ratio,
    "cost_through_cloudfront": _redirect_cost,
    "cost_through_cloudfront_in_memory": _redirect_cost,
    "one_link_capacity": _capacity,
    "cold_resolve": _resolve_cold,
    "cold_shorten": _shorten_cold,
    "cold_shorten_traced": _shorten_cold,
    "cold_keygen": _keygen_cold,
    "cold_keygen_traced": _keygen_cold,
    "warm_resolve_p50": _warm_p99,
    "warm_resolve_p99": _warm_p99,
    "requests_create": _requests_create,
    "requests_create_idempotent": _requests_create,
    "claim_conflicts": _conflicts,
    "claim_fallbacks": _conflicts,
}


def _rerun_note(results: dict[str, Any]) -> str:
    reruns = results.get("reruns") or ([results["rerun"]] if results.get("rerun") else [])
    names = {"cold": ["1"], "warm": ["2"], "requests": ["3"], "concurrency": ["4", "5"], "visits": ["8"]}
    notes = []
    for rerun in reruns:
        numbers = [n for part in rerun["parts"] for n in names.get(part, [part])]
        listed = ", ".join(numbers[:-1]) + f" and {numbers[-1]}" if len(numbers) > 1 else numbers[0]
        notes.append(
            f"{'Parts' if len(numbers) > 1 else 'Part'} {listed} {'were' if len(numbers) > 1 else 'was'} "
            f"re-run alone on {rerun['at']} at commit {rerun.get('commit', '?')} "
            f"(`python -m bench --only {','.join(rerun['parts'])}`)."
        )
    if not notes:
        return ""
    return (
        " ".join(notes)
        + " The other parts are from the full run above; a later re-run's figures replace an earlier one's.\n"
    )


def owner_search_table(owners: dict[str, Any]) -> str:
    """A rare term's search, counted at 10,000 links and modelled at 100,000 (docs/architecture.md)."""
    counted, model = owners["counted"], owners["search_model"]
    pages = counted["search_pages"]
    rows = [
        [f"{counted['links']:,} (counted)", len(pages), max(p["requests"] for p in pages),
         f"{max(p['read_units'] for p in pages):,.1f}", f"{sum(p['read_units'] for p in pages):,.1f}"],
        [f"{model['links']:,} (model)", model["pages"], model["first_page"]["queries"] + 2,
         f"{model['first_page']['read_units']:,.1f}", f"{model['read_units']:,.1f}"],
    ]  # fmt: skip
    return _table(["owner's links", "pages to the end", "requests per page (max)",
                   "read units per page (max)", "read units, every page"], rows)  # fmt: skip


def owner_summary_table(owners: dict[str, Any]) -> str:
    """GET /links/summary from the owner totals, against reading every link (its fallback, and
    what it did before), counted at 10,000 links and modelled at 100,000."""
    counted, model = owners["counted"]["summary"], owners["summary_model"]
    before, reading = owners["counted"]["summary_by_reading"], owners["reading_model"]
    rows = [
        [f"{owners['counted']['links']:,} (counted)", counted["requests"], f"{counted['read_units']:,.1f}",
         before["requests"], f"{before['read_units']:,.1f}"],
        [f"{model['links']:,} (model)", model["requests"], f"{model['read_units']:,.1f}",
         reading["requests"], f"{reading['read_units']:,.1f}"],
    ]  # fmt: skip
    return _table(
        ["owner's links", "requests", "read units", "reading every link: requests", "read units"], rows
    )


def _owner_section(results: dict[str, Any]) -> str:
    owners = results.get("owner_scale")
    if not owners:
        return "Not run yet: `python -m bench --only owners`."
    local = owners["local_stack"]
    check = owners["model_check"]
    entry = owners["counted"]["entry_bytes"]
    rows = [
        [
            name,
            _ms(local[part]["p50_s"]),
            _ms(local[part]["max_s"]),
            f"{local[part]['bytes']:,}",
            ", ".join(f"{n} x {s}" for s, n in sorted(Counter(local[part]["statuses"]).items())),
        ]
        for name, part in (
            ("search page, a term no link holds", "search_page"),
            ("summary", "summary"),
            ("export, first answer (CSV)", "export_csv"),
        )
    ]
    return (
        f"An owner with {owners['counted']['links']:,} links of typical size (the typical target, a title, "
        f"two tags; index entries of {entry:.0f} bytes on average) among another owner's 1,000. "
        "Requests are counted at the SDK in this process (moto, its index Queries answered as the local "
        "stack answers them: each stopped at 1 MB of index entries, as DynamoDB's are); read units are "
        "worked out from the entries each Query read, filter or not, by DynamoDB's item-size rule (moto's "
        "ConsumedCapacity is a fixed number whatever the size). 100,000 links are a model: the same page "
        f"rule on the measured entry size (at 10,000 the model gives {check['pages']} page(s), "
        f"{check['queries']} Queries, {check['read_units']:,.1f} read units for the Queries).\n\n"
        f"{owner_search_table(owners)}\n\n"
        "GET /links/summary reads the owner's totals that the pipeline keeps (the cut, the owner's "
        "item, `Select COUNT` Queries of `by_owner` for the links count, the top-10 candidates' "
        "counters items, the top links), after "
        f"{owners['counted'].get('visits', 0):,} visits of the owner's links went through the "
        "aggregator; beside it, reading every link's counters item (the summary's fallback, and what "
        "it did before; one read unit each, found or not). At 100,000 links only the COUNT Queries "
        "grow (entries of "
        f"{owners['counted'].get('count_entry_bytes', 0):.0f} bytes):\n\n"
        f"{owner_summary_table(owners)}\n\n"
        f"Timed through the local stack (`snip serve`), {local['search_page']['n']} rounds each, warm:\n\n"
        + _table(["request, 10,000 links", "p50 ms", "max ms", "bytes", "answers"], rows)
    )


def write_markdown(results: dict[str, Any], chart: Path | None) -> None:
    machine = results["machine"]
    image = f"![latency distributions]({chart.relative_to(DOCS)})\n\n" if chart else ""
    text = f"""# Performance

Generated by `make bench` (`python -m bench`, {results["seconds"]:.0f} s) on {results["started_at"]},
{machine["cpus"]} CPUs, Python {machine["python"]} ({machine["machine"]}); raw numbers and every sample in
`bench/results/latest.json`. Do not edit by hand: the next `make bench` rewrites this page.
{_rerun_note(results)}
Every Snip number stands next to a reference measured in the same run, interleaved with it: the
*bare* handler (`bench/bare/bare_app.py`: boto3, a client, one DynamoDB request, no Powertools) or
bare moto. The ratios travel between machines better than the absolute numbers, which are this
machine's (x86, shared with other work), not Lambda's (arm64, CPU in proportion to memory). No
request leaves 127.0.0.1; DynamoDB is moto, never AWS.

## Goals

{_table(["goal", "measured", "target", "verdict"], _goal_rows(results))}

### Missed goals: why, and what would close them

{_missed_section(results)}

{image}## 1. Cold start per function

{_cold_section(results)}

## 2. Warm handler cost

{_warm_section(results)}

## 3. DynamoDB requests and capacity per operation

{_requests_section(results)}

## 4. and 5. Under concurrency, through the local stack

{_stack_section(results)}

## 6. Footprint

{_footprint_section(results)}

## 7. Cost on AWS

{_cost_section(results)}

## 8. The visit pipeline

{_visits_section(results)}

## 9. One link through the front door: capacity

{_capacity_section(results)}

## 10. An owner's links at scale

{_owner_section(results)}

## Running it

`make bench` builds the venv and `.lambda-runtime/` and runs `python -m bench` (the chart needs
matplotlib: `pip install -r bench/requirements.txt`; without it the chart is skipped): about
{results["seconds"] / 60:.0f} minutes on 2 cores, every
load loop bounded in count and in time, servers on 127.0.0.1 only, and only the processes it started
are stopped. The parts: `bench/coldstart.py` (1, 6), `bench/warm.py` (2), `bench/requests_count.py` (3),
`bench/concurrency.py` (4, 5), `bench/footprint.py` (6), `bench/cost.py` (7),
`bench/pipeline_model.py` (8), `bench/capacity.py` (9), `bench/owner_scale.py` (10); the goals in
`bench/goals.py`.
`python -m bench --only requests,concurrency` runs part 3 and/or 4 and 5 again (`--only` takes
cold, warm, requests, concurrency, visits and owners) and keeps the other parts' last results; 7 and 9 are
worked out again from them.
"""
    MARKDOWN.write_text(text)


__all__ = ["CHART", "MARKDOWN", "ROOT", "console", "write_chart", "write_markdown"]
