"""Schemathesis against the local stack's own /openapi.json: no server error, no response off-schema.

Every operation of the document, with generated valid (positive) and invalid (negative) requests;
/links routes carry the API key. Path keys are generated, and also a real key, so that 200, 204,
302 and 410 answers get checked as well as 404s. Derandomized, bounded examples per operation.

Then Schemathesis' own CLI from outside, as a user would run it: every check (`--checks all`) and
every phase, the stateful one included, bounded in examples and time; the false positives it would
report are documented in docs/reliability.md, and relaxed in schemathesis.toml and
schemathesis_hooks.py, each marked with its number there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from tests.e2e.stacks import REPO, Stack
from tests.reliability import figures
from tests.reliability.conftest import LONG

# A dev dependency (pyproject's dev extras); skipped, visibly, where it is not installed yet.
schemathesis = pytest.importorskip("schemathesis", minversion="4.0")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = 200 if LONG else 50  # per operation, generation mode and path key
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def make_link(stack: Stack, **fields: Any) -> str:
    body = {"url": "https://example.com/schema", **fields}
    response = requests.post(f"{stack.base_url}/links", json=body, headers=stack.headers(), timeout=30)
    response.raise_for_status()
    return str(response.json()["key"])


def path_keys(stack: Stack) -> list[dict[str, Any] | None]:
    """Generated keys (None), a live link, one whose only visit is spent, and a deleted one."""
    spent = make_link(stack, max_visits=1)
    assert requests.get(f"{stack.base_url}/{spent}", allow_redirects=False, timeout=30).status_code == 302
    deleted = make_link(stack)
    requests.delete(
        f"{stack.base_url}/links/{deleted}", headers=stack.headers(), timeout=30
    ).raise_for_status()
    return [None, {"key": make_link(stack)}, {"key": spent}, {"key": deleted}]


def with_a_valid_url(case: Any) -> Any:
    """Generated bodies rarely hold a URL that passes validation; give some cases one, for 201s."""
    if isinstance(case.body, dict):
        case.body = {k: v for k, v in case.body.items() if k in ("max_visits", "redirect_status")}
        case.body["url"] = "https://example.com/generated"
    return case


def exercise(
    strategy: Any, base_url: str, session: requests.Session, statuses: Counter[str], failures: list[str]
) -> None:
    """Send ``EXAMPLES`` generated cases; count each answer and collect every check that breaks."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, timeout=60)
        statuses[f"{case.method.upper()} {case.path} {response.status_code}"] += 1
        try:  # 204s and redirects too: the document declares them empty, and they are
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, AssertionError) as failure:  # collected: one report lists every break
            failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {failure}")

    try:
        run()
    except Unsatisfiable:  # nothing to negate (no parameters, or all of them fixed): no case to send
        statuses["unsatisfiable"] += 0


def test_every_operation_keeps_to_its_schema(local_stack: Stack) -> None:
    schema = schemathesis.openapi.from_url(f"{local_stack.base_url}/openapi.json", timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /links",
        "GET /links/{key}",
        "PATCH /links/{key}",
        "DELETE /links/{key}",
        "GET /{key}",
        "HEAD /{key}",
        "GET /health",
    }  # fmt: skip  (the document itself, /openapi.json, is what Schemathesis loaded)
    session = requests.Session()
    statuses: Counter[str] = Counter()
    failures: list[str] = []

    for operation in operations:
        headers = local_stack.headers() if operation.path.startswith("/links") else None
        variants = path_keys(local_stack) if "{key}" in operation.path else [None]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in variants:
                strategy = operation.as_strategy(
                    generation_mode=mode, headers=headers, path_parameters=path_parameters
                )
                exercise(strategy, local_stack.base_url, session, statuses, failures)
                if operation.path == "/links" and mode is GenerationMode.POSITIVE:
                    exercise(
                        strategy.map(with_a_valid_url), local_stack.base_url, session, statuses, failures
                    )

    by_status = Counter(entry.rsplit(" ", 1)[1] for entry in statuses.elements())
    figures.record(
        "schemathesis",
        operations=len(operations),
        requests=sum(by_status.values()),
        statuses=dict(sorted(by_status.items())),
        server_errors=sum(n for code, n in by_status.items() if code.startswith("5")),
        check_failures=len(failures),
    )
    assert not failures, "\n\n".join(failures[:10])


# -- from outside: `schemathesis run`, every check, every phase (the stateful one too) --------
CONFIG = Path(__file__).with_name("schemathesis.toml")  # the documented false positives, FP2, FP3, FP5
HOOKS = "tests.reliability.schemathesis_hooks"  # FP4
EXCLUDED = "unsupported_method"  # FP1; on the command line, where `--checks all` would override the file
CLI_EXAMPLES, CLI_SECONDS = (100, 180) if LONG else (25, 60)


def test_every_check_and_the_stateful_phase_from_outside(local_stack: Stack, tmp_path: Path) -> None:
    """Schemathesis' own CLI, as a user would run it: 0 failures but the documented false positives."""
    report = tmp_path / "schemathesis.json"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{local_stack.base_url}/openapi.json",
        "--checks=all",
        f"--exclude-checks={EXCLUDED}",
        "--phases=examples,coverage,fuzzing,stateful",
        f"--header=x-api-key: {local_stack.headers()['x-api-key']}",
        f"--max-examples={CLI_EXAMPLES}",
        f"--max-time={CLI_SECONDS}",
        "--max-redirects=0",  # a redirect's target is someone else's site: never followed
        "--workers=1",
        "--seed=1",
        "--generation-database=none",
        "--no-color",
        "--report=json",
        f"--report-json-path={report}",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=CLI_SECONDS + 120, check=False
    )
    summary = json.loads(report.read_text())
    phases = {name: phase["status"] for name, phase in summary["phases"].items()}
    figures.record(
        "schemathesis_cli",
        operations=summary["operations"]["tested"],
        cases=summary["test_cases"]["generated"],
        phases=phases,
        failures=summary["test_cases"]["unique_failures"],
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert phases["stateful"] == "success", phases
    assert summary["test_cases"]["unique_failures"] == 0
