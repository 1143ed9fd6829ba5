"""The REST API: the routes of snip_deploy.routes, their auth, the limits of snip.settings, the domain."""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any
from urllib.parse import unquote

import pytest
from aws_cdk.assertions import Match, Template

from infra.context import STAGE_NAME, WAF_REDIRECT_LIMIT_PER_5_MIN
from infra.waf import COUNTED_COMMON_RULES, KEYED_PATHS_REGEX
from snip_deploy.routes import ROUTES, Route
from tests.infra.conftest import Assembly
from tests.infra.helpers import get_att, logical_id, resource, resources

METHOD = "AWS::ApiGateway::Method"


def resource_path(template: dict[str, Any], resource_ref: dict[str, Any]) -> str:
    """Rebuild an API Gateway resource's path from its PathPart/ParentId chain."""
    if "Fn::GetAtt" in resource_ref:  # the API's root resource
        return ""
    props = template["Resources"][resource_ref["Ref"]]["Properties"]
    return f"{resource_path(template, props['ParentId'])}/{props['PathPart']}"


def methods(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (m["Properties"]["HttpMethod"], resource_path(template, m["Properties"]["ResourceId"]) or "/"): m[
            "Properties"
        ]
        for m in resources(template, METHOD).values()
    }


def test_exactly_the_routes_of_snip_routes(rest_template: dict[str, Any]) -> None:
    # Today's shape (frontDoor=false); the front door's API lacks GET/HEAD /{key}
    # (tests/infra/test_front_door.py).
    assert set(methods(rest_template)) == {(route.method, route.path) for route in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_auth_and_proxy_integration(rest_template: dict[str, Any], route: Route) -> None:
    template = rest_template
    method = methods(template)[(route.method, route.path)]
    # API keys on /links only; the redirect, /health and /openapi.json are public.
    assert method["ApiKeyRequired"] is route.api_key_required
    assert route.api_key_required is route.path.startswith("/links")
    assert method["AuthorizationType"] == "NONE"
    integration = method["Integration"]
    assert integration["Type"] == "AWS_PROXY"
    assert integration["IntegrationHttpMethod"] == "POST"
    function = logical_id(template, "AWS::Lambda::Function", f"{route.function.construct_id}Function")
    # arn:...:lambda:path/2015-03-31/functions/<function ARN>/invocations
    assert json.dumps(get_att(function)) in json.dumps(integration["Uri"])


def test_binary_media_types_let_the_qr_png_through(template: dict[str, Any]) -> None:
    """A proxy answer with isBase64Encoded leaves API Gateway as bytes only if the request's Accept
    matches a binary media type; "*/*" matches whatever the client sends."""
    (api,) = resources(template, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["BinaryMediaTypes"] == ["*/*"]


def test_the_batch_route_is_its_own_resource_beside_key(template: dict[str, Any]) -> None:
    """POST /links/batch never reaches /links/{key}: API Gateway prefers the literal segment."""
    paths = {route.path for route in ROUTES}
    assert {"/links/batch", "/links/{key}", "/links/{key}/qr", "/links"} <= paths
    assert ("POST", "/links/batch") in methods(template)
    assert ("POST", "/links/{key}") not in methods(template)


def test_stage_throttle_tracing_and_json_access_logs(template: dict[str, Any], assembly: Assembly) -> None:
    (stage,) = resources(template, "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == STAGE_NAME
    assert props["TracingEnabled"] is True
    assert props["MethodSettings"] == [
        {
            "DataTraceEnabled": False,
            "HttpMethod": "*",
            "ResourcePath": "/*",
            "ThrottlingBurstLimit": assembly.limits.stage.burst,
            "ThrottlingRateLimit": assembly.limits.stage.rate,
        }
    ]
    access_log = props["AccessLogSetting"]
    fields = json.loads(access_log["Format"])  # JSON lines, one object per request
    assert {"requestId", "ip", "status", "httpMethod", "resourcePath", "requestTime"} <= set(fields)
    log_group = logical_id(template, "AWS::Logs::LogGroup", "ApiAccessLogs")
    # The group's ARN without the ":*" of its Arn attribute (cdk.json's
    # @aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard): ends with ":log-group:<name>".
    parts = access_log["DestinationArn"]["Fn::Join"][1]
    assert parts[-2:] == [":log-group:", {"Ref": log_group}]


def test_usage_plan_numbers_are_snip_settings(template: dict[str, Any], assembly: Assembly) -> None:
    limits = assembly.limits
    (plan,) = resources(template, "AWS::ApiGateway::UsagePlan").values()
    props = plan["Properties"]
    assert props["Throttle"] == {"BurstLimit": limits.usage_plan.burst, "RateLimit": limits.usage_plan.rate}
    assert props["Quota"] == {"Limit": limits.daily_quota, "Period": "DAY"}
    (stage_id,) = resources(template, "AWS::ApiGateway::Stage")
    assert props["ApiStages"][0]["Stage"] == {"Ref": stage_id}


def test_one_api_key_in_the_plan_and_its_id_output(template: dict[str, Any]) -> None:
    (key_id,) = resources(template, "AWS::ApiGateway::ApiKey")
    (plan_id,) = resources(template, "AWS::ApiGateway::UsagePlan")
    (binding,) = resources(template, "AWS::ApiGateway::UsagePlanKey").values()
    assert binding["Properties"] == {
        "KeyId": {"Ref": key_id},
        "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": plan_id},
    }
    assert template["Outputs"]["ApiKeyId"]["Value"] == {"Ref": key_id}
    assert "ApiUrl" in template["Outputs"]


def test_snip_keys_finds_the_usage_plan_and_the_registry_in_the_outputs(template: dict[str, Any]) -> None:
    from snip_deploy.tables import API_KEYS
    from snip_local import api_keys_cli

    (plan_id,) = resources(template, "AWS::ApiGateway::UsagePlan")
    outputs = template["Outputs"]
    assert outputs[api_keys_cli.USAGE_PLAN_OUTPUT]["Value"] == {"Ref": plan_id}
    (registry_id,) = [
        table_id
        for table_id in resources(template, "AWS::DynamoDB::Table")
        if table_id.startswith(f"Tables{API_KEYS.logical_id}")
    ]
    assert outputs[api_keys_cli.REGISTRY_OUTPUT]["Value"] == {"Ref": registry_id}


def test_no_custom_domain_or_waf_by_default(template: dict[str, Any]) -> None:
    (api,) = resources(template, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"].get("DisableExecuteApiEndpoint", False) is False  # the only address
    t = Template.from_json(template)
    t.resource_count_is("AWS::ApiGateway::DomainName", 0)
    t.resource_count_is("AWS::WAFv2::WebACL", 0)
    assert "PublicBaseUrl" not in template["Outputs"]


def test_custom_domain_mapped_at_the_root_with_an_alias(rest_full_template: dict[str, Any]) -> None:
    full_template = rest_full_template  # today's shape: the domain is API Gateway's
    t = Template.from_json(full_template)
    domain = logical_id(full_template, "AWS::ApiGateway::DomainName", "ApiDomain")
    t.has_resource_properties(
        "AWS::ApiGateway::DomainName",
        {
            "DomainName": "sho.rt",
            "RegionalCertificateArn": Match.string_like_regexp("^arn:aws:acm:"),
            "EndpointConfiguration": {"Types": ["REGIONAL"]},
            "SecurityPolicy": "TLS_1_2",
        },
    )
    (mapping,) = resources(full_template, "AWS::ApiGateway::BasePathMapping").values()
    assert mapping["Properties"]["DomainName"] == {"Ref": domain}
    assert "BasePath" not in mapping["Properties"]  # https://sho.rt/<key>, no stage in the path
    t.has_resource_properties(
        "AWS::Route53::RecordSet",
        {
            "Name": "sho.rt.",
            "Type": "A",
            "HostedZoneId": "Z0123456789ABCDEFGHIJ",
            "AliasTarget": {"DNSName": get_att(domain, "RegionalDomainName")},
        },
    )
    assert full_template["Outputs"]["PublicBaseUrl"]["Value"] == "https://sho.rt"
    # Only the custom domain answers: no second (execute-api) address a link could loop through.
    (api,) = resources(full_template, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["DisableExecuteApiEndpoint"] is True


def test_waf_limits_redirects_per_ip_and_runs_the_common_rules(rest_full_template: dict[str, Any]) -> None:
    full_template = rest_full_template  # today's shape: the web ACL is the stage's
    acl = resource(full_template, "AWS::WAFv2::WebACL", "WafWebAcl")["Properties"]
    assert acl["Scope"] == "REGIONAL"
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    for name in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        group = rules[name]["Statement"]["ManagedRuleGroupStatement"]
        assert (group["VendorName"], group["Name"]) == ("AWS", name)
        assert rules[name]["OverrideAction"] == {"None": {}}  # the group's own actions apply
    counted = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert {o["Name"] for o in counted["RuleActionOverrides"]} == set(COUNTED_COMMON_RULES)
    assert (
        "RuleActionOverrides"
        not in (rules["AWSManagedRulesKnownBadInputsRuleSet"]["Statement"]["ManagedRuleGroupStatement"])
    )
    assert sorted(rule["Priority"] for rule in rules.values()) == [0, 1, 2]
    assert rules["RedirectRatePerIp"]["Priority"] == 2  # after the managed groups
    rate = rules["RedirectRatePerIp"]
    assert "Block" in rate["Action"]
    statement = rate["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == WAF_REDIRECT_LIMIT_PER_5_MIN
    # Scoped to the public redirect: GET/HEAD, not one of the API-key routes' exact paths.
    (methods_, not_keyed) = statement["ScopeDownStatement"]["AndStatement"]["Statements"]
    assert {s["ByteMatchStatement"]["SearchString"] for s in methods_["OrStatement"]["Statements"]} == {
        "GET",
        "HEAD",
    }
    regex = not_keyed["NotStatement"]["Statement"]["RegexMatchStatement"]
    assert regex["FieldToMatch"] == {"UriPath": {}}
    assert (
        regex["RegexString"]
        == KEYED_PATHS_REGEX
        == (
            r"^(/prod)?(/links|/links/[^/]+|/links/[^/]+/qr|/links/[^/]+/stats|/links/batch"
            r"|/links/bulk|/links/export|/links/summary)$"
        )
    )
    assert [t["Type"] for t in sorted(regex["TextTransformations"], key=lambda t: t["Priority"])] == [
        "URL_DECODE",
        "NORMALIZE_PATH",
    ]
    (association,) = resources(full_template, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == get_att(
        logical_id(full_template, "AWS::WAFv2::WebACL", "Waf")
    )
    (stage_id,) = resources(full_template, "AWS::ApiGateway::Stage")
    assert stage_id in json.dumps(association["Properties"]["ResourceArn"])


def _waf_sees(path: str) -> str:
    """The path after the rule's URL_DECODE and NORMALIZE_PATH (posixpath keeps a leading //,
    which WAF would fold: close enough for these cases)."""
    return posixpath.normpath(unquote(path))


@pytest.mark.parametrize(
    ("path", "keyed"),
    [
        ("/links", True),
        ("/links/abc", True),
        (f"/{STAGE_NAME}/links", True),
        (f"/{STAGE_NAME}/links/abc", True),
        # Short links and anything else stay under the per-IP redirect limit.
        ("/links-promo", False),
        ("/linkspromo", False),
        (f"/{STAGE_NAME}/links-promo", False),
        ("/promo-links", False),
        ("/abc/links", False),
        ("/links/abc/def", False),
        (f"/{STAGE_NAME}/{STAGE_NAME}/links", False),
        ("/x/links/abc", False),
        ("/links/%2E%2E%2Fpromo", False),  # decoded and normalized: /promo
        ("/links%2Dpromo", False),
        ("/LINKS/abc", False),
        ("/AbC1234", False),
        ("/health", False),
    ],
)
def test_only_the_api_key_routes_escape_the_redirect_limit(path: str, keyed: bool) -> None:
    assert bool(re.search(KEYED_PATHS_REGEX, _waf_sees(path))) is keyed
