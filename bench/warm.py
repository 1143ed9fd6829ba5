"""2. Warm handler cost: per-request time of Snip's handlers and the bare handler, DynamoDB stubbed.

One clean interpreter (``-I -S``, the deployable folders and .lambda-runtime/ on its path) runs
bench/probes/warm_probe.py: subjects in alternating blocks, every DynamoDB request answered by a canned
``before-send`` hook. Tracing is off (POWERTOOLS_TRACE_DISABLED=true), so the X-Ray SDK's per-request
subsegments are not in these numbers; resolve never traces.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.bench_events import TEN_RULES, function_url_event, get_event, post_event, rules_events
from bench.common import BARE, PROBES, PYTHON, ROOT, RUNTIME, lambda_env, ratio, summary
from snip.data.item_codec import to_item
from snip.domain.redirect_rules import check_rules, encode
from snip.domain.validation import check_url

RULES_KEY = "Bench10"


def rules_link() -> dict[str, Any]:
    """The link item of ``RULES_KEY``: as the probe's bare link, with ten rules (as stored)."""
    return dict(
        to_item(
            {
                "key": RULES_KEY,
                "url": "https://example.com/a/reasonably/long/path?with=query&and=more",
                "owner": "bench-key-id",
                "created_at": "2025-01-01T00:00:00Z",
                "redirect_status": 302,
                "rules": encode(check_rules(TEN_RULES, check_url)),
            }
        )
    )


def run(blocks: int = 10, per_block: int = 300, warmup: int = 30, max_seconds: float = 90) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="snip-bench-") as tmp:
        config = {
            "folders": [str(ROOT / "functions/resolve"), str(ROOT / "functions/shorten"), str(BARE)],
            "events": {
                "get": json.dumps(get_event("Bench01")),
                "get_url": json.dumps(function_url_event("Bench01")),
                "post": json.dumps(post_event()),
                "get_rules": [json.dumps(event) for event in rules_events(RULES_KEY)],
            },
            "rules_link": rules_link(),
            "blocks": blocks,
            "per_block": per_block,
            "warmup": warmup,
            "max_seconds": max_seconds,
        }
        config_path, out_path = Path(tmp) / "config.json", Path(tmp) / "out.json"
        config_path.write_text(json.dumps(config))
        done = subprocess.run(
            [
                PYTHON,
                "-I",
                "-S",
                str(PROBES / "warm_probe.py"),
                str(RUNTIME),
                str(config_path),
                str(out_path),
            ],
            env=lambda_env("shorten", endpoint="http://127.0.0.1:9", tracing=False),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=max_seconds + 120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"warm benchmark failed:\n{done.stderr.decode()[-3000:]}")
        raw = json.loads(out_path.read_text())
    subjects = {
        name: {**summary(samples, scale=1e-6), "samples_ms": [s * 1e-6 for s in samples]}
        for name, samples in raw["samples_ns"].items()
    }
    for subject in subjects.values():
        subject["samples_ms"] = [round(s, 4) for s in subject["samples_ms"]]
    return {
        "unit": "ms",
        "subjects": subjects,
        "dynamodb_requests_per_call": raw["dynamodb_requests_per_call"],
        "ratios": {
            "resolve_p50": ratio(subjects["resolve"]["p50"], subjects["bare_get"]["p50"]),
            "resolve_p99": ratio(subjects["resolve"]["p99"], subjects["bare_get"]["p99"]),
            "resolve_url_p50": ratio(subjects["resolve_url"]["p50"], subjects["bare_get"]["p50"]),
            "resolve_url_p99": ratio(subjects["resolve_url"]["p99"], subjects["bare_get"]["p99"]),
            "resolve_rules_p50": ratio(subjects["resolve_rules"]["p50"], subjects["bare_get"]["p50"]),
            "resolve_rules_p99": ratio(subjects["resolve_rules"]["p99"], subjects["bare_get"]["p99"]),
            "shorten_p50": ratio(subjects["shorten"]["p50"], subjects["bare_create"]["p50"]),
            "shorten_p99": ratio(subjects["shorten"]["p99"], subjects["bare_create"]["p99"]),
        },
    }
