"""The CDK app (``cdk.json`` runs ``python -m infra.app``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App

from infra.context import SnipConfig
from infra.nag import enable_checks
from infra.snip_stack import SnipStack

STACK_NAME = "Snip"


def build_app(
    *,
    outdir: str | None = None,
    context: Mapping[str, Any] | None = None,
    stacks: Mapping[str, SnipConfig] | None = None,
) -> App:
    """An app with cdk-nag and the Snip stack configured from context (or the given ``stacks``).

    Stacks are environment-agnostic: the region is a deploy-time value and nothing is looked up.
    """
    app = App(outdir=outdir, context=dict(context or {}))
    for name, config in (stacks or {STACK_NAME: SnipConfig.from_context(app.node)}).items():
        SnipStack(app, name, config=config)
    enable_checks(app)
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
