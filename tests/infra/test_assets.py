"""Each function's synthesized asset runs: imported with nothing but what Lambda would give it.

The asset folder from the cloud assembly, plus ``.lambda-runtime/`` (the Python runtime's boto3
and the Powertools layer, built by ``make runtime``), is all that is on ``sys.path``: a missing
file in the asset or an import of something Lambda does not have fails here, not in AWS.

A function's third-party packages are in its asset because synth installed them there
(infra/function_bundling.py, the pins of its requirements.txt): each asset holds the pinned
releases its function imports, and nothing else of ours or of another function's.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib.metadata
import json
import re
import time
import uuid
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import boto3
import pytest

from infra.function_bundling import REQUIREMENTS, dist_info_name, read_pins
from infra.lambda_function import ARCHITECTURE, ASSET_EXCLUDE, RUNTIME, function_code
from infra.synth import ASSET_METADATA
from snip.settings import Env
from snip_deploy.function_specs import CONSOLE, FUNCTIONS, KEYGEN, SHORTEN, VISIT_STREAM
from snip_deploy.tables import ALL_TABLES, KEYS, LINKS, ROLLUPS, VISITS
from snip_local.local_config import function_name
from snip_local.stream_poller import window_event
from tests.infra.conftest import Assembly
from tests.infra.helpers import logical_id, resource
from tests.lambda_sandbox import REGION, base_environment, moto_dynamodb, run_handler
from tests.service.lambda_events import rest_event
from tests.visits import SAFARI_IPHONE, put_events, stream_record, visit

REPO = Path(__file__).resolve().parents[2]
# What CloudFront names a distribution (its DomainName), for the functions told it.
DISTRIBUTION_BASE_URL = "https://d111111abcdef8.cloudfront.net"
RUNTIME_PACKAGE = REPO / "src" / "snip"
# function -> {distribution: version}, from its requirements.txt (empty: it has none).
PINS = {
    name: read_pins(REPO / spec.folder / REQUIREMENTS) if (REPO / spec.folder / REQUIREMENTS).exists() else {}
    for name, spec in FUNCTIONS.items()
}
# What each function imports that is not ours nor Lambda's: the import name, the function.
THIRD_PARTY_IMPORTS = {"segno": "shorten", "ua_parser": "aggregate"}
# The functions that run the runtime package (their folder holds the `snip` symlink); the console
# serves static files and imports nothing of it.
WITH_RUNTIME = sorted(name for name, spec in FUNCTIONS.items() if (REPO / spec.folder / "snip").is_symlink())

SCHEDULED_EVENT = {
    "version": "0",
    "id": "00000000-0000-0000-0000-000000000000",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-01-01T00:00:00Z",
    "region": REGION,
    "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{function_name(KEYGEN.name)}"],
    "detail": {},
}


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[tuple[str, dict[str, str]]]:
    """moto in server mode on loopback, with the tables under names of this test's own."""
    suffix = uuid.uuid4().hex[:8]
    names = {table.env_name: f"asset-{table.logical_id.lower()}-{suffix}" for table in ALL_TABLES}
    with moto_dynamodb(names) as endpoint:
        yield endpoint, names


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
            env[key] = function_name(KEYGEN.name)
        elif key == Env.EVENTS_BUCKET:
            continue  # no S3 here: the raw archive is tested on its own (tests/service)
        elif key == Env.PUBLIC_BASE_URL and not isinstance(value, str):
            # The front door's name, known at deploy time (infra/distribution.py).
            distribution = logical_id(
                assembly.templates["Snip"], "AWS::CloudFront::Distribution", "FrontDoor"
            )
            assert value == {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution, "DomainName"]}]]}
            env[key] = DISTRIBUTION_BASE_URL
        else:
            assert isinstance(value, str), f"{key} is set from an unknown reference {value}"
            env[key] = value
    return {**env, **base_environment(endpoint)}


def invoke(assembly: Assembly, dynamodb: tuple[str, dict[str, str]], name: str, event: dict[str, Any]) -> Any:
    asset = asset_dir(assembly, name)
    module = FUNCTIONS[name].handler.rpartition(".")[0]
    assert (asset / f"{module}.py").is_file(), f"{name}'s entry point is missing from its asset {asset}"
    endpoint, tables = dynamodb
    environment = lambda_environment(assembly, name, endpoint, tables)
    return run_handler(asset, FUNCTIONS[name].handler, event, environment, function_name(name))["result"]


def installed_files(asset: Path) -> set[str]:
    """The files the wheels installed into ``asset`` (their RECORDs), less what pip put outside
    the install folder (scripts, data), which the bundler drops."""
    return {
        line.rsplit(",", 2)[0]
        for record in asset.glob("*.dist-info/RECORD")
        for line in record.read_text().splitlines()
        if line and not line.startswith("..")
    }


def own_files(name: str) -> set[str]:
    """The function folder's own files (its entry point, the aggregator's visit_classes.py), less
    what the asset leaves out (infra.lambda_function.ASSET_EXCLUDE: requirements.txt among it)."""
    folder = REPO / FUNCTIONS[name].folder
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file()
        and p.relative_to(folder).parts[0] != "snip"
        and not any(
            fnmatch(part, pattern) for part in p.relative_to(folder).parts for pattern in ASSET_EXCLUDE
        )
    }


def test_only_the_console_goes_without_the_runtime_package() -> None:
    assert sorted(set(FUNCTIONS) - set(WITH_RUNTIME)) == [CONSOLE.name]


@pytest.mark.parametrize("name", WITH_RUNTIME)
def test_asset_carries_the_shared_package_as_files(assembly: Assembly, name: str) -> None:
    asset = asset_dir(assembly, name)
    assert not (asset / "snip").is_symlink()
    assert (asset / "snip" / "settings.py").is_file()
    assert not list(asset.rglob("__pycache__"))
    # One function's folder and its installed packages, not the repository.
    assert {p.relative_to(asset).parts[0] for p in asset.rglob("*")} <= {
        Path(f).parts[0] for f in own_files(name) | installed_files(asset)
    } | {"snip"}


@pytest.mark.parametrize("name", WITH_RUNTIME)
def test_asset_carries_only_runtime_code(assembly: Assembly, name: str) -> None:
    """Exactly the entry point, the runtime package's modules and the files of the wheels its
    requirements.txt pins: no deploy-time or local code."""
    asset = asset_dir(assembly, name)
    files = {p.relative_to(asset).as_posix() for p in asset.rglob("*") if not p.is_dir()}
    runtime = {
        f"snip/{p.relative_to(RUNTIME_PACKAGE).as_posix()}"
        for p in RUNTIME_PACKAGE.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert f"{name}_app.py" in own_files(name)
    assert files == own_files(name) | runtime | installed_files(asset), f"{name}'s asset: {sorted(files)}"
    for banned in ("snip_deploy", "snip_local", "infra", "tests", "__pycache__", ".mypy_cache", "bin"):
        assert not [f for f in files if banned in f.split("/")], f"{banned} in {name}'s asset"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_asset_holds_the_pinned_releases_of_its_requirements_and_nothing_else(
    assembly: Assembly, name: str
) -> None:
    """One dist-info per pin of the function's requirements.txt, at the pinned version (so every
    dependency pip resolved is pinned too); none in a function without one."""
    asset = asset_dir(assembly, name)
    assert {p.name for p in asset.glob("*.dist-info")} == {dist_info_name(*pin) for pin in PINS[name].items()}
    for distribution, version in PINS[name].items():
        metadata = (asset / dist_info_name(distribution, version) / "METADATA").read_text()
        assert f"\nVersion: {version}\n" in metadata, f"{distribution} in {name}'s asset is not {version}"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_asset_holds_what_its_function_imports_and_no_other_functions_packages(
    assembly: Assembly, name: str
) -> None:
    asset = asset_dir(assembly, name)
    for package, owner in THIRD_PARTY_IMPORTS.items():
        assert (asset / package / "__init__.py").is_file() is (owner == name), f"{package} in {name}"


def test_the_dev_venv_has_the_functions_pins() -> None:
    """`make venv` installs every functions/*/requirements.txt: the in-process tests and mypy see
    the releases the assets carry."""
    for pins in PINS.values():
        for distribution, version in pins.items():
            assert importlib.metadata.version(distribution) == version, f"{distribution}: run `make venv`"


def synthesized_code_hash(folder: Path, outdir: Path) -> str:
    """The asset hash of ``function_code`` for a function whose deployable folder is ``folder``."""
    app = cdk.App(outdir=str(outdir), context={ASSET_METADATA: True})
    stack = cdk.Stack(app, "HashProbe")
    spec = dataclasses.replace(SHORTEN, folder=str(folder))
    cdk.aws_lambda.Function(
        stack, "Probe", code=function_code(spec), handler=SHORTEN.handler, runtime=RUNTIME,
        architecture=ARCHITECTURE,
    )  # fmt: skip
    app.synth()
    (function,) = [
        r for r in json.loads((outdir / "HashProbe.template.json").read_text())["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    ]  # fmt: skip
    assert not (outdir / function["Metadata"]["aws:asset:path"] / REQUIREMENTS).exists()
    assert (outdir / function["Metadata"]["aws:asset:path"] / "segno" / "__init__.py").is_file()
    return str(function["Metadata"]["aws:asset:path"])


def test_the_asset_hash_follows_the_requirements(tmp_path: Path) -> None:
    """requirements.txt stays out of the asset but not out of its hash: a changed file is a new
    asset (CDK would otherwise deploy the old packages); the same folder, the same asset."""
    folder = tmp_path / "function"
    folder.mkdir()
    (folder / "shorten_app.py").write_text("def handler(event, context):\n    return None\n")
    requirements = (REPO / SHORTEN.folder / REQUIREMENTS).read_text()
    (folder / REQUIREMENTS).write_text(requirements)
    first = synthesized_code_hash(folder, tmp_path / "one")
    assert synthesized_code_hash(folder, tmp_path / "two") == first
    (folder / REQUIREMENTS).write_text(requirements + "# another line\n")
    assert synthesized_code_hash(folder, tmp_path / "three") != first


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


def test_shorten_asset_draws_a_qr_code_with_its_installed_segno(assembly: Assembly, dynamodb: Any) -> None:
    """segno comes from the asset itself: nothing but the asset and the runtime is on the path."""
    _, create = rest_event("POST", "/links", body={"url": "https://example.com/", "alias": "asset-qr"})
    assert invoke(assembly, dynamodb, "shorten", create)["statusCode"] == 201
    _, event = rest_event("GET", "/links/asset-qr/qr?format=png&size=128")
    response = invoke(assembly, dynamodb, "shorten", event)
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]).startswith(b"\x89PNG")


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


def test_aggregate_asset_counts_a_batch(assembly: Assembly, dynamodb: Any) -> None:
    """The asset's installed ua-parser loads with nothing but the runtime, and a batch counts."""
    endpoint, tables = dynamodb
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    links = tables[LINKS.env_name]
    client.put_item(
        TableName=links, Item={"key": {"S": "Asset01"}, "visits": {"N": "0"}, "bot_visits": {"N": "0"}}
    )
    events = [visit("Asset01", n, user_agent=SAFARI_IPHONE) for n in range(3)]
    put_events(client, tables[VISITS.env_name], events)
    records = [stream_record(event, n) for n, event in enumerate(events)]
    event = window_event(records, "shardId-00000001900000000000-00000001", VISIT_STREAM, time.time())
    assert invoke(assembly, dynamodb, "aggregate", event) == {"batchItemFailures": [], "state": {}}
    counters = {"key": {"S": "Asset01"}, "bucket": {"S": "link"}}  # the link's counters item
    stored = client.get_item(TableName=tables[ROLLUPS.env_name], Key=counters)["Item"]
    assert stored["visits"] == {"N": "3"}


def test_console_asset_is_its_entry_point_and_static_files(assembly: Assembly) -> None:
    asset = asset_dir(assembly, CONSOLE.name)
    files = {p.relative_to(asset).as_posix() for p in asset.rglob("*") if not p.is_dir()}
    source = REPO / CONSOLE.folder / "static"
    static = {f"static/{p.name}" for p in source.iterdir() if p.is_file()}
    assert files == {"console_app.py"} | static
    assert {"static/index.html", "static/console.js", "static/api.js", "static/console.css"} <= files


def console_get(assembly: Assembly, dynamodb: Any, path: str, domain: str | None = None) -> dict[str, Any]:
    """GET on the execute-api URL (paths start with /prod), or on a custom domain (no prefix)."""
    options = {"domain": domain} if domain else {}
    function, event = rest_event("GET", path, api_key_id=None, **options)
    assert function == CONSOLE.name
    response: dict[str, Any] = invoke(assembly, dynamodb, CONSOLE.name, event)
    return response


def test_console_asset_serves_fingerprinted_files_under_the_stage(assembly: Assembly, dynamodb: Any) -> None:
    page = console_get(assembly, dynamodb, "/")
    assert page["statusCode"] == 200
    assert page["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert page["headers"]["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page["headers"]["Content-Security-Policy"]
    # On the execute-api URL every path carries the stage: the page's URLs and its API base too.
    assert '<meta name="snip-base" content="/prod">' in page["body"]
    names = re.findall(r'"/prod/_/([^"]+)"', page["body"])
    assert {re.sub(r"\.[0-9a-f]{10}\.", ".", n) for n in names} >= {"console.js", "api.js", "console.css"}
    for name in names:
        asset = console_get(assembly, dynamodb, f"/_/{name}")
        assert asset["statusCode"] == 200, name
        assert asset["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"
        digest = name.split(".")[-2]
        assert hashlib.sha256(asset["body"].encode()).hexdigest().startswith(digest), name
    assert console_get(assembly, dynamodb, "/_/console.js")["statusCode"] == 404  # only fingerprinted names


def test_console_asset_on_a_custom_domain_needs_no_prefix(assembly: Assembly, dynamodb: Any) -> None:
    page = console_get(assembly, dynamodb, "/", domain="sho.rt")["body"]
    assert '<meta name="snip-base" content="">' in page
    assert '"/_/console.' in page
    assert "/prod" not in page
