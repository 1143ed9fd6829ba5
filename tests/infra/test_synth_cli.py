"""The two ways to synthesize: ``make synth`` (``python -m infra.synth``) and the CDK CLI (``make deploy``).

Both read cdk.json; the CLI must find nothing in it to warn about (a reserved context key, unset
feature flags), and ``make synth`` must say what is missing when Node.js is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.app import STACK_NAME
from infra.synth import ASSET_METADATA, NODE_NEEDED, REPO_ROOT, cdk_json_context
from tests.infra.conftest import DEFAULT, Assembly

# Where `make test` installs the CLI (npm, no global install); else one on PATH.
LOCAL_CLI = REPO_ROOT / ".cdk-cli" / "node_modules" / ".bin" / "cdk"


def cdk_cli() -> str | None:
    return str(LOCAL_CLI) if LOCAL_CLI.exists() else shutil.which("cdk")


def test_synth_without_node_says_that_node_is_needed(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # an empty folder: no node, no npx
    result = subprocess.run(
        [sys.executable, "-m", "infra.synth", "--outdir", str(tmp_path / "out")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert NODE_NEEDED in result.stderr
    assert "Traceback" not in result.stderr


def test_cdk_json_holds_no_reserved_key_and_asset_metadata_stays_on() -> None:
    settings = json.loads((REPO_ROOT / "cdk.json").read_text())
    assert not [key for key in settings["context"] if key.startswith("aws:")]
    assert cdk_json_context()[ASSET_METADATA] is True  # what the CLI passes for "assetMetadata"


def test_the_cdk_cli_synthesizes_the_same_stack_without_a_warning(tmp_path: Path, assembly: Assembly) -> None:
    cli = cdk_cli()
    if cli is None:
        pytest.skip("the CDK CLI is not installed: `make test` installs it into .cdk-cli/ with npm")
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run(
        [cli, "synth", "--quiet", "--output", str(tmp_path / "cli.out")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    warnings = [
        line
        for line in result.stderr.splitlines()
        if "reserved context key" in line or "feature flags are not configured" in line
    ]
    assert not warnings
    template = json.loads((tmp_path / "cli.out" / f"{STACK_NAME}.template.json").read_text())
    types = sorted(r["Type"] for r in template["Resources"].values() if r["Type"] != "AWS::CDK::Metadata")
    made = assembly.templates[DEFAULT]  # the CLI adds only its version-reporting resource
    assert types == sorted(r["Type"] for r in made["Resources"].values())
