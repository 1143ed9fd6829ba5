"""`snip --stack NAME` finds a deployed stack's API in its CloudFormation outputs (moto's)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from snip_local import cli

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse")

REGION = "eu-west-1"


def deploy(name: str, outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {output: {"Value": value} for output, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=name, TemplateBody=json.dumps(template)
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("SNIP_API_URL", "SNIP_STACK", "PORT"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


def choice(*argv: str) -> tuple[str, str]:
    return cli.api_url_of(cli.parser().parse_args(["get", "abc", "--region", REGION, *argv]))


def test_the_public_host_comes_before_the_stage_url(aws: None) -> None:
    deploy(
        "Snip",
        {"ApiUrl": "https://x.execute-api.eu-west-1.amazonaws.com/prod/", "PublicUrl": "https://sho.rt"},
    )
    deploy("Bare", {"ApiUrl": "https://y.execute-api.eu-west-1.amazonaws.com/prod/"})
    assert choice("--stack", "Snip") == ("https://sho.rt", "the outputs of stack Snip")
    assert choice("--stack", "Bare")[0] == "https://y.execute-api.eu-west-1.amazonaws.com/prod/"


def test_snip_stack_is_read_after_snip_api_url(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy("Snip", {"ApiUrl": "https://x.execute-api.eu-west-1.amazonaws.com/prod/"})
    monkeypatch.setenv("SNIP_STACK", "Snip")
    assert choice()[0] == "https://x.execute-api.eu-west-1.amazonaws.com/prod/"
    monkeypatch.setenv("SNIP_API_URL", "https://other.example")
    assert choice()[0] == "https://other.example"


def test_a_missing_stack_is_said_and_exits_non_zero(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["get", "abc", "--stack", "Nowhere", "--region", REGION, "--api-key", "k"])
    assert code == cli.UNAVAILABLE
    assert "cannot read stack Nowhere's outputs" in capsys.readouterr().err
