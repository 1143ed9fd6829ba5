"""The throttle page at the edge (context edgeThrottlePage): a Lambda@Edge function in us-east-1 on
the redirect behaviour's origin responses, absent by default.

Two shapes are synthesized here once, with cdk-nag on (a finding fails the synth): a stack in
us-east-1 that holds the function itself, and one in eu-west-1 (with its web ACL too) whose
function and web ACL live in its ``Edge`` stack in us-east-1.
"""

from __future__ import annotations

import json
import shutil
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from cfnlint.api import ManualArgs, lint

from infra.app import build_app
from infra.context import SnipConfig
from infra.edge_throttle import HANDLER, MEMORY_MB
from tests.infra.conftest import Assembly, Shapes, synthesize
from tests.infra.helpers import get_att, logical_id, resource, resources
from tests.infra.test_front_door import distribution_config
from tests.infra.test_security import CFN_LINT_IGNORED
from tests.unit.test_edge_throttle import load_app, origin_response

US = "SnipThrottleUs"  # edgeThrottlePage=true in us-east-1: the function in the stack itself
EU = "SnipThrottleEu"  # edgeThrottlePage=true and waf=true in eu-west-1
EU_EDGE = "SnipThrottleEuEdge"  # their us-east-1 stack: the function and the web ACL
STACKS = {
    US: SnipConfig(edge_throttle_page=True, region="us-east-1"),
    EU: SnipConfig(edge_throttle_page=True, waf=True, region="eu-west-1"),
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Shapes:
    return synthesize(tmp_path_factory.mktemp("edge-throttle.out"), STACKS, EU_EDGE)


def associations(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each behaviour's Lambda@Edge associations, by path pattern (``*``: the default)."""
    config = distribution_config(template)
    found = {"*": config["DefaultCacheBehavior"].get("LambdaFunctionAssociations", [])}
    for behaviour in config.get("CacheBehaviors", []):
        found[behaviour["PathPattern"]] = behaviour.get("LambdaFunctionAssociations", [])
    return found


def edge_function_id(template: dict[str, Any], prefix: str) -> str:
    return logical_id(template, "AWS::Lambda::Function", prefix)


# --- absent by default ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["Snip", "SnipFull"])
def test_no_throttle_page_by_default(assembly: Assembly, stack: str) -> None:
    template = assembly.templates[stack]
    assert all(found == [] for found in associations(template).values())
    assert resources(template, "AWS::Lambda::Version") == {}
    assert not [lid for lid in resources(template, "AWS::Lambda::Function") if "Throttle" in lid]
    assert SnipConfig().edge_throttle_page is False


# --- the association ----------------------------------------------------------------------------


def test_on_the_redirect_behaviour_only_as_origin_response(shapes: Shapes) -> None:
    template = shapes.templates[US]
    found = associations(template)
    version = logical_id(template, "AWS::Lambda::Version", "EdgeThrottlePageFunctionCurrentVersion")
    assert found.pop("*") == [{"EventType": "origin-response", "LambdaFunctionARN": {"Ref": version}}]
    # Not on the API's behaviours: their 429s are API Gateway's documented JSON.
    assert found
    assert all(associations == [] for associations in found.values())
    function = edge_function_id(template, "EdgeThrottlePageFunction")
    assert template["Resources"][version]["Properties"] == {"FunctionName": {"Ref": function}}


def test_a_function_lambda_at_edge_accepts(shapes: Shapes) -> None:
    template = shapes.templates[US]
    function_id = edge_function_id(template, "EdgeThrottlePageFunction")
    properties = template["Resources"][function_id]["Properties"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["x86_64"]  # Lambda@Edge runs no arm64
    assert properties["Handler"] == HANDLER
    assert properties["MemorySize"] == MEMORY_MB == 128
    assert properties["Timeout"] <= 30  # an origin-response function's limit
    for unsupported in ("Environment", "Layers", "TracingConfig", "VpcConfig", "DeadLetterConfig"):
        assert unsupported not in properties, unsupported
    role = resource(template, "AWS::IAM::Role", "EdgeThrottlePageRole")["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert sorted(trust["Principal"]["Service"]) == ["edgelambda.amazonaws.com", "lambda.amazonaws.com"]
    assert properties["Role"] == get_att(logical_id(template, "AWS::IAM::Role", "EdgeThrottlePageRole"))


def test_it_may_write_only_its_own_logs_in_any_region(shapes: Shapes) -> None:
    template = shapes.templates[US]
    function_id = edge_function_id(template, "EdgeThrottlePageFunction")
    role = logical_id(template, "AWS::IAM::Role", "EdgeThrottlePageRole")
    statements = [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert statements == [
        {
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:aws:logs:*:",
                        {"Ref": "AWS::AccountId"},
                        ":log-group:/aws/lambda/us-east-1.",
                        {"Ref": function_id},
                        ":*",
                    ],
                ]
            },
        }
    ]


def test_a_stack_in_eu_west_1_keeps_the_function_in_us_east_1(shapes: Shapes) -> None:
    artifacts = shapes.manifest["artifacts"]
    assert artifacts[EU]["environment"].endswith("/eu-west-1")
    assert artifacts[EU_EDGE]["environment"].endswith("/us-east-1")
    assert EU_EDGE in artifacts[EU].get("dependencies", [])  # make deploy (--all) deploys it first
    edge, main = shapes.templates[EU_EDGE], shapes.templates[EU]
    assert resources(main, "AWS::Lambda::Version") == {}
    version = logical_id(edge, "AWS::Lambda::Version", "ThrottlePageFunctionCurrentVersion")
    found = associations(main)
    (association,) = found.pop("*")
    assert association["EventType"] == "origin-response"
    reference = association["LambdaFunctionARN"]["Fn::GetStackOutput"]
    assert (reference["StackName"], reference["Region"]) == (EU_EDGE, "us-east-1")
    assert edge["Outputs"][reference["OutputName"]]["Value"] == {"Ref": version}
    assert all(associations == [] for associations in found.values())
    # The web ACL shares the us-east-1 stack.
    (acl,) = resources(edge, "AWS::WAFv2::WebACL").values()
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert "Fn::GetStackOutput" in distribution_config(main)["WebACLId"]


def test_the_page_needs_the_front_door_and_a_region() -> None:
    with pytest.raises(ValueError, match="edgeThrottlePage belong to the front door"):
        SnipConfig(edge_throttle_page=True, front_door=False)
    with pytest.raises(ValueError, match=r"edgeThrottlePage=true with the front door needs context region"):
        build_app(stacks={"Snip": SnipConfig(edge_throttle_page=True)})


def test_context_key() -> None:
    def config_of(**context: object) -> SnipConfig:
        return SnipConfig.from_context(App(context=dict(context)).node)

    assert config_of(edgeThrottlePage="true").edge_throttle_page is True
    assert config_of(edgeThrottlePage=False).edge_throttle_page is False
    assert config_of().edge_throttle_page is False
    with pytest.raises(ValueError, match="neither true nor false"):
        config_of(edgeThrottlePage="on")


# --- the asset ------------------------------------------------------------------------------------


def test_the_synthesized_asset_answers_cloudfronts_events(shapes: Shapes, tmp_path: Path) -> None:
    template = shapes.templates[EU_EDGE]
    function = resource(template, "AWS::Lambda::Function", "ThrottlePageFunction")
    asset = shapes.directory / function["Metadata"]["aws:asset:path"]
    files = sorted(p.relative_to(asset).as_posix() for p in asset.rglob("*") if not p.is_dir())
    assert files == ["edge_throttle_app.py", "error_bodies.py"]
    assert not (asset / "error_bodies.py").is_symlink()  # the link's file, carried as a file
    # Loaded from a copy, so that no __pycache__ is written into the assembly.
    copy = tmp_path / "asset"
    shutil.copytree(asset, copy)
    app = load_app(copy)
    throttled = app.handler(origin_response(429, accept="application/json"), None)
    assert (throttled["status"], json.loads(throttled["body"])["error"]["code"]) == (
        "429",
        "too_many_requests",
    )
    assert throttled["headers"]["retry-after"] == [{"key": "Retry-After", "value": "1"}]
    redirect = origin_response(
        302, headers={"location": [{"key": "Location", "value": "https://example.com/"}]}
    )
    untouched = deepcopy(redirect["Records"][0]["cf"]["response"])
    assert app.handler(redirect, None) == untouched


# --- the review and the linter ----------------------------------------------------------------------


def test_cdk_nag_clean(shapes: Shapes) -> None:
    report = shapes.directory / "validation-report.json"
    if report.exists():
        for plugin in json.loads(report.read_text())["pluginReports"]:
            assert plugin["violations"] == [], plugin
    edge = shapes.templates[EU_EDGE]
    acknowledged = {
        rule["id"].split("[")[0]
        for found in edge["Resources"].values()
        for rule in found.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    assert acknowledged == {"AwsSolutions-IAM5", "AwsSolutions-L1"}


@pytest.mark.parametrize("stack", [US, EU, EU_EDGE])
def test_cfn_lint_clean(shapes: Shapes, stack: str) -> None:
    matches = lint(
        (shapes.directory / f"{stack}.template.json").read_text(),
        config=ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=list(CFN_LINT_IGNORED)),
    )
    assert [str(m) for m in matches] == []
