"""The stack ``<name>Edge`` in us-east-1: what the front door of a Snip stack in another region
must keep there (infra/app.py). The web ACL (context ``waf``, scope CLOUDFRONT) and the throttle
page's Lambda@Edge function (context ``edgeThrottlePage``), each only when asked for; the Snip
stack reads their ARNs as cross-region references (``Fn::GetStackOutput``)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.edge_throttle import EdgeThrottlePage
from infra.waf import EdgeWaf


class EdgeStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, waf: bool, throttle_page: bool, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Snip: what the front door keeps in us-east-1 (its web ACL, its throttle page)",
            **kwargs,
        )
        self.waf = EdgeWaf(self, "Waf") if waf else None
        self.throttle_page = EdgeThrottlePage(self, "ThrottlePage") if throttle_page else None
