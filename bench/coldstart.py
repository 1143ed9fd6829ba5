"""1. Cold start and 6. peak memory: a fresh process per run, Snip's functions versus the bare handler.

Each run is ``python -I -S bench/probes/cold_probe.py``: a clean interpreter with only the function's folder
and .lambda-runtime/ on its path, importing the handler and serving one event against a moto server
on 127.0.0.1. Variants run interleaved, in alternating order, round after round.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_events import function_url_event, get_event, post_event
from bench.common import BARE, PROBES, PYTHON, ROOT, RUNTIME, dynamodb_client, lambda_env, median, moto_server
from snip_deploy.function_specs import KEYGEN, RESOLVE, SHORTEN
from tests.service.visits_table_setup import ensure_visits_table

SEED_KEY = "Bench01"
SEED_URL = "https://example.com/cold/start"


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    function: str  # the function whose environment it gets
    folder: Path
    handler: str
    event: str  # "get" | "get_url" | "post" | "schedule"
    tracing: bool


VARIANTS = (
    Variant("bare", "bare", BARE, "bare_app.handler", "get", True),
    # resolve never loads the X-Ray SDK (trace=False), so the deployed configuration is the only one.
    Variant("resolve", RESOLVE.name, ROOT / RESOLVE.folder, RESOLVE.handler, "get", True),
    # The same GET as the front door's distribution sends it: a Function URL event (payload 2.0).
    Variant("resolve_url", RESOLVE.name, ROOT / RESOLVE.folder, RESOLVE.handler, "get_url", True),
    Variant("shorten", SHORTEN.name, ROOT / SHORTEN.folder, SHORTEN.handler, "post", False),
    Variant("shorten_traced", SHORTEN.name, ROOT / SHORTEN.folder, SHORTEN.handler, "post", True),
    Variant("keygen", KEYGEN.name, ROOT / KEYGEN.folder, KEYGEN.handler, "schedule", False),
    Variant("keygen_traced", KEYGEN.name, ROOT / KEYGEN.folder, KEYGEN.handler, "schedule", True),
)
SCHEDULE_EVENT = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


def _top_up_pool(endpoint: str) -> None:
    """Keep the pool full at its configured target, and keygen's sizing at rest (no claims seen,
    no rate remembered), so that each keygen run is the every-minute check (one Scan, no write):
    without the reset, a run right after shorten's claims, or after another keygen run, sizes a
    refill or a trim on them and measures that instead."""
    from snip.data.key_pool_table import SIZING_KEY, SIZING_SHARD, KeyPoolTable
    from snip.operations.key_pool import refill_pool
    from snip.settings import get_settings

    settings = dataclasses.replace(get_settings(), pool_refill_ratio=1.0)
    client = dynamodb_client(endpoint)
    pool_table = KeyPoolTable(client, settings.keys_table, settings.links_table)
    client.delete_item(
        TableName=settings.keys_table,
        Key={"shard": {"N": str(SIZING_SHARD)}, "key": {"S": SIZING_KEY}},
    )
    refill_pool(pool_table, settings)


def _seed(endpoint: str) -> None:
    dynamodb_client(endpoint).put_item(
        TableName="snip-links",
        Item={
            "key": {"S": SEED_KEY},
            "url": {"S": SEED_URL},
            "owner": {"S": "bench"},
            "created_at": {"S": "2025-01-01T00:00:00Z"},
            "redirect_status": {"N": "302"},
            "visits": {"N": "0"},
            "bot_visits": {"N": "0"},
            "disabled": {"BOOL": False},
        },
    )


def _run_once(variant: Variant, event_path: Path, out_path: Path, endpoint: str) -> dict[str, Any]:
    env = lambda_env(variant.function, endpoint=endpoint, tracing=variant.tracing, folder=variant.folder)
    command = [PYTHON, "-I", "-S", str(PROBES / "cold_probe.py"), str(variant.folder), str(RUNTIME)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, variant.handler, str(event_path), str(out_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"cold start of {variant.name} failed:\n{done.stderr.decode()[-2000:]}")
    result = json.loads(out_path.read_text())
    result["process_s"] = wall
    return result


def run(rounds: int = 31, max_seconds: float = 240) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {v.name: [] for v in VARIANTS}
    deadline = time.monotonic() + max_seconds
    with moto_server() as endpoint, tempfile.TemporaryDirectory(prefix="snip-bench-") as tmp:
        ensure_visits_table(
            dynamodb_client(endpoint)
        )  # resolve's cold redirect: GetItem + the event's PutItem
        _seed(endpoint)
        paths = {name: Path(tmp) / f"{name}.json" for name in ("get", "get_url", "post", "schedule")}
        paths["post"].write_text(json.dumps(post_event()))
        paths["schedule"].write_text(json.dumps(SCHEDULE_EVENT))
        out_path = Path(tmp) / "out.json"
        done_rounds = 0
        for index in range(rounds):
            # Each round's redirects are new visits (a new request id; under the Function URL
            # event a new X-Amz-Cf-Id), as each cold start on Lambda serves a new viewer: the
            # event's put is written, not refused as a visit already counted.
            paths["get"].write_text(json.dumps(get_event(SEED_KEY)))
            paths["get_url"].write_text(json.dumps(function_url_event(SEED_KEY)))
            _top_up_pool(endpoint)  # shorten's runs claim from a full pool
            order = VARIANTS if index % 2 == 0 else tuple(reversed(VARIANTS))
            for variant in order:
                if variant.event == "schedule":
                    # Every keygen run finds the same pool: just topped up (no claims since, by
                    # shorten's runs or a keygen run a moment ago, to size a refill on).
                    _top_up_pool(endpoint)
                runs[variant.name].append(_run_once(variant, paths[variant.event], out_path, endpoint))
            done_rounds += 1
            if time.monotonic() > deadline:
                break
    return {"rounds": done_rounds, "variants": {name: _summarize(results) for name, results in runs.items()}}


def _summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    def series(field: str) -> list[float]:
        return [r[field] for r in results]

    return {
        "in_process_s": series("total_s"),
        "process_s": series("process_s"),
        "median_in_process_s": median(series("total_s")),
        "median_import_s": median(series("import_s")),
        "median_first_request_s": median(series("first_request_s")),
        "median_process_s": median(series("process_s")),
        "median_peak_rss_kb": median(series("peak_rss_kb")),
        "statuses": sorted({r["status"] for r in results}, key=str),
        "modules": results[0]["modules"] if results else None,
        "xray_loaded": any(r["xray_loaded"] for r in results),
        "pydantic_loaded": any(r["pydantic_loaded"] for r in results),
    }
