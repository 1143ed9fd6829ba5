"""Each function runs from its own deployable folder with only what Lambda gives it.

A clean interpreter (-I -S: no site-packages, no PYTHONPATH) gets exactly the function's folder
and .lambda-runtime/ (boto3 + the Powertools layer, built by `make runtime`) on its path, imports
the handler and serves one event against a moto server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from snip.routes import FUNCTIONS
from snip.settings import DEFAULT_TABLES
from snip.tables import create_tables
from tests.service.events import rest_event

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / ".lambda-runtime"

SCRIPT = """
import json, sys
folder, runtime, handler_ref = sys.argv[1:4]
sys.path[:0] = [folder, runtime]
module_name, function_name = handler_ref.split(".")
module = __import__(module_name)
handler = getattr(module, function_name)

class Context:
    function_name = "snip"; function_version = "$LATEST"; memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:snip"
    aws_request_id = "deployable-test"; log_group_name = "g"; log_stream_name = "s"
    def get_remaining_time_in_millis(self): return 10000

result = handler(json.loads(sys.stdin.read()), Context())
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("moto", "pytest", "snip_local", "infra"))
origin = sys.modules["snip"].__file__
print(json.dumps({"result": result, "forbidden": bad, "snip": origin}, default=str))
"""


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    if not (RUNTIME / ".installed").exists():
        pytest.fail(".lambda-runtime/ is missing: run `make runtime` (make test does)")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    create_tables(boto3.client("dynamodb", endpoint_url=endpoint), DEFAULT_TABLES)
    yield endpoint
    server.stop()


def run_handler(name: str, event: dict, endpoint: str) -> dict:
    function = FUNCTIONS[name]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_LAMBDA_FUNCTION_NAME": f"snip-{name}",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "SNIP_PUBLIC_BASE_URL": "https://sho.rt",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            SCRIPT,
            str(ROOT / function.folder),
            str(RUNTIME),
            function.handler,
        ],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_keygen_runs_from_its_folder(moto_endpoint: str) -> None:
    out = run_handler("keygen", {"source": "aws.events", "detail-type": "Scheduled Event"}, moto_endpoint)
    assert out["result"]["pool_after"] >= 50
    assert out["forbidden"] == []
    assert out["snip"].startswith(str(ROOT / "functions" / "keygen"))


def test_shorten_runs_from_its_folder(moto_endpoint: str) -> None:
    _, event = rest_event("POST", "/links", body={"url": "https://example.com/deployable"})
    out = run_handler("shorten", event, moto_endpoint)
    assert out["result"]["statusCode"] == 201, out
    assert out["forbidden"] == []
    assert out["snip"].startswith(str(ROOT / "functions" / "shorten"))


def test_resolve_runs_from_its_folder_without_pydantic(moto_endpoint: str) -> None:
    _, event = rest_event("GET", "/Missing1", api_key_id=None)
    out = run_handler("resolve", event, moto_endpoint)
    assert out["result"]["statusCode"] == 404
    assert out["forbidden"] == []


def test_resolve_cold_start_stays_lean(moto_endpoint: str) -> None:
    """The hot path imports neither pydantic, the Event Handler nor the X-Ray SDK."""
    folder = ROOT / FUNCTIONS["resolve"].folder
    probe = (
        "import sys; sys.path[:0] = sys.argv[1:3]; import resolve_app; "
        "heavy = ('pydantic', 'aws_xray_sdk', 'aws_lambda_powertools.event_handler'); "
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(folder), str(RUNTIME)],
        capture_output=True, text=True, timeout=60, check=True,
        env={"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"},
    )  # fmt: skip
    assert done.stdout.strip() == "[]"
