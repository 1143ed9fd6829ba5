"""The front door's web ACL (context waf=true): CloudFront scope, AWS's rule groups, a per-IP rate
limit on redirects and one on the API, both answered with the contract's 429 page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.context import WAF_API_LIMIT_PER_5_MIN, WAF_REDIRECT_LIMIT_PER_5_MIN, WAF_RETRY_AFTER_SECONDS
from infra.waf import (
    COUNTED_COMMON_RULES,
    EDGE_API_PATHS_REGEX,
    MANAGED_RULE_GROUPS,
    TOO_MANY_REQUESTS_BODY,
    TOO_MANY_REQUESTS_PAGE,
)
from tests.infra.helpers import resource


@pytest.fixture(scope="module")
def acl(full_template: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = resource(full_template, "AWS::WAFv2::WebACL", "EdgeWaf")["Properties"]
    return properties


def rules(acl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in acl["Rules"]}


def test_cloudfront_scope_and_rule_order(acl: dict[str, Any]) -> None:
    assert acl["Scope"] == "CLOUDFRONT"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert [(r["Priority"], r["Name"]) for r in acl["Rules"]] == [
        (0, "AWSManagedRulesCommonRuleSet"),
        (1, "AWSManagedRulesKnownBadInputsRuleSet"),
        (2, "RedirectRatePerIp"),
        (3, "ApiRatePerIp"),
    ]
    assert tuple(r["Name"] for r in acl["Rules"][:2]) == MANAGED_RULE_GROUPS


def test_the_common_rules_that_contradict_the_contract_only_count(acl: dict[str, Any]) -> None:
    common = rules(acl)["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["VendorName"] == "AWS"
    assert {o["Name"]: o["ActionToUse"] for o in common["RuleActionOverrides"]} == {
        name: {"Count": {}} for name in COUNTED_COMMON_RULES
    }
    bad_inputs = rules(acl)["AWSManagedRulesKnownBadInputsRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert "RuleActionOverrides" not in bad_inputs


@pytest.mark.parametrize(
    ("name", "limit"),
    [("RedirectRatePerIp", WAF_REDIRECT_LIMIT_PER_5_MIN), ("ApiRatePerIp", WAF_API_LIMIT_PER_5_MIN)],
)
def test_rate_rules_answer_429_with_the_page_and_retry_after(
    acl: dict[str, Any], name: str, limit: int
) -> None:
    rule = rules(acl)[name]
    statement = rule["Statement"]["RateBasedStatement"]
    assert (statement["AggregateKeyType"], statement["Limit"], statement["EvaluationWindowSec"]) == (
        "IP",
        limit,
        300,
    )
    assert rule["Action"] == {
        "Block": {
            "CustomResponse": {
                "ResponseCode": 429,
                "CustomResponseBodyKey": TOO_MANY_REQUESTS_BODY,
                "ResponseHeaders": [{"Name": "Retry-After", "Value": str(WAF_RETRY_AFTER_SECONDS)}],
            }
        }
    }
    assert acl["CustomResponseBodies"] == {
        TOO_MANY_REQUESTS_BODY: {"ContentType": "TEXT_HTML", "Content": TOO_MANY_REQUESTS_PAGE}
    }
    assert len(TOO_MANY_REQUESTS_PAGE.encode()) < 4096  # WAF's limit for one body
    assert "Too many requests" in TOO_MANY_REQUESTS_PAGE


def path_regexes(statement: dict[str, Any]) -> list[str]:
    if "RegexMatchStatement" in statement:
        return [statement["RegexMatchStatement"]["RegexString"]]
    found: list[str] = []
    for value in statement.values():
        for inner in value.get("Statements", []) if isinstance(value, dict) else []:
            found += path_regexes(inner)
        if isinstance(value, dict) and "Statement" in value:
            found += path_regexes(value["Statement"])
    return found


def test_the_rules_split_the_paths_as_the_behaviours_do(acl: dict[str, Any]) -> None:
    redirect = rules(acl)["RedirectRatePerIp"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    api = rules(acl)["ApiRatePerIp"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    assert path_regexes(redirect) == path_regexes(api) == [EDGE_API_PATHS_REGEX]
    # Redirects: GET or HEAD, and not an API path.
    (methods, negated) = redirect["AndStatement"]["Statements"]
    assert [s["ByteMatchStatement"]["SearchString"] for s in methods["OrStatement"]["Statements"]] == [
        "GET",
        "HEAD",
    ]
    assert "NotStatement" in negated
    transformations = api["RegexMatchStatement"]["TextTransformations"]
    assert [t["Type"] for t in transformations] == ["URL_DECODE", "NORMALIZE_PATH"]


@pytest.mark.parametrize(
    ("path", "api"),
    [
        ("/", True),
        ("/links", True),
        ("/links/AbC1234", True),
        ("/links/AbC1234/stats", True),
        ("/health", True),
        ("/openapi.json", True),
        ("/_/console.0123456789.js", True),
        ("/AbC1234", False),
        ("/linkshare", False),
        ("/links-promo", False),
        ("/healthy", False),
        ("/openapi_json", False),
        ("/_x", False),
    ],
)
def test_the_api_regex_is_the_behaviours_paths(path: str, api: bool) -> None:
    assert bool(re.fullmatch(EDGE_API_PATHS_REGEX, path)) is api
    assert len(EDGE_API_PATHS_REGEX) <= 200  # WAF's limit for a regex string


def test_no_web_acl_by_default(template: dict[str, Any]) -> None:
    assert [r for r in template["Resources"].values() if r["Type"].startswith("AWS::WAFv2::")] == []
    (distribution,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFront::Distribution"
    ]
    assert "WebACLId" not in distribution["Properties"]["DistributionConfig"]
