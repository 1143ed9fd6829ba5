"""The security review runs on every synth, and the template passes cfn-lint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sns as sns
from cfnlint.api import ManualArgs, lint

from infra.nag import MIN_REASON_LENGTH, enable_checks
from tests.infra.conftest import DEFAULT, FULL, REST, REST_FULL, Assembly
from tests.infra.helpers import get_att, logical_id, resources

# cfn-lint findings we accept, each with its reason.
CFN_LINT_IGNORED = {
    # CDK's Lambda construct makes the function depend on its role construct (role and policy);
    # the Role entry in DependsOn duplicates the GetAtt and is harmless.
    "W3005": "redundant DependsOn on the function's role, written by aws-cdk-lib's Function",
}


def test_cdk_nag_found_nothing_unacknowledged(assembly: Assembly) -> None:
    # The session's synth would have raised on any finding; a report, if written, is clean.
    report = assembly.directory / "validation-report.json"
    if report.exists():
        for plugin in json.loads(report.read_text())["pluginReports"]:
            assert plugin["violations"] == [], plugin


def test_cdk_nag_fails_the_synth_on_a_finding(tmp_path: Any) -> None:
    app = App(outdir=str(tmp_path))
    sns.Topic(Stack(app, "Insecure"), "Topic")  # publishers not forced onto TLS: AwsSolutions-SNS3
    enable_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert "AwsSolutions-SNS3" in rules


@pytest.mark.parametrize("stack", [DEFAULT, FULL, REST, REST_FULL])
def test_every_acknowledgment_names_its_rule_and_a_reason(assembly: Assembly, stack: str) -> None:
    acknowledged = [
        rule
        for found in assembly.templates[stack]["Resources"].values()
        for rule in found.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert acknowledged, "cdk-nag acknowledgments are written into the template for audit"
    for rule in acknowledged:
        assert rule["id"].startswith("AwsSolutions-")
        assert len(rule["reason"]) >= MIN_REASON_LENGTH


def test_waf_removes_the_waf_acknowledgment(assembly: Assembly) -> None:
    def rules(stack: str) -> set[str]:
        return {
            rule["id"]
            for found in assembly.templates[stack]["Resources"].values()
            for rule in found.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        }

    # Today's shape: the stage's web ACL answers the finding. The front door's web ACL is the
    # distribution's: the stage's finding stays acknowledged, the distribution's is answered.
    assert "AwsSolutions-APIG3" in rules(REST)
    assert "AwsSolutions-APIG3" not in rules(REST_FULL)
    assert "AwsSolutions-CFR2" in rules(DEFAULT)
    assert "AwsSolutions-CFR2" not in rules(FULL)


@pytest.mark.parametrize("stack", [DEFAULT, FULL, REST, REST_FULL])
def test_cfn_lint_clean(assembly: Assembly, stack: str) -> None:
    matches = lint(
        assembly.template_path(stack).read_text(),
        config=ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=list(CFN_LINT_IGNORED)),
    )
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize("stack", [DEFAULT, FULL])
def test_every_log_group_encrypted_with_the_logs_key(assembly: Assembly, stack: str) -> None:
    template = assembly.templates[stack]
    key_id = logical_id(template, "AWS::KMS::Key", "LogsKey")
    log_groups = resources(template, "AWS::Logs::LogGroup")
    assert len(log_groups) == 6  # five functions and the API's access logs
    for log_group in log_groups.values():
        assert log_group["Properties"]["KmsKeyId"] == get_att(key_id)
    key = template["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    (logs,) = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "CloudWatchLogsEncrypt"]
    # FULL names its region (context region): there the principal is spelt out.
    region: Any = "us-east-1" if stack == FULL else {"Ref": "AWS::Region"}
    expected = (
        f"logs.{region}.amazonaws.com"
        if stack == FULL
        else {"Fn::Join": ["", ["logs.", region, ".amazonaws.com"]]}
    )
    assert logs["Principal"] == {"Service": expected}
    # Only for this account's log groups in this region (the encryption context CloudWatch sends).
    condition = json.dumps(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert '":log-group:*"' in condition
    assert '{"Ref": "AWS::AccountId"}' in condition
