"""Each function's synthesized asset runs: imported with nothing but what Lambda would give it.

The asset folder from the cloud assembly, plus ``.lambda-runtime/`` (the Python runtime's boto3
and the Powertools layer, built by ``make runtime``), is all that is on ``sys.path``: a missing
file in the asset or an import of something Lambda does not have fails here, not in AWS.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from snip.routes import FUNCTIONS
from snip.settings import Env
from snip.tables import ALL_TABLES, KEYS, create_tables
from tests.infra.conftest import Assembly
from tests.infra.helpers import resource
from tests.service.events import rest_event

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_RUNTIME = REPO_ROOT / ".lambda-runtime"
REGION = "us-east-1"
RESULT_MARKER = "@@handler-result@@"

# Runs in a clean interpreter (-S -I: no site-packages, no PYTHON* variables, no cwd on the path).
RUNNER = f"""
import importlib, json, sys
spec = json.loads(sys.stdin.read())
sys.path[:0] = [spec["asset"], spec["runtime"]]

class Context:
    function_name = spec["function_name"]
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:{REGION}:123456789012:function:" + function_name
    memory_limit_in_mb = 512
    aws_request_id = "asset-test"
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "asset-test"
    def get_remaining_time_in_millis(self):
        return 10_000

module = importlib.import_module(spec["module"])
result = module.handler(spec["event"], Context())
print("{RESULT_MARKER}" + json.dumps(result, default=str))
"""

SCHEDULED_EVENT = {
    "version": "0",
    "id": "00000000-0000-0000-0000-000000000000",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-01-01T00:00:00Z",
    "region": REGION,
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/snip-keygen"],
    "detail": {},
}


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[tuple[str, dict[str, str]]]:
    """moto in server mode on loopback, with the tables under names of this test's own."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    suffix = uuid.uuid4().hex[:8]
    names = {table.env_name: f"asset-{table.logical_id.lower()}-{suffix}" for table in ALL_TABLES}
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    create_tables(client, names)
    try:
        yield endpoint, names
    finally:
        for name in names.values():
            client.delete_table(TableName=name)
        server.stop()


def asset_dir(assembly: Assembly, name: str) -> Path:
    found = resource(assembly.templates["Snip"], "AWS::Lambda::Function", f"{name.title()}Function")
    return assembly.directory / found["Metadata"]["aws:asset:path"]


def lambda_environment(
    assembly: Assembly, name: str, endpoint: str, tables: dict[str, str]
) -> dict[str, str]:
    """The function's environment as the template sets it, table references resolved to moto's."""
    found = resource(assembly.templates["Snip"], "AWS::Lambda::Function", f"{name.title()}Function")
    env: dict[str, str] = {}
    for key, value in found["Properties"]["Environment"]["Variables"].items():
        if key in tables:
            env[key] = tables[key]
        elif key == Env.KEYGEN_FUNCTION:
            env[key] = "snip-keygen"
        else:
            assert isinstance(value, str), f"{key} is set from an unknown reference {value}"
            env[key] = value
    return {
        **env,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # No X-Ray daemon here; Lambda's active tracing is a template property tested elsewhere.
        Env.TRACE_DISABLED: "true",
        "LANG": "C.UTF-8",
    }


def invoke(assembly: Assembly, dynamodb: tuple[str, dict[str, str]], name: str, event: dict[str, Any]) -> Any:
    assert (LAMBDA_RUNTIME / ".installed").exists(), "build the Lambda runtime emulation first: make runtime"
    asset = asset_dir(assembly, name)
    module = FUNCTIONS[name].handler.rpartition(".")[0]
    assert (asset / f"{module}.py").is_file(), f"{name}'s entry point is missing from its asset {asset}"
    endpoint, tables = dynamodb
    spec = {
        "asset": str(asset),
        "runtime": str(LAMBDA_RUNTIME),
        "module": module,
        "function_name": f"snip-{name}",
        "event": event,
    }
    done = subprocess.run(
        [sys.executable, "-S", "-I", "-c", RUNNER],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env=lambda_environment(assembly, name, endpoint, tables),
        cwd=asset,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (result,) = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    return json.loads(result.removeprefix(RESULT_MARKER))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_asset_carries_the_shared_package_as_files(assembly: Assembly, name: str) -> None:
    asset = asset_dir(assembly, name)
    assert not (asset / "snip").is_symlink()
    assert (asset / "snip" / "settings.py").is_file()
    assert not list(asset.rglob("__pycache__"))
    # One function's folder, not the repository.
    assert {p.name for p in asset.iterdir()} <= {f"{name}_app.py", "snip"}


def test_resolve_asset_answers_404_for_an_unknown_key(assembly: Assembly, dynamodb: Any) -> None:
    function, event = rest_event("GET", "/AbC1234", api_key_id=None)
    assert function == "resolve"
    response = invoke(assembly, dynamodb, "resolve", event)
    assert response["statusCode"] == 404


def test_shorten_asset_answers_health(assembly: Assembly, dynamodb: Any) -> None:
    function, event = rest_event("GET", "/health", api_key_id=None)
    assert function == "shorten"
    response = invoke(assembly, dynamodb, "shorten", event)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}


def test_keygen_asset_fills_the_pool(assembly: Assembly, dynamodb: Any) -> None:
    endpoint, tables = dynamodb
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )

    def pool() -> int:
        count: int = client.scan(TableName=tables[KEYS.env_name], Select="COUNT")["Count"]
        return count

    assert pool() == 0
    invoke(assembly, dynamodb, "keygen", SCHEDULED_EVENT)
    assert pool() >= assembly.settings.pool_target
