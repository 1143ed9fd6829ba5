"""One helper makes a Snip function: its code, log group, role and least-privilege grants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import AssetHashType, BundlingOptions, Duration, RemovalPolicy, SymlinkFollowMode
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.context import LOG_RETENTION
from infra.function_bundling import REQUIREMENTS, PipLocalBundling, PipTarget
from infra.nag import acknowledge
from infra.table_constructs import TableAccess
from snip.execution.metric_names import NAMESPACE as METRICS_NAMESPACE
from snip.settings import Env
from snip_deploy.function_specs import FunctionSpec

REPO_ROOT = Path(__file__).resolve().parent.parent

# The deployable folder holds the entry point and a symlink `snip -> ../../src/snip`, the one
# mechanism by which the shared package reaches every function; the asset must carry the files.
# A folder's requirements.txt names the third-party packages its function imports: they are
# installed into the asset (infra.function_bundling), the file itself is for developers.
ASSET_EXCLUDE = [
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".pytest_cache",
    "ruff.toml",
    REQUIREMENTS,
]
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
PIP_TARGET = PipTarget.of(RUNTIME.name, ARCHITECTURE.name)
PIP_INSTALL = ["pip", "install", "--no-compile", *PIP_TARGET.pip_arguments()]


def function_code(spec: FunctionSpec) -> lambda_.Code:
    """The function's deployable folder as a zip asset; with a requirements.txt, its pins are
    installed into the asset by local bundling (pip for Lambda's platform, never Docker).

    The asset hash is CDK's SOURCE hash of the folder and the bundling options: requirements.txt
    is left out of the asset but not out of the hash, so a new pin makes a new asset."""
    folder = REPO_ROOT / spec.folder
    if not (folder / REQUIREMENTS).is_file():
        return lambda_.Code.from_asset(
            str(folder), follow_symlinks=SymlinkFollowMode.ALWAYS, exclude=ASSET_EXCLUDE
        )
    return lambda_.Code.from_asset(
        str(folder),
        follow_symlinks=SymlinkFollowMode.ALWAYS,
        exclude=[pattern for pattern in ASSET_EXCLUDE if pattern != REQUIREMENTS],
        asset_hash_type=AssetHashType.SOURCE,
        bundling=BundlingOptions(
            # Never run: the local bundler does the work or fails the synth. The image and
            # command say what it does, and are part of the asset hash.
            image=RUNTIME.bundling_image,
            command=[*PIP_INSTALL, "--target", "/asset-output", "--requirement", REQUIREMENTS],
            # jsii calls try_bundle(output_dir, options), not with the keyword arguments of the
            # generated ILocalBundling protocol (aws/aws-cdk#26581), hence the ignore.
            local=PipLocalBundling(folder, ASSET_EXCLUDE, PIP_TARGET),  # type: ignore[arg-type]
        ),
    )


class SnipFunction(Construct):
    """A Snip Lambda function with exactly the permissions its table accesses name."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        layer: lambda_.ILayerVersion | None,
        tables: Sequence[TableAccess],
        logs_key: kms.IKey,
        environment: Mapping[str, str] | None = None,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=logs_key,
        )
        # Our own role instead of AWSLambdaBasicExecutionRole: logs may go to this log group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Snip {spec.name} function",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            code=function_code(spec),
            handler=spec.handler,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            layers=[layer] if layer else [],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            # The spec's, unless the deployment sizes it (resolve: context resolveReservedConcurrency).
            reserved_concurrent_executions=reserved_concurrency or spec.reserved_concurrency,
            environment={
                Env.SERVICE_NAME: spec.name,
                Env.METRICS_NAMESPACE: METRICS_NAMESPACE,
                # The handlers already pass capture_response=False; this covers every other
                # traced method too. Errors are still captured (Powertools' default).
                Env.TRACER_CAPTURE_RESPONSE: "false",
                **{access.env_name: access.table.table_name for access in tables},
                **(environment or {}),
            },
        )
        if spec.max_event_age_seconds is not None or spec.max_retry_attempts is not None:
            self.function.configure_async_invoke(
                retry_attempts=spec.max_retry_attempts,
                max_event_age=(
                    Duration.seconds(spec.max_event_age_seconds) if spec.max_event_age_seconds else None
                ),
            )
        for access in tables:
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=list(access.actions),
                    resources=access.resources(),
                    conditions=access.conditions(),
                )
            )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which X-Ray "
            "does not support scoping to a resource; every other statement names its table ARN.",
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Pinned to python3.13 because the public Powertools layer used is the python313 build; "
            "moving to a newer runtime is a deliberate upgrade together with that layer.",
        )

    def allow_invoke(self, target: SnipFunction) -> None:
        """Let this function invoke ``target`` (its unqualified ARN only, no versions or aliases)."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[target.function.function_arn])
        )
