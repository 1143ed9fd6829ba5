"""Run a handler as Lambda would: a clean interpreter whose path is its folder and the runtime.

``.lambda-runtime/`` (built by ``make runtime`` from functions/runtime-requirements.txt) holds the
Python runtime's boto3 and the Powertools layer; with ``-I -S`` nothing else is importable (no
site-packages, no PYTHON* variables, no working directory). Used for the source folders
(tests/service) and for the synthesized assets (tests/infra). DynamoDB is a moto server on loopback.

A source folder with a requirements.txt also gets ``.lambda-deps/<name>/`` (``make runtime``
installs its pins there), which is what synth installs into its asset; an asset holds them already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from snip_deploy.tables import create_tables

ROOT = Path(__file__).resolve().parents[1]
LAMBDA_RUNTIME = ROOT / ".lambda-runtime"
LAMBDA_DEPS = ROOT / ".lambda-deps"
FUNCTIONS_DIR = ROOT / "functions"
REGION = "us-east-1"
_MARKER = "@@handler-result@@"

_RUNNER = f"""
import gc, importlib, json, sys
spec = json.loads(sys.stdin.read())
sys.path[:0] = spec["path"]

class Context:
    function_name = spec["function_name"]
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:{REGION}:123456789012:function:" + function_name
    memory_limit_in_mb = 512
    aws_request_id = "sandbox"
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "sandbox"
    def get_remaining_time_in_millis(self):
        return 10_000

module_name, _, function = spec["handler"].rpartition(".")
handler = getattr(importlib.import_module(module_name), function)
collecting_after_import = gc.isenabled()
result = handler(spec["event"], Context())
snip = sys.modules.get("snip")
print("{_MARKER}" + json.dumps({{
    "result": result,
    "collecting": [collecting_after_import, gc.isenabled()],
    "frozen": gc.get_freeze_count(),
    "modules": sorted(sys.modules),
    "snip_file": getattr(snip, "__file__", None),
}}, default=str))
"""


@contextmanager
def moto_dynamodb(tables: Mapping[str, str]) -> Iterator[str]:
    """A moto server on 127.0.0.1 with Snip's tables (env name -> table name); yields its endpoint."""
    if not (LAMBDA_RUNTIME / ".installed").exists():
        raise RuntimeError(".lambda-runtime/ is missing: run `make runtime` (make test does)")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id="x", aws_secret_access_key="x",
    )  # fmt: skip
    create_tables(client, dict(tables))
    try:
        yield endpoint
    finally:
        server.stop()


def lambda_path(folder: Path) -> list[str]:
    """What Lambda would have on the path for ``folder``: the folder (plus, for a source folder
    with a requirements.txt, its installed pins in .lambda-deps/<name>/), then the runtime."""
    path = [str(folder)]
    if folder.parent == FUNCTIONS_DIR and (folder / "requirements.txt").is_file():
        deps = LAMBDA_DEPS / folder.name
        if not (LAMBDA_DEPS / ".installed").exists() or not deps.is_dir():
            raise RuntimeError(f"{deps} is missing: run `make runtime` (make test does)")
        path.append(str(deps))
    return [*path, str(LAMBDA_RUNTIME)]


def base_environment(endpoint: str) -> dict[str, str]:
    """What every sandboxed function gets: fake credentials, moto, no X-Ray daemon."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def run_handler(
    folder: Path, handler: str, event: dict[str, Any], env: Mapping[str, str], function_name: str
) -> dict[str, Any]:
    """Import ``handler`` from ``folder`` in a clean interpreter, serve ``event``; return what happened:
    ``result`` (the handler's answer), ``modules`` (everything it imported), ``snip_file``,
    ``collecting`` (whether the garbage collector ran after the import and after the event) and
    ``frozen`` (how many objects ``gc.freeze`` had moved out of its way by then)."""
    spec = {
        "path": lambda_path(folder),
        "handler": handler,
        "function_name": function_name,
        "event": event,
    }
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _RUNNER],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env={**env, "AWS_LAMBDA_FUNCTION_NAME": function_name},
        cwd=folder,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [line for line in done.stdout.splitlines() if line.startswith(_MARKER)]
    return dict(json.loads(line.removeprefix(_MARKER)))
