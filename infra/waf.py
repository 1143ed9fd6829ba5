"""Optional WAF (context waf=true): managed common rules plus a per-IP limit on redirects."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.context import WAF_REDIRECT_LIMIT_PER_5_MIN

# Body rules of the common rule set that contradict the contract are counted, not blocked:
# Snip accepts JSON bodies up to 16 KiB (the set blocks over 8 KiB) and any http(s) URL,
# including ones with an IPv4 host (GenericRFI_BODY blocks those).
COUNTED_COMMON_RULES = ("SizeRestrictions_BODY", "GenericRFI_BODY")


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
    """GET/HEAD outside /links: the public GET /{key} route (and the tiny /health, /openapi.json)."""
    under_links = wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            # "/links" with or without the stage prefix (execute-api URLs carry /prod).
            positional_constraint="CONTAINS",
            search_string="/links",
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )
    statements: list[Any] = [
        wafv2.CfnWebACL.StatementProperty(
            or_statement=wafv2.CfnWebACL.OrStatementProperty(
                statements=[_method_is("GET"), _method_is("HEAD")]
            )
        ),
        wafv2.CfnWebACL.StatementProperty(
            not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=under_links)
        ),
    ]
    return wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=statements)
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
                wafv2.CfnWebACL.RuleProperty(
                    name="AWSManagedRulesCommonRuleSet",
                    priority=0,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name="AWSManagedRulesCommonRuleSet",
                            rule_action_overrides=[
                                wafv2.CfnWebACL.RuleActionOverrideProperty(
                                    name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                                )
                                for rule in COUNTED_COMMON_RULES
                            ],
                        )
                    ),
                    visibility_config=_visibility("snip-common-rules"),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="RedirectRatePerIp",
                    priority=1,
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
