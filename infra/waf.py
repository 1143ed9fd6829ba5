"""Optional WAF (context waf=true): managed rule sets plus per-IP limits.

With the front door (``EdgeWaf``) the web ACL is CloudFront's (scope CLOUDFRONT, which AWS keeps in
us-east-1 whatever the stack's region): a per-IP limit on redirects and one on the API's paths,
both answered with a short 429 page and ``Retry-After``. Without it (``RedirectWaf``, today's
shape) the web ACL is the REST API stage's (REGIONAL), limiting redirects only.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.context import (
    STAGE_NAME,
    WAF_API_LIMIT_PER_5_MIN,
    WAF_REDIRECT_LIMIT_PER_5_MIN,
    WAF_RETRY_AFTER_SECONDS,
)
from snip_deploy.routes import ROUTES, edge_path_patterns

# Body rules of the common rule set that contradict the contract are counted, not blocked:
# Snip accepts JSON bodies up to 16 KiB (the set blocks over 8 KiB) and any http(s) URL,
# including ones with an IPv4 host (GenericRFI_BODY blocks those).
COUNTED_COMMON_RULES = ("SizeRestrictions_BODY", "GenericRFI_BODY")


# AWS managed rule groups run before the rate limit, in this order.
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")


def _route_pattern(path: str) -> str:
    """An API Gateway resource path as a regex: each ``{param}`` is one path segment."""
    return "/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in path.split("/"))


def _keyed_paths_regex() -> str:
    """The paths of the routes that need an API key, exactly, with or without the stage prefix.

    An exact match, not "contains /links": a short link ``/links-promo`` is a redirect and stays
    under the limit. Only these routes are left out of it (their callers are metered per API key
    by the usage plan); any other spelling, even one API Gateway would route to them, is merely
    counted. The execute-api URL carries the stage (``/prod/links``); the custom domain does not.
    """
    keyed = sorted({_route_pattern(route.path) for route in ROUTES if route.api_key_required})
    return f"^(/{re.escape(STAGE_NAME)})?({'|'.join(keyed)})$"


KEYED_PATHS_REGEX = _keyed_paths_regex()

# Before matching, WAF decodes the path and resolves ./, ../ and doubled slashes, so that an
# encoded spelling (``/links/%2E%2E%2Fpromo``) is judged as the path it stands for.
PATH_TRANSFORMATIONS = ("URL_DECODE", "NORMALIZE_PATH")


def _edge_api_paths_regex() -> str:
    """The front door's API paths (its behaviours' patterns) as one regex over the whole path."""
    alternatives = [
        re.escape(pattern[:-1]) + ".*" if pattern.endswith("*") else re.escape(pattern)
        for pattern in edge_path_patterns()
    ]
    return f"^({'|'.join(alternatives)})$"


EDGE_API_PATHS_REGEX = _edge_api_paths_regex()

# The body of WAF's 429 (its key in the web ACL's custom response bodies): the contract's short
# page for a visitor turned away (CONTRACT, "The front door").
TOO_MANY_REQUESTS_BODY = "too_many_requests"
TOO_MANY_REQUESTS_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too many requests</title>'
    '<meta name="viewport" content="width=device-width,initial-scale=1"></head><body>'
    "<h1>Too many requests</h1><p>This address has sent more requests than Snip answers in a few "
    "minutes. Please try again in a few minutes.</p></body></html>"
)


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _method_is(method: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
            positional_constraint="EXACTLY",
            search_string=method,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def redirect_route_statement() -> wafv2.CfnWebACL.StatementProperty:
    """GET/HEAD outside the API-key routes: the public GET /{key} route (and the tiny /health,
    /openapi.json)."""
    return _get_or_head_outside(KEYED_PATHS_REGEX)


def _path_matches(regex: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            regex_string=regex,
            text_transformations=[
                wafv2.CfnWebACL.TextTransformationProperty(priority=priority, type=kind)
                for priority, kind in enumerate(PATH_TRANSFORMATIONS)
            ],
        )
    )


def edge_redirect_statement() -> wafv2.CfnWebACL.StatementProperty:
    """GET/HEAD on a path the front door sends to resolve (none of the API's patterns)."""
    return _get_or_head_outside(EDGE_API_PATHS_REGEX)


def _get_or_head_outside(regex: str) -> wafv2.CfnWebACL.StatementProperty:
    """A GET or HEAD whose path (decoded, normalized) does not match ``regex``."""
    statements: list[Any] = [
        wafv2.CfnWebACL.StatementProperty(
            or_statement=wafv2.CfnWebACL.OrStatementProperty(
                statements=[_method_is("GET"), _method_is("HEAD")]
            )
        ),
        wafv2.CfnWebACL.StatementProperty(
            not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=_path_matches(regex))
        ),
    ]
    return wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=statements)
    )


def _rate_rule(
    name: str, priority: int, limit: int, scope_down: wafv2.CfnWebACL.StatementProperty
) -> wafv2.CfnWebACL.RuleProperty:
    """A per-IP rate limit over WAF's 5-minute window, answered with the 429 page."""
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(
            block=wafv2.CfnWebACL.BlockActionProperty(
                custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                    response_code=429,
                    custom_response_body_key=TOO_MANY_REQUESTS_BODY,
                    response_headers=[
                        wafv2.CfnWebACL.CustomHTTPHeaderProperty(
                            name="Retry-After", value=str(WAF_RETRY_AFTER_SECONDS)
                        )
                    ],
                )
            )
        ),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                aggregate_key_type="IP",
                limit=limit,
                evaluation_window_sec=300,
                scope_down_statement=scope_down,
            )
        ),
        visibility_config=_visibility(f"snip-{name}"),
    )


def _managed_rule_group(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    """An AWS managed rule group; the common set's rules that contradict the contract only count."""
    counted = COUNTED_COMMON_RULES if name == "AWSManagedRulesCommonRuleSet" else ()
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in counted
                ]
                or None,
            )
        ),
        visibility_config=_visibility(f"snip-{name}"),
    )


class RedirectWaf(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage_arn: str) -> None:
        super().__init__(scope, construct_id)
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("snip-waf"),
            rules=[
                *(_managed_rule_group(name, priority) for priority, name in enumerate(MANAGED_RULE_GROUPS)),
                wafv2.CfnWebACL.RuleProperty(
                    name="RedirectRatePerIp",
                    priority=len(MANAGED_RULE_GROUPS),
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP",
                            limit=WAF_REDIRECT_LIMIT_PER_5_MIN,
                            evaluation_window_sec=300,
                            scope_down_statement=redirect_route_statement(),
                        )
                    ),
                    visibility_config=_visibility("snip-redirect-rate"),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage_arn, web_acl_arn=self.web_acl.attr_arn
        )


class EdgeWaf(Construct):
    """The front door's web ACL (scope CLOUDFRONT: it must be created in us-east-1)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        managed = [_managed_rule_group(name, priority) for priority, name in enumerate(MANAGED_RULE_GROUPS)]
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("snip-edge-waf"),
            custom_response_bodies={
                TOO_MANY_REQUESTS_BODY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="TEXT_HTML", content=TOO_MANY_REQUESTS_PAGE
                )
            },
            rules=[
                *managed,
                _rate_rule(
                    "RedirectRatePerIp", len(managed), WAF_REDIRECT_LIMIT_PER_5_MIN, edge_redirect_statement()
                ),
                _rate_rule(
                    "ApiRatePerIp",
                    len(managed) + 1,
                    WAF_API_LIMIT_PER_5_MIN,
                    _path_matches(EDGE_API_PATHS_REGEX),
                ),
            ],
        )
