"""The front door: the CloudFront distribution, resolve's Function URL behind it, the REST API's
behaviours, the cycle shorten's short URLs could make, both shapes and a running stack's move.

The default stacks come from the session's assembly (tests/infra/conftest.py); the shapes only this
file needs (a stack in eu-west-1 with its web ACL in us-east-1, the three stages of a move) are
synthesized once here, with cdk-nag on: a finding fails the synth.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from cfnlint.api import ManualArgs, lint

from infra.app import build_app
from infra.context import STAGE_NAME, SnipConfig
from infra.distribution import EDGE_ERROR_PAGE, ORIGIN_FAILURES, REDIRECT_HEADERS
from infra.synth import cdk_json_context
from snip.settings import Env
from snip_deploy.front_door import DEFAULT_CAPACITY, HIGH_TRAFFIC_CAPACITY
from snip_deploy.function_specs import RESOLVE
from snip_deploy.routes import ROUTES, edge_path_patterns
from snip_deploy.tables import VISITS
from tests.infra.conftest import FULL_CONFIG, Assembly, Shapes, synthesize
from tests.infra.helpers import get_att, logical_id, resource, resources
from tests.infra.test_api_template import methods
from tests.infra.test_security import CFN_LINT_IGNORED

REPO = Path(__file__).resolve().parents[2]
DISTRIBUTION = "AWS::CloudFront::Distribution"
# CloudFront's managed policies, by id (the same in every account).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# The statuses CloudFront lets a custom error response replace (Developer Guide, "Create a custom
# error page for specific HTTP status codes").
CUSTOMIZABLE_STATUSES = {400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504}

EU_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
EU = "SnipEu"  # waf=true in eu-west-1: the web ACL in SnipEuEdge (us-east-1)
EU_EDGE = "SnipEuEdge"
MOVE_NO_DOMAIN = "SnipMoveNoDomain"  # apiRedirects=true, no custom domain
# A stack whose custom domain is API Gateway's today (conftest's SnipRestFull) moves in three steps.
STAGE_1 = "SnipStage1"  # the distribution up, DNS still on the API's domain
STAGE_2 = "SnipStage2"  # DNS on the distribution, the API's domain and redirects still answer
STAGE_3 = "SnipStage3"  # the API's domain and redirect route retired
MOVING = replace(FULL_CONFIG, waf=False, region=None, api_redirects=True, api_certificate_arn=EU_CERTIFICATE)
STACKS = {
    EU: SnipConfig(waf=True, region="eu-west-1"),
    MOVE_NO_DOMAIN: SnipConfig(api_redirects=True),
    STAGE_1: replace(MOVING, dns_target="api"),
    STAGE_2: MOVING,
    STAGE_3: replace(FULL_CONFIG, waf=False, region=None),
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Shapes:
    return synthesize(tmp_path_factory.mktemp("front-door.out"), STACKS, EU_EDGE)


def distribution_config(template: dict[str, Any]) -> dict[str, Any]:
    (found,) = resources(template, DISTRIBUTION).values()
    config: dict[str, Any] = found["Properties"]["DistributionConfig"]
    return config


def behaviours(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["PathPattern"]: b for b in distribution_config(template)["CacheBehaviors"]}


def origins(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["Id"]: o for o in distribution_config(template)["Origins"]}


def resolve_function_id(template: dict[str, Any]) -> str:
    return logical_id(template, "AWS::Lambda::Function", "ResolveFunction")


def cloudfront_behaviour(template: dict[str, Any], path: str) -> str:
    """The path pattern CloudFront applies to ``path``: the first that matches, else the default
    (``*`` any characters, ``?`` one; a pattern's leading / is optional)."""
    for pattern in behaviours(template):
        if fnmatchcase(path.lstrip("/"), pattern.lstrip("/")):
            return pattern
    return "*"


def concrete(path: str) -> str:
    return path.replace("{key}", "AbC1234").replace("{file}", "console.0123456789.js")


# --- resolve behind its Function URL ----------------------------------------------------------


def test_resolve_has_an_iam_function_url_signed_by_an_origin_access_control(template: dict[str, Any]) -> None:
    url = resource(template, "AWS::Lambda::Url", "ResolveFunction")["Properties"]
    assert url == {"AuthType": "AWS_IAM", "TargetFunctionArn": get_att(resolve_function_id(template))}
    (access_id, access), *others = resources(template, "AWS::CloudFront::OriginAccessControl").items()
    assert not others
    config = access["Properties"]["OriginAccessControlConfig"]
    assert (
        config["OriginAccessControlOriginType"],
        config["SigningBehavior"],
        config["SigningProtocol"],
    ) == (
        "lambda",
        "always",
        "sigv4",
    )
    default = distribution_config(template)["DefaultCacheBehavior"]
    origin = origins(template)[default["TargetOriginId"]]
    assert origin["OriginAccessControlId"] == get_att(access_id, "Id")
    url_id = logical_id(template, "AWS::Lambda::Url", "ResolveFunction")
    assert json.dumps(get_att(url_id, "FunctionUrl")) in json.dumps(origin["DomainName"])
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def test_cloudfront_may_invoke_resolve_both_ways_from_this_distribution_only(
    template: dict[str, Any],
) -> None:
    # Function URLs created since October 2025 need both; one missing is a 403 on every redirect.
    distribution = logical_id(template, DISTRIBUTION, "FrontDoor")
    url_id = logical_id(template, "AWS::Lambda::Url", "ResolveFunction")
    granted = {
        p["Properties"]["Action"]: p["Properties"]
        for p in resources(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "cloudfront.amazonaws.com"
    }
    assert set(granted) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    for permission in granted.values():
        assert permission["FunctionName"] in (
            get_att(url_id, "FunctionArn"),
            get_att(resolve_function_id(template)),
        )
        source = json.dumps(permission["SourceArn"])
        assert ":distribution/" in source
        assert json.dumps({"Ref": distribution}) in source
    assert granted["lambda:InvokeFunction"]["InvokedViaFunctionUrl"] is True
    # Nobody else may invoke resolve: API Gateway only in today's shape (and with apiRedirects).
    others = [
        p["Properties"]["Principal"]
        for p in resources(template, "AWS::Lambda::Permission").values()
        if "Resolve" in json.dumps(p["Properties"]["FunctionName"])
        and p["Properties"]["Principal"] != "cloudfront.amazonaws.com"
    ]
    assert others == []


def test_the_redirect_behaviour(template: dict[str, Any]) -> None:
    default = distribution_config(template)["DefaultCacheBehavior"]
    assert default["AllowedMethods"] == ["GET", "HEAD"]
    assert default["CachedMethods"] == ["GET", "HEAD"]  # the least CloudFront takes; nothing is cached
    assert default["CachePolicyId"] == CACHING_DISABLED
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    policy_id = default["OriginRequestPolicyId"]["Ref"]
    policy = template["Resources"][policy_id]["Properties"]["OriginRequestPolicyConfig"]
    assert policy["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": list(REDIRECT_HEADERS)}
    assert set(REDIRECT_HEADERS) == {
        "CloudFront-Viewer-Country",
        "User-Agent",
        "Referer",
        "Accept-Language",
        "Accept",
    }
    assert policy["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert policy["CookiesConfig"] == {"CookieBehavior": "whitelist", "Cookies": ["snip_vid"]}


@pytest.mark.parametrize("stack", ["Snip", "SnipFull"])
def test_host_is_never_forwarded(assembly: Assembly, stack: str) -> None:
    template = assembly.templates[stack]
    for found in resources(template, "AWS::CloudFront::OriginRequestPolicy").values():
        headers = found["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"]
        assert "host" not in {h.lower() for h in headers.get("Headers", [])}
        assert headers["HeaderBehavior"] == "whitelist"  # never allViewer, which includes Host
    for behaviour in [distribution_config(template)["DefaultCacheBehavior"], *behaviours(template).values()]:
        assert behaviour.get("OriginRequestPolicyId") != "216adef6-5c7f-47e4-b989-5492eafa07d3"  # AllViewer
    for origin in origins(template).values():
        assert "host" not in {h["HeaderName"].lower() for h in origin.get("OriginCustomHeaders", [])}


# --- the REST API's behaviours ----------------------------------------------------------------


def test_api_path_patterns_are_every_route_but_the_redirect() -> None:
    assert edge_path_patterns() == ("/links", "/links/*", "/health", "/openapi.json", "/", "/_/*")


def test_api_behaviours(template: dict[str, Any]) -> None:
    found = behaviours(template)
    assert list(found) == list(edge_path_patterns())
    api_origin = {b["TargetOriginId"] for b in found.values()}
    assert len(api_origin) == 1
    origin = origins(template)[api_origin.pop()]
    assert origin["OriginPath"] == f"/{STAGE_NAME}"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    rest_api = logical_id(template, "AWS::ApiGateway::RestApi", "Api")
    assert origin["DomainName"] == {
        "Fn::Join": [
            "",
            [{"Ref": rest_api}, ".execute-api.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}],
        ]
    }
    for pattern, behaviour in found.items():
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https", pattern
        if pattern == "/_/*":  # the console's fingerprinted assets: cached
            assert behaviour["CachePolicyId"] == CACHING_OPTIMIZED
            assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
        else:
            assert behaviour["CachePolicyId"] == CACHING_DISABLED, pattern
            assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER, pattern
            assert set(behaviour["AllowedMethods"]) == {
                "GET",
                "HEAD",
                "OPTIONS",
                "PUT",
                "PATCH",
                "POST",
                "DELETE",
            }


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_every_route_reaches_its_origin(template: dict[str, Any], route: Any) -> None:
    expected = "*" if route.function == RESOLVE else "api"
    found = cloudfront_behaviour(template, concrete(route.path))
    assert (found if found == "*" else "api") == expected, found


@pytest.mark.parametrize(
    "path", ["/linkshare", "/links-promo", "/healthy", "/openapi", "/_x", "/Links", "/AbC1234", "/index.html"]
)
def test_keys_that_look_like_routes_are_redirects(template: dict[str, Any], path: str) -> None:
    assert cloudfront_behaviour(template, path) == "*"


def test_the_root_is_a_behaviour_not_a_default_root_object(template: dict[str, Any]) -> None:
    # A default root object would rewrite / to an object of the default behaviour (resolve).
    assert "DefaultRootObject" not in distribution_config(template)
    assert cloudfront_behaviour(template, "/") == "/"


def test_the_api_serves_the_redirect_only_when_asked(assembly: Assembly, shapes: Shapes) -> None:
    def routes(template: dict[str, Any]) -> set[tuple[str, str]]:
        return set(methods(template))

    everything = {(route.method, route.path) for route in ROUTES}
    redirect = {(route.method, route.path) for route in ROUTES if route.function == RESOLVE}
    assert redirect == {("GET", "/{key}"), ("HEAD", "/{key}")}
    assert routes(assembly.templates["Snip"]) == everything - redirect
    assert routes(shapes.templates[MOVE_NO_DOMAIN]) == everything  # context apiRedirects=true
    assert routes(assembly.templates["SnipRest"]) == everything  # frontDoor=false


# --- edge error pages -------------------------------------------------------------------------


def test_origin_failures_become_the_503_page(template: dict[str, Any]) -> None:
    responses = distribution_config(template)["CustomErrorResponses"]
    assert {r["ErrorCode"] for r in responses} == set(ORIGIN_FAILURES) == {500, 502, 504}
    for response in responses:
        assert response == {
            "ErrorCode": response["ErrorCode"],
            "ResponseCode": 503,
            "ResponsePagePath": EDGE_ERROR_PAGE,
            "ErrorCachingMinTTL": 10,
        }
    # CloudFront replaces only these statuses; the contract's own answers stay as they are:
    # resolve's 404/410 and 503 (with Retry-After), the API's JSON 4xx, API Gateway's 403 and 429.
    assert set(ORIGIN_FAILURES) <= CUSTOMIZABLE_STATUSES
    assert not {400, 403, 404, 405, 410, 429, 503} & {r["ErrorCode"] for r in responses}
    # The page comes from the console's cached behaviour, not from resolve.
    assert cloudfront_behaviour(template, EDGE_ERROR_PAGE) == "/_/*"


def console_app() -> Any:
    spec = importlib.util.spec_from_file_location(
        "console_app_edge", REPO / "functions/console/console_app.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_console_serves_the_503_page_by_its_fixed_name() -> None:
    app = console_app()
    name = EDGE_ERROR_PAGE.removeprefix("/_/")
    answer = app.handler(
        {"resource": "/_/{file}", "path": EDGE_ERROR_PAGE, "pathParameters": {"file": name}}, None
    )
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "text/html; charset=utf-8"
    # Kept at the edge, never by a browser (CloudFront answers it for the failed path's URL).
    assert answer["headers"]["Cache-Control"] == "public, max-age=0, s-maxage=86400"
    assert "try again" in answer["body"]
    assert name not in {n.split(".")[0] + ".html" for n in app.site().assets}  # not a console asset


def test_the_console_through_the_front_door_has_no_stage_prefix() -> None:
    app = console_app()
    # CloudFront calls the stage (origin path /prod): the browser's URL has no stage.
    event = {"resource": "/", "path": "/", "requestContext": {"path": "/prod/"}, "headers": {}}
    assert '"/prod/_/' in app.handler(event, None)["body"]
    event["headers"] = {"X-Amz-Cf-Id": "abc=="}
    page = app.handler(event, None)["body"]
    assert "/prod" not in page
    assert '<meta name="snip-base" content="">' in page


# --- the cycle and the public host ------------------------------------------------------------


def references(value: Any) -> set[str]:
    """Every logical id a template value refers to (Ref, Fn::GetAtt, ${Sub} names)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {part.split("}")[0].split(".")[0] for part in text.split("${")[1:]}
                if isinstance(inner, list):
                    found |= references(inner[1])
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def dependency_graph(template: dict[str, Any]) -> dict[str, set[str]]:
    ids = set(template["Resources"])
    graph: dict[str, set[str]] = {}
    for lid, found in template["Resources"].items():
        depends = found.get("DependsOn", [])
        graph[lid] = (
            references(found.get("Properties", {})) | set(depends if isinstance(depends, list) else [depends])
        ) & ids
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_checker_finds_one() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("stack", ["Snip", "SnipFull", STAGE_1, STAGE_2, STAGE_3, MOVE_NO_DOMAIN, EU])
def test_no_dependency_cycle(assembly: Assembly, shapes: Shapes, stack: str) -> None:
    template = {**assembly.templates, **shapes.templates}[stack]
    assert cycle(dependency_graph(template)) is None


def transitive(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_the_distribution_depends_on_the_rest_api_not_its_deployment(template: dict[str, Any]) -> None:
    graph = dependency_graph(template)
    distribution = logical_id(template, DISTRIBUTION, "FrontDoor")
    below = transitive(graph, distribution)
    kinds = {template["Resources"][lid]["Type"] for lid in below}
    assert "AWS::ApiGateway::RestApi" in kinds
    assert not kinds & {"AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage", "AWS::ApiGateway::Method"}
    shorten = logical_id(template, "AWS::Lambda::Function", "ShortenFunction")
    assert shorten not in below
    assert distribution in transitive(graph, shorten)  # shorten is told the distribution's name


def test_shorten_names_the_public_host(template: dict[str, Any], full_template: dict[str, Any]) -> None:
    def env(found: dict[str, Any], name: str) -> dict[str, Any]:
        variables: dict[str, Any] = resource(found, "AWS::Lambda::Function", f"{name}Function")["Properties"][
            "Environment"
        ]["Variables"]
        return variables

    distribution = logical_id(template, DISTRIBUTION, "FrontDoor")
    assert env(template, "Shorten")[Env.PUBLIC_BASE_URL] == {
        "Fn::Join": ["", ["https://", get_att(distribution, "DomainName")]]
    }
    assert env(full_template, "Shorten")[Env.PUBLIC_BASE_URL] == "https://sho.rt"
    # resolve builds no URL from a host: without a custom domain it is told none.
    assert Env.PUBLIC_BASE_URL not in env(template, "Resolve")
    assert env(full_template, "Resolve")[Env.PUBLIC_BASE_URL] == "https://sho.rt"


def test_outputs_name_the_public_url_and_the_distribution(
    template: dict[str, Any], full_template: dict[str, Any]
) -> None:
    distribution = logical_id(template, DISTRIBUTION, "FrontDoor")
    outputs = template["Outputs"]
    assert outputs["PublicUrl"]["Value"] == {
        "Fn::Join": ["", ["https://", get_att(distribution, "DomainName")]]
    }
    assert outputs["DistributionId"]["Value"] == {"Ref": distribution}
    assert outputs["DistributionDomain"]["Value"] == get_att(distribution, "DomainName")
    assert full_template["Outputs"]["PublicUrl"]["Value"] == "https://sho.rt"


# --- custom domain, both shapes, the move -----------------------------------------------------


def test_custom_domain_is_the_distributions(full_template: dict[str, Any]) -> None:
    config = distribution_config(full_template)
    assert config["Aliases"] == ["sho.rt"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": FULL_CONFIG.certificate_arn,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    assert resources(full_template, "AWS::ApiGateway::DomainName") == {}
    (api,) = resources(full_template, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"].get("DisableExecuteApiEndpoint", False) is False  # the distribution's origin
    distribution = logical_id(full_template, DISTRIBUTION, "FrontDoor")
    records = resources(full_template, "AWS::Route53::RecordSet")
    assert sorted(r["Properties"]["Type"] for r in records.values()) == ["A", "AAAA"]
    for record in records.values():
        assert record["Properties"]["Name"] == "sho.rt."
        assert record["Properties"]["HostedZoneId"] == FULL_CONFIG.hosted_zone_id
        assert record["Properties"]["AliasTarget"]["DNSName"] == get_att(distribution, "DomainName")
        # CloudFront's zone (Z2FDTNDATAQYW2 in the aws partition), by partition.
        assert record["Properties"]["AliasTarget"]["HostedZoneId"]["Fn::FindInMap"][0] == (
            "AWSCloudFrontPartitionHostedZoneIdMap"
        )


def test_the_front_door_needs_a_us_east_1_certificate() -> None:
    with pytest.raises(ValueError, match="must be an ACM certificate in us-east-1"):
        SnipConfig(domain_name="sho.rt", certificate_arn=EU_CERTIFICATE)
    SnipConfig(domain_name="sho.rt", certificate_arn=EU_CERTIFICATE, front_door=False)  # today's shape


def test_todays_shape_has_no_front_door(assembly: Assembly) -> None:
    for stack in ("SnipRest", "SnipRestFull"):
        template = assembly.templates[stack]
        assert not [t for t in (r["Type"] for r in template["Resources"].values()) if "CloudFront" in t]
        assert resources(template, "AWS::Lambda::Url") == {}
        assert "PublicUrl" not in template["Outputs"]
        reserved = resource(template, "AWS::Lambda::Function", "ResolveFunction")["Properties"]
        assert "ReservedConcurrentExecutions" not in reserved
    (acl,) = resources(assembly.templates["SnipRestFull"], "AWS::WAFv2::WebACL").values()
    assert acl["Properties"]["Scope"] == "REGIONAL"


def record(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (lid, r)
        for lid, r in resources(template, "AWS::Route53::RecordSet").items()
        if r["Properties"]["Type"] == kind
    ]
    return found


def test_a_running_stacks_domain_moves_without_a_broken_link(assembly: Assembly, shapes: Shapes) -> None:
    today = assembly.templates["SnipRestFull"]
    stage_1, stage_2, stage_3 = (shapes.templates[s] for s in (STAGE_1, STAGE_2, STAGE_3))
    a_record = record(today, "A")[0]
    # The A record is one resource through every stage: moving it is an in-place update.
    assert [record(t, "A")[0] for t in (stage_1, stage_2, stage_3)] == [a_record] * 3
    api_domain = logical_id(today, "AWS::ApiGateway::DomainName", "ApiDomain")
    for template in (stage_1, stage_2):
        # The API keeps its domain (the regional certificate), its redirects, and so its links.
        assert logical_id(template, "AWS::ApiGateway::DomainName", "ApiDomain") == api_domain
        domain = template["Resources"][api_domain]["Properties"]
        assert domain["RegionalCertificateArn"] == EU_CERTIFICATE
        assert {("GET", "/{key}"), ("HEAD", "/{key}")} <= set(methods(template))
        assert distribution_config(template)["Aliases"] == ["sho.rt"]
    # Stage 1: DNS still names the API's domain; the distribution is checked on its own name.
    assert record(stage_1, "A")[1]["Properties"]["AliasTarget"]["DNSName"] == get_att(
        api_domain, "RegionalDomainName"
    )
    assert [r["Properties"]["Type"] for r in resources(stage_1, "AWS::Route53::RecordSet").values()] == ["A"]
    # Stage 2: DNS names the distribution (A updated in place, AAAA added).
    distribution = logical_id(stage_2, DISTRIBUTION, "FrontDoor")
    for kind in ("A", "AAAA"):
        assert record(stage_2, kind)[1]["Properties"]["AliasTarget"]["DNSName"] == get_att(
            distribution, "DomainName"
        )
    # Stage 3: the API's domain and redirect route are gone.
    assert resources(stage_3, "AWS::ApiGateway::DomainName") == {}
    assert not {("GET", "/{key}"), ("HEAD", "/{key}")} & set(methods(stage_3))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"api_certificate_arn": EU_CERTIFICATE}, "add apiRedirects=true"),
        ({"api_redirects": True, "dns_target": "api"}, "dnsTarget=api needs apiCertificateArn"),
        ({"api_redirects": True, "dns_target": "cname"}, "not one of distribution, api"),
        ({"front_door": False, "api_redirects": True}, "belong to the front door"),
    ],
)
def test_a_move_that_would_break_links_stops_the_synth(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SnipConfig(domain_name="sho.rt", certificate_arn=FULL_CONFIG.certificate_arn, **config)


# --- capacity ---------------------------------------------------------------------------------


def config_of(**context: object) -> SnipConfig:
    return SnipConfig.from_context(App(context=dict(context)).node)


def test_resolve_reserved_concurrency_deploys_into_a_default_account(template: dict[str, Any]) -> None:
    found = resource(template, "AWS::Lambda::Function", "ResolveFunction")["Properties"]
    assert found["ReservedConcurrentExecutions"] == DEFAULT_CAPACITY.resolve_reserved_concurrency
    assert DEFAULT_CAPACITY.resolve_reserved_concurrency <= 900  # 1,000 less the 100 Lambda keeps
    assert config_of(resolveReservedConcurrency="900").resolve_reserved_concurrency == 900
    for bad in ("0", "901"):
        with pytest.raises(ValueError, match=re.escape("outside 1..900")):
            config_of(resolveReservedConcurrency=bad)
    with pytest.raises(ValueError, match="not an integer"):
        config_of(resolveReservedConcurrency="many")
    # Past 900 once the quota is raised, and said so.
    high = config_of(
        resolveReservedConcurrency=str(HIGH_TRAFFIC_CAPACITY.resolve_reserved_concurrency),
        lambdaConcurrencyQuota=str(HIGH_TRAFFIC_CAPACITY.account_concurrency_quota),
    )
    assert high.resolve_reserved_concurrency == HIGH_TRAFFIC_CAPACITY.resolve_reserved_concurrency


def test_visits_warm_throughput(template: dict[str, Any], tmp_path: Path) -> None:
    visits = resource(template, "AWS::DynamoDB::Table", f"Tables{VISITS.logical_id}")["Properties"]
    assert "WarmThroughput" not in visits  # the default: what a new on-demand table starts with
    assert DEFAULT_CAPACITY.visits_warm_writes_per_second is None
    with pytest.raises(ValueError, match=re.escape("outside 4000..40000")):
        config_of(visitsWarmWrites="100")
    warm = HIGH_TRAFFIC_CAPACITY.visits_warm_writes_per_second
    assert config_of(visitsWarmWrites=str(warm)).visits_warm_writes == warm
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        build_app(
            outdir=str(tmp_path),
            context=cdk_json_context(),
            stacks={"SnipWarm": SnipConfig(visits_warm_writes=warm)},
        ).synth()
    found = json.loads((tmp_path / "SnipWarm.template.json").read_text())
    visits = resource(found, "AWS::DynamoDB::Table", f"Tables{VISITS.logical_id}")["Properties"]
    assert visits["WarmThroughput"] == {"WriteUnitsPerSecond": warm}


# --- regions and the web ACL's stack ----------------------------------------------------------


def test_a_stack_in_eu_west_1_keeps_its_web_acl_in_us_east_1(shapes: Shapes) -> None:
    artifacts = shapes.manifest["artifacts"]
    assert artifacts[EU]["environment"].endswith("/eu-west-1")
    assert artifacts[EU_EDGE]["environment"].endswith("/us-east-1")
    edge, main = shapes.templates[EU_EDGE], shapes.templates[EU]
    (acl,) = resources(edge, "AWS::WAFv2::WebACL").values()
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert resources(main, "AWS::WAFv2::WebACL") == {}
    web_acl = distribution_config(main)["WebACLId"]
    assert web_acl["Fn::GetStackOutput"]["StackName"] == EU_EDGE
    assert web_acl["Fn::GetStackOutput"]["Region"] == "us-east-1"
    output = web_acl["Fn::GetStackOutput"]["OutputName"]
    assert edge["Outputs"][output]["Value"] == get_att(logical_id(edge, "AWS::WAFv2::WebACL", "WafWebAcl"))
    assert EU_EDGE in artifacts[EU].get("dependencies", [])  # deployed first by make deploy (--all)


def test_a_stack_in_us_east_1_holds_its_web_acl(full_template: dict[str, Any]) -> None:
    acl = logical_id(full_template, "AWS::WAFv2::WebACL", "EdgeWaf")
    assert full_template["Resources"][acl]["Properties"]["Scope"] == "CLOUDFRONT"
    assert distribution_config(full_template)["WebACLId"] == get_att(acl)
    assert (
        resources(full_template, "AWS::WAFv2::WebACLAssociation") == {}
    )  # CloudFront's is the distribution's own


def test_waf_on_the_front_door_needs_the_region() -> None:
    with pytest.raises(ValueError, match="needs context region"):
        build_app(stacks={"Snip": SnipConfig(waf=True)})


@pytest.mark.parametrize("stack", [EU, EU_EDGE, STAGE_1, STAGE_2, STAGE_3, MOVE_NO_DOMAIN])
def test_cfn_lint_clean_shapes(shapes: Shapes, stack: str) -> None:
    matches = lint(
        (shapes.directory / f"{stack}.template.json").read_text(),
        config=ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=list(CFN_LINT_IGNORED)),
    )
    assert [str(m) for m in matches] == []


def test_cdk_nag_clean_shapes(shapes: Shapes) -> None:
    report = shapes.directory / "validation-report.json"
    if report.exists():
        for plugin in json.loads(report.read_text())["pluginReports"]:
            assert plugin["violations"] == [], plugin


# --- context ----------------------------------------------------------------------------------


def test_context_strings_as_the_cli_passes_them() -> None:
    found = config_of(
        frontDoor="true",
        apiRedirects="true",
        apiCertificateArn=EU_CERTIFICATE,
        dnsTarget="api",
        domainName="sho.rt",
        certificateArn=FULL_CONFIG.certificate_arn,
        visitsWarmWrites="12000",
        region="eu-west-1",
    )
    assert (found.front_door, found.api_redirects, found.dns_target, found.region) == (
        True,
        True,
        "api",
        "eu-west-1",
    )
    assert found.api_certificate_arn == EU_CERTIFICATE
    assert config_of(frontDoor="false").front_door is False
    assert config_of(frontDoor=False).front_door is False
    with pytest.raises(ValueError, match="frontDoor='yes' is neither true nor false"):
        config_of(frontDoor="yes")


class RecordingNode:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def try_get_context(self, key: str) -> None:
        self.keys.append(key)


def test_deploy_md_names_every_context_key() -> None:
    node = RecordingNode()
    SnipConfig.from_context(node)  # type: ignore[arg-type]
    text = (REPO / "docs/deploy.md").read_text()
    for key in node.keys:
        assert f"| `{key}` |" in text, key


def test_make_deploy_and_destroy_take_every_stack() -> None:
    # SnipEdge (the web ACL in us-east-1) is a stack of its own beside Snip.
    makefile = (REPO / "Makefile").read_text()
    for target in ("deploy", "destroy"):
        (recipe,) = [
            line for line in makefile.splitlines() if line.startswith(f"\tnpx --yes aws-cdk@2 {target} ")
        ]
        assert " --all " in recipe, recipe
