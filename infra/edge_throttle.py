"""The front door's throttle page (context ``edgeThrottlePage``, off by default): a Lambda@Edge
function that CloudFront runs on every response of resolve's Function URL (origin-response), to
turn Lambda's bare ``429`` into the contract's short page (``functions/edge_throttle``).

Lambda@Edge wants the function in us-east-1 (in the Snip stack there, else in the stack
``<name>Edge``: infra/app.py), a numbered version, a role that ``edgelambda.amazonaws.com`` may
assume, the x86_64 architecture, and no layer, environment variable or tracing. Its logs are
written in the region of the edge location that ran it, to ``/aws/lambda/us-east-1.<function>``.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack, SymlinkFollowMode, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.lambda_function import ASSET_EXCLUDE, REPO_ROOT, RUNTIME
from infra.nag import acknowledge

FOLDER = "functions/edge_throttle"
HANDLER = "edge_throttle_app.handler"
# The smallest size: the handler reads a status and, on a 429, writes a few hundred bytes; the
# price of the page is per request and per GB-second at this size (docs/deploy.md).
MEMORY_MB = 128
TIMEOUT = Duration.seconds(3)


class EdgeThrottlePage(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("lambda.amazonaws.com"), iam.ServicePrincipal("edgelambda.amazonaws.com")
            ),
            description="Snip's throttle page at the edge (Lambda@Edge)",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            code=lambda_.Code.from_asset(
                str(REPO_ROOT / FOLDER), follow_symlinks=SymlinkFollowMode.ALWAYS, exclude=ASSET_EXCLUDE
            ),
            handler=HANDLER,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
            role=role,
            description="Snip: Lambda's 429 on a redirect becomes the contract's short page",
        )
        # A policy of its own (not the role's default policy, on which the function depends), so
        # that it may name the function: every region's log group of this function's replicas.
        # (CDK's log group ``/aws/lambda/<function>`` only ever holds direct test invocations.)
        log_writes = iam.Policy(
            self,
            "Logs",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[
                        stack.format_arn(
                            service="logs",
                            region="*",
                            resource="log-group",
                            resource_name=f"/aws/lambda/us-east-1.{self.function.function_name}:*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                )
            ],
        )
        self.version = self.function.current_version
        # The finding names the resource as cdk-nag prints it (a stack in a named region knows its
        # partition).
        function_id = stack.resolve(stack.get_logical_id(self.function.node.default_child))  # type: ignore[arg-type]
        partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
        acknowledge(
            log_writes,
            f"AwsSolutions-IAM5[Resource::arn:{partition}:logs:*:<AWS::AccountId>:log-group:"
            f"/aws/lambda/us-east-1.<{function_id}>:*]",
            "Lambda@Edge writes a function's logs in the region of the edge location that ran it, "
            "so its one log group name is allowed in every region.",
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Lambda@Edge supports Python up to 3.13 (CloudFront Developer Guide, restrictions on "
            "Lambda@Edge), the runtime of the other functions too.",
        )
