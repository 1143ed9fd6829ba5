"""Synth reads CDK context, never the deployer's shell: settings and API limits are context keys.

Each test synthesizes its own app (a few seconds): the shell's SNIP_* variables must leave the
template as it is, context must change it, and a bad context value must stop synth with a message
that names the key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import synth
from infra.app import build_app
from infra.context import (
    CONTEXT_KEYS,
    LIMITS_FROM_CONTEXT,
    SETTINGS_FROM_CONTEXT,
    SnipConfig,
    read_context_settings,
)
from snip.settings import Env, get_settings, read_settings
from snip_deploy.api_limits import read_api_limits
from snip_deploy.function_specs import ALL_FUNCTIONS
from tests.infra.conftest import DEFAULT, Assembly
from tests.infra.helpers import resource, resources

# Values unlike every default, for each deploy-time setting and limit.
SHELL = {
    Env.POOL_TARGET: "999",
    Env.POOL_REFILL_RATIO: "0.5",
    Env.POOL_SHARDS: "9",
    Env.KEY_LENGTH: "11",
    Env.CANDIDATES: "3",
    Env.REFILL_REQUEST_INTERVAL: "9",
    Env.IDEMPOTENCY_TTL: "600",
    "SNIP_THROTTLE_STAGE_RATE": "7",
    "SNIP_THROTTLE_STAGE_BURST": "8",
    "SNIP_THROTTLE_KEY_RATE": "3",
    "SNIP_THROTTLE_KEY_BURST": "4",
    "SNIP_QUOTA_PER_DAY": "5",
}
CONTEXT = {
    "poolTarget": "200",
    "poolRefillRatio": "0.5",
    "poolShards": "4",
    "keyLength": "9",
    "candidates": "20",
    "refillRequestInterval": "2",
    "idempotencyTtlSeconds": "3600",
    "throttleStageRate": "100",
    "throttleStageBurst": "200",
    "throttleKeyRate": "5",
    "throttleKeyBurst": "10",
    "quotaPerDay": "1000",
}


def synthesize(outdir: Path, context: dict[str, Any]) -> dict[str, Any]:
    """The default stack, configured from context as ``cdk synth`` configures it."""
    build_app(outdir=str(outdir), context={**synth.cdk_json_context(), **context}).synth()
    template: dict[str, Any] = json.loads((outdir / f"{DEFAULT}.template.json").read_text())
    return template


def env_of(template: dict[str, Any], name: str) -> dict[str, Any]:
    found = resource(template, "AWS::Lambda::Function", f"{name.title()}Function")
    variables: dict[str, Any] = found["Properties"]["Environment"]["Variables"]
    return variables


def test_the_shell_does_not_change_the_template(
    assembly: Assembly, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SHELL.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()  # a synth that read the environment would see these values
    try:
        template = synthesize(tmp_path, {})
    finally:
        get_settings.cache_clear()
    assert template == assembly.templates[DEFAULT]


def test_context_sets_what_the_functions_and_the_api_are_told(tmp_path: Path) -> None:
    template = synthesize(tmp_path, CONTEXT)
    told = read_context_settings(CONTEXT)[0]
    assert told != read_settings({})
    # Each declaration reaches exactly the functions it names, with the context's value, parsed.
    for spec in ALL_FUNCTIONS:
        env = env_of(template, spec.name)
        assert {d.env: env[d.env] for d in SETTINGS_FROM_CONTEXT if d.env in env} == {
            d.env: str(getattr(told, d.name)) for d in SETTINGS_FROM_CONTEXT if spec.name in d.functions
        }, spec.name
    assert env_of(template, "shorten")[Env.REFILL_REQUEST_INTERVAL] == "2.0"  # as the runtime parses it
    assert env_of(template, "keygen")[Env.POOL_TARGET] == "200"
    (plan,) = resources(template, "AWS::ApiGateway::UsagePlan").values()
    assert plan["Properties"]["Throttle"] == {"BurstLimit": 10, "RateLimit": 5}
    assert plan["Properties"]["Quota"] == {"Limit": 1000, "Period": "DAY"}
    (stage,) = resources(template, "AWS::ApiGateway::Stage").values()
    (method_settings,) = stage["Properties"]["MethodSettings"]
    assert (method_settings["ThrottlingRateLimit"], method_settings["ThrottlingBurstLimit"]) == (100, 200)
    pool_alarm = resource(template, "AWS::CloudWatch::Alarm", "MonitoringKeyPoolLow")
    assert pool_alarm["Properties"]["Threshold"] == 100  # 200 x 0.5


def test_the_test_values_differ_from_every_default() -> None:
    # Else the test above could not tell a context value from a default.
    assert set(CONTEXT) == set(CONTEXT_KEYS)
    for declared in (*SETTINGS_FROM_CONTEXT, *LIMITS_FROM_CONTEXT):
        assert declared.context
        assert declared.value(CONTEXT[declared.context]) != declared.value(None), declared.context
        assert declared.value(SHELL[declared.env]) != declared.value(None), declared.env


def test_every_context_key_has_the_runtime_default() -> None:
    settings, limits = read_context_settings({})
    assert settings == read_settings({})
    assert limits == read_api_limits({})
    assert SnipConfig() == SnipConfig.from_context(build_app(stacks={}).node)


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("poolTarget", "0", "outside 1..1000000"),
        ("poolRefillRatio", "1.5", "outside (0, 1]"),
        ("keyLength", "three", "not an integer"),
        ("idempotencyTtlSeconds", "10", "outside 60..604800"),
        ("throttleKeyRate", "-1", "greater than 0"),
        ("quotaPerDay", "lots", "not an integer"),
    ],
)
def test_a_bad_context_value_names_its_key(key: str, value: str, reason: str) -> None:
    with pytest.raises(ValueError, match="bad CDK context") as raised:
        read_context_settings({key: value})
    assert f"{key}={value!r}" in str(raised.value)
    assert reason in str(raised.value)


def test_synth_stops_on_a_bad_context_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["--outdir", str(tmp_path), "-c", "poolShards=0"]) != 0
    error = capsys.readouterr().err
    assert "bad CDK context poolShards='0'" in error
    assert "SNIP_POOL_SHARDS" not in error
    assert not (tmp_path / f"{DEFAULT}.template.json").exists()


def test_region_is_lambdas_own_not_a_context_key() -> None:
    # Lambda sets AWS_REGION (a reserved name a function may not set); settings read it lazily.
    assert read_settings({Env.REGION: "eu-west-1"}).region == "eu-west-1"
    assert read_settings({}).region is None
    assert Env.REGION == "AWS_REGION"
    assert Env.REGION not in {d.env for d in SETTINGS_FROM_CONTEXT}
