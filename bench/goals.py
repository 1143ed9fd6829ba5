"""The goals of the "Proof" issue, checked against one run's results."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from bench.common import ratio

RATIO = "\u00d7"  # the multiplication sign: "1.15\u00d7"


@dataclass(frozen=True)
class Goal:
    id: str
    what: str
    measured: float
    limit: float
    unit: str  # RATIO for ratios, "" for counts, "$" for dollars
    at_least: bool = False  # the goal is a floor (measured ≥ limit), not a ceiling

    @property
    def met(self) -> bool:
        return self.measured >= self.limit if self.at_least else self.measured <= self.limit

    @property
    def target(self) -> str:
        """The target as the page prints it: "≤ 1.15" and the ratio sign, "≤ $2.10", "≥ 10,000"."""
        value = f"${self.limit:.2f}" if self.unit == "$" else f"{self.limit:,g}{self.unit}"
        return f"{'≥' if self.at_least else '≤'} {value}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


def check(results: dict[str, Any]) -> list[Goal]:
    cold = results["cold_start"]["variants"]
    bare = cold["bare"]["median_in_process_s"]

    def cold_ratio(name: str) -> float:
        return ratio(cold[name]["median_in_process_s"], bare)

    warm = results["warm"]["ratios"]
    counts = results["dynamodb_requests"]
    claims = results["concurrency"]["claims"]
    after_load = results["concurrency"].get("after_load", {})
    return [
        # The front door sends resolve Function URL events (payload 2.0): the goal is judged on
        # those; the REST API's event (the API-Gateway-only shape) stays a row of part 1.
        Goal(
            "cold_resolve",
            "cold start, resolve / bare (Function URL event, as the front door sends it)",
            cold_ratio("resolve_url") if _redirected(cold.get("resolve_url")) else math.inf,
            1.15,
            RATIO,
        ),
        Goal("cold_shorten", "cold start, shorten / bare (tracing off)", cold_ratio("shorten"), 1.35, RATIO),
        Goal(
            "cold_shorten_traced",
            "cold start, shorten / bare (tracing on, as deployed)",
            cold_ratio("shorten_traced"),
            1.35,
            RATIO,
        ),
        Goal("cold_keygen", "cold start, keygen / bare (tracing off)", cold_ratio("keygen"), 1.35, RATIO),
        Goal(
            "cold_keygen_traced",
            "cold start, keygen / bare (tracing on, as deployed)",
            cold_ratio("keygen_traced"),
            1.35,
            RATIO,
        ),
        Goal("warm_resolve_p50", "warm p50, resolve / bare", warm["resolve_p50"], 1.5, RATIO),
        Goal("warm_resolve_p99", "warm p99, resolve / bare", warm["resolve_p99"], 1.5, RATIO),
        Goal(
            "warm_resolve_rules_p50",
            "warm p50, resolve with 10 rules / bare",
            warm.get("resolve_rules_p50", math.inf),
            1.5,
            RATIO,
        ),
        Goal(
            "requests_redirect",
            "DynamoDB requests per GET redirect (link in memory)",
            counts["redirect_get_warm"]["requests_per_operation"],
            1,
            "",
        ),
        Goal(
            "requests_redirect_cold",
            "DynamoDB requests per GET redirect (link not in memory)",
            counts["redirect_get"]["requests_per_operation"],
            2,
            "",
        ),
        Goal(
            "hot_link_item_requests",
            "hot link: link item requests per redirect",
            counts["hot_link"]["link_item_requests_per_redirect"],
            0.01,
            "",
        ),
        *_front_door_goals(results),
        Goal(
            "requests_create",
            "DynamoDB requests per create (amortized)",
            counts["create"]["requests_per_operation"],
            1.2,
            "",
        ),
        Goal(
            "requests_create_idempotent",
            "DynamoDB requests per create with an Idempotency-Key",
            counts["create_idempotent"]["requests_per_operation"],
            3.2,
            "",
        ),
        Goal(
            "requests_batch_100",
            "DynamoDB requests per batch of 100 creates (POST /links/batch)",
            counts["create_batch_100"]["requests_per_operation"]
            if "create_batch_100" in counts
            else math.inf,
            5,
            "",
        ),
        Goal(
            "requests_refill",
            "DynamoDB requests per refill of 35 keys",
            counts["keygen_refill_35"]["requests_per_operation"],
            4,
            "",
        ),
        Goal(
            "claim_conflicts",
            "key-claim conflicts per create, 16 clients",
            claims["conflicts_per_create"] or 0.0,
            0.1,
            "",
        ),
        Goal(
            "claim_fallbacks",
            "empty-pool fallbacks per create, 16 clients",
            claims["fallbacks_per_create"] or 0.0,
            0.01,
            "",
        ),
        Goal(
            "pool_back_to_floor",
            "keygen runs after the load until the pool is back to its configured target",
            after_load.get("runs_to_floor") or math.inf,
            10,
            "",
        ),
        Goal("duplicates", "duplicate keys, 16 clients", claims["duplicate_keys"], 0, ""),
        Goal(
            "redirect_mismatches",
            "keys not redirecting to their own URL",
            claims["redirect_mismatches"],
            0,
            "",
        ),
        *_visit_goals(results.get("visit_pipeline")),
        *_pipeline_cost_goals(results),
        *_owner_goals(results.get("owner_scale")),
    ]


def _owner_goals(owners: dict[str, Any] | None) -> list[Goal]:
    """Part 10: a search page of an owner with 10,000 links, on the local stack, under a second."""
    if not owners:
        return []
    page = owners["local_stack"]["search_page"]
    return [
        Goal(
            "search_page_10k",
            "search page, rare term, 10,000 links, local stack (p50, s)",
            round(page["p50_s"], 3),
            1.0,
            "",
        )
    ]


def _redirected(variant: dict[str, Any] | None) -> bool:
    """Whether every run of a cold-start variant was answered with a redirect (a 404 would time
    another path than the redirect's)."""
    return bool(variant) and variant["statuses"] == [302]


def _front_door_goals(results: dict[str, Any]) -> list[Goal]:
    """Part 7's redirects through CloudFront (US viewers, HTTPS, a hot link's pipeline) and part 9's
    one link at the documented high-traffic configuration."""
    per_million = results["cost"]["per_million_redirects"]
    goals = [
        Goal(
            "cost_through_cloudfront",
            "cost per million redirects through CloudFront",
            round(per_million["cloudfront"]["total"], 2),
            2.10,
            "$",
        ),
        Goal(
            "cost_through_cloudfront_in_memory",
            "cost per million redirects through CloudFront, link in memory",
            round(per_million["cloudfront_link_in_memory"]["total"], 2),
            2.00,
            "$",
        ),
    ]
    if "capacity" in results:
        goals.append(
            Goal(
                "one_link_capacity",
                "one link: redirects per second before the first throttle",
                results["capacity"]["high_traffic"]["redirects_per_second"],
                10_000,
                "",
                at_least=True,
            )
        )
    return goals


def _visit_goals(found: dict[str, Any] | None) -> list[Goal]:
    """Part 8 (bench/pipeline_model.py), when it was run."""
    if not found:
        return []
    return [
        Goal(
            "hot_link_busiest_item",
            "hot link: busiest item writes per second at 10,000 redirects/s",
            found["hot_link"]["busiest_item_writes_per_second"],
            100,
            "",
        ),
        Goal(
            "visits_redelivery",
            "visits lost or double-counted under redelivery",
            found["redelivery"]["lost_or_double_counted"],
            0,
            "",
        ),
        Goal("stats_lag_local", "stats lag p99, local", found["stats_lag_local"]["p99_s"], 5, ""),
        Goal(
            "pipeline_long_tail",
            "visit pipeline write units per visit, long tail",
            round(found["long_tail"]["write_units_per_event"], 3),
            3.0,
            "",
        ),
        *(
            [
                Goal(
                    "pipeline_zipf_day",
                    "visit pipeline write units per visit, Zipf day",
                    round(found["zipf_day"]["4"]["write_units_per_event"], 3),
                    1.5,
                    "",
                )
            ]
            if "zipf_day" in found
            else []
        ),
        *(
            [
                Goal(
                    "max_visits_ceiling",
                    "max_visits link: redirects per second before the item's write ceiling",
                    found["max_visits_link"]["ceiling_redirects_per_second"],
                    250,
                    "",
                    at_least=True,
                )
            ]
            if "max_visits_link" in found
            else []
        ),
    ]


def _pipeline_cost_goals(results: dict[str, Any]) -> list[Goal]:
    """Issue 19's realistic day through CloudFront, and the local stack's redirect rate."""
    goals = []
    zipf = results.get("cost", {}).get("per_million_redirects", {}).get("cloudfront_zipf_day")
    if zipf:
        goals.append(
            Goal(
                "cost_zipf_day",
                "cost per million redirects through CloudFront, Zipf day",
                round(zipf["total"], 2),
                3.00,
                "$",
            )
        )
    stack = results.get("concurrency", {})
    if stack.get("redirects", {}).get("per_second") and stack.get("bare_get", {}).get("per_second"):
        goals.append(
            Goal(
                "local_redirects_ratio",
                "local redirects per second, bare / Snip",
                round(ratio(stack["bare_get"]["per_second"], stack["redirects"]["per_second"]), 2),
                3.2,
                RATIO,
            )
        )
    return goals
