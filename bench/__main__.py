"""``python -m bench`` (``make bench``): run every benchmark, write bench/results/latest.json,
docs/performance.md and the latency chart, and print the summary table. ``--only requests,concurrency``
runs those parts again (of cold, warm, requests, concurrency, visits, owners) and keeps the rest of the last
results; cost (7) and capacity (9) are worked out again from them. ``--report-only`` runs nothing;
``--help`` prints this.

The whole run is bounded (about 6 minutes on 2 cores); each part has its own time limit too.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench import (
    capacity,
    coldstart,
    concurrency,
    cost,
    footprint,
    goals,
    owner_scale,
    pipeline_model,
    report,
    requests_count,
    warm,
)
from bench.common import RESULTS, ROOT, RUNTIME

BUDGET_SECONDS = 540  # make bench must end within 10 minutes, the venv and runtime built


def _memory_settings() -> dict[str, int]:
    """Each function's memory, as the CDK stack configures it (src/snip_deploy/function_specs.py)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from snip_deploy.function_specs import ALL_FUNCTIONS

    return {spec.name: spec.memory_mb for spec in ALL_FUNCTIONS}


def rewrite_report() -> int:
    """``python -m bench --report-only``: re-render the page and chart from bench/results/latest.json."""
    results = json.loads((RESULTS / "latest.json").read_text())
    chart = report.write_chart(results)
    report.write_markdown(results, chart)
    print(report.console(results))
    return 0


def main() -> int:
    if {"--help", "-h"} & set(sys.argv[1:]):
        print(__doc__)
        return 0
    if "--report-only" in sys.argv[1:]:
        return rewrite_report()
    if sys.argv[1:2] == ["--only"]:
        parts = sys.argv[2].split(",") if len(sys.argv) > 2 else []
        if not parts or not set(parts) <= set(PARTS):
            print(f"bench: --only takes a comma-separated list of {', '.join(PARTS)}", file=sys.stderr)
            return 2
        return rerun(parts)
    if not (RUNTIME / ".installed").exists():
        print("bench: .lambda-runtime/ is missing: run `make runtime` (make bench does)", file=sys.stderr)
        return 2
    started = time.monotonic()

    def step(title: str, run: Any) -> Any:
        print(f"bench: {title} ...", flush=True)
        began = time.monotonic()
        value = run()
        print(f"bench: {title} done in {time.monotonic() - began:.0f} s", flush=True)
        return value

    def remaining() -> float:
        return BUDGET_SECONDS - (time.monotonic() - started)

    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "machine": platform.machine(),
        },
    }
    results["cold_start"] = step("1. cold starts (31 rounds)", PARTS["cold"][1])
    results["warm"] = step("2. warm handler cost", PARTS["warm"][1])
    results["dynamodb_requests"] = step("3. DynamoDB requests per operation", requests_count.run)
    results["concurrency"] = step(
        "4./5. key claims and redirects, local stack, default settings", lambda: _concurrency(remaining())
    )
    results["footprint"] = footprint.run()
    results["visit_pipeline"] = step("8. the visit pipeline", pipeline_model.run)
    results["owner_scale"] = step("10. an owner's links at scale", owner_scale.run)
    results["seconds"] = time.monotonic() - started
    return _write(results)


def _concurrency(remaining: float) -> dict[str, Any]:
    return concurrency.run(per_client=100, rounds=4, max_seconds=min(180, remaining - 90))


PARTS = {  # what ``--only`` can run again
    "cold": ("cold_start", lambda: coldstart.run(31, 200)),
    "warm": ("warm", lambda: warm.run(per_block=1000, max_seconds=75)),
    "requests": ("dynamodb_requests", lambda: requests_count.run()),
    "concurrency": ("concurrency", lambda: _concurrency(BUDGET_SECONDS)),
    "visits": ("visit_pipeline", lambda: pipeline_model.run()),
    "owners": ("owner_scale", lambda: owner_scale.run()),
}


def rerun(parts: list[str]) -> int:
    """``python -m bench --only requests,concurrency``: run those parts again, keep the other
    parts' results from bench/results/latest.json, and rewrite the page, which names the parts
    re-run and when."""
    results = json.loads((RESULTS / "latest.json").read_text())
    results.pop("concurrency_sized_pool", None)  # no longer run: keygen sizes the default pool
    for part in parts:
        key, run = PARTS[part]
        began = time.monotonic()
        results[key] = run()
        print(f"bench: {part} done in {time.monotonic() - began:.0f} s", flush=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Every re-run since the full run, so that the page names each part's origin.
    earlier = results.pop("reruns", None) or ([results["rerun"]] if "rerun" in results else [])
    results.pop("rerun", None)
    results["reruns"] = [*earlier, {"parts": parts, "at": stamp, "commit": _commit()}]
    return _write(results)


def _commit() -> str:
    """The commit measured (``-dirty`` if the work tree had changes), for the page to name."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "functions", "bench/*.py")
    return git("rev-parse", "--short", "HEAD") + ("-dirty" if dirty else "")


def _write(results: dict[str, Any]) -> int:
    # Cost and capacity are arithmetic on the other parts' figures: worked out again whatever was re-run.
    results["cost"] = cost.run(
        results["warm"],
        results["cold_start"],
        results["dynamodb_requests"],
        _memory_settings(),
        pipeline_model.typical_event_item(),
        results["visit_pipeline"],
    )
    results["capacity"] = capacity.run(
        results["cost"], results["dynamodb_requests"], results["visit_pipeline"]
    )
    results["goals"] = [goal.as_dict() for goal in goals.check(results)]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    chart = report.write_chart(results)
    report.write_markdown(results, chart)
    print(report.console(results))
    print(f"bench: wrote {RESULTS / 'latest.json'}, {report.MARKDOWN}" + (f", {chart}" if chart else ""))
    print(f"bench: {results['seconds']:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
