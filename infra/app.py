"""The CDK app (``cdk.json`` runs ``python -m infra.app``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Environment

from infra.context import SnipConfig
from infra.edge_stack import EdgeStack
from infra.nag import enable_checks
from infra.snip_stack import SnipStack

STACK_NAME = "Snip"
# AWS keeps a CloudFront distribution's web ACL and Lambda@Edge functions in this region, whatever
# the distribution's stack's.
EDGE_REGION = "us-east-1"


def build_app(
    *,
    outdir: str | None = None,
    context: Mapping[str, Any] | None = None,
    stacks: Mapping[str, SnipConfig] | None = None,
) -> App:
    """An app with cdk-nag and the Snip stack configured from context (or the given ``stacks``).

    Stacks are environment-agnostic (the region is a deploy-time value and nothing is looked up)
    unless context ``region`` names the region: then the stack is bound to it.
    """
    app = App(outdir=outdir, context=dict(context or {}))
    for name, config in (stacks or {STACK_NAME: SnipConfig.from_context(app.node)}).items():
        add_snip(app, name, config)
    enable_checks(app)
    return app


def add_snip(app: App, name: str, config: SnipConfig) -> SnipStack:
    """The Snip stack ``name``, and, when its front door needs something that must live in us-east-1
    (a web ACL, the throttle page's Lambda@Edge function) and the stack is elsewhere, the stack
    ``<name>Edge`` in us-east-1 that holds it (CDK passes its ARNs as cross-region references,
    ``Fn::GetStackOutput``: no custom resource, and ``make deploy`` (``--all``) deploys it first)."""
    env = Environment(region=config.region) if config.region else None
    in_us_east_1 = {"waf": config.waf, "edgeThrottlePage": config.edge_throttle_page}
    wanted = [key for key, on in in_us_east_1.items() if on] if config.front_door else []
    if not wanted or config.region == EDGE_REGION:
        return SnipStack(app, name, config=config, env=env)
    if not config.region:
        raise ValueError(
            f"context {' and '.join(f'{key}=true' for key in wanted)} with the front door needs context "
            "region (the stack's region, e.g. -c region=eu-west-1): a CloudFront distribution's web ACL "
            "and its Lambda@Edge functions live in us-east-1, in a stack of their own when the Snip "
            "stack is elsewhere (docs/deploy.md)"
        )
    edge = EdgeStack(
        app,
        f"{name}Edge",
        waf=config.waf,
        throttle_page=config.edge_throttle_page,
        env=Environment(region=EDGE_REGION),
        cross_region_references=True,
    )
    return SnipStack(
        app,
        name,
        config=config,
        env=env,
        cross_region_references=True,
        edge_web_acl_arn=edge.waf.web_acl.attr_arn if edge.waf else None,
        edge_throttle_page=edge.throttle_page.version if edge.throttle_page else None,
    )


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
