"""The REST API: the routes of ``snip_deploy.routes.ROUTES``, API keys, usage plan, logs, custom domain."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from infra.context import LOG_RETENTION, STAGE_NAME, SnipConfig
from infra.nag import acknowledge
from snip_deploy.api_limits import ApiLimits
from snip_deploy.function_specs import RESOLVE, FunctionSpec
from snip_deploy.routes import BINARY_MEDIA_TYPES, ROUTES


class SnipApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[FunctionSpec, lambda_.IFunction],
        limits: ApiLimits,
        config: SnipConfig,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=logs_key,
        )
        self.rest_api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=Stack.of(self).stack_name,
            description="Snip URL shortener",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-wide CloudWatch role is account configuration, not this app's to own.
            cloud_watch_role=False,
            # Behind a custom domain, the execute-api URL would be a second address of every link
            # (a link to it could loop back through the API): only the custom domain answers.
            # The front door reaches the API there, so with it the endpoint stays
            # (docs/deploy.md, "The execute-api URL").
            disable_execute_api_endpoint=bool(config.domain_name) and not config.front_door,
            # The PNG of GET /links/{key}/qr leaves the function base64-encoded; API Gateway
            # sends it as bytes for these (snip_deploy.routes says why "*/*").
            binary_media_types=list(BINARY_MEDIA_TYPES),
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                tracing_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                # Stage-wide default for every method (`/*/*`); the per-key limits are the usage plan's.
                throttling_rate_limit=limits.stage.rate,
                throttling_burst_limit=limits.stage.burst,
            ),
        )
        self._add_routes(functions, redirects=config.api_serves_redirects)
        self.usage_plan, self.api_key = self._add_usage_plan(limits)
        self.domain = self._add_domain(config) if config.api_domain else None

        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG2",
            "Requests are validated by the handlers, which must answer Snip's JSON error shape "
            "(CONTRACT section 2); API Gateway's request validator would answer its own shape.",
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG6",
            "JSON access logs are on for the stage; execution logging needs the account-wide API "
            "Gateway CloudWatch role, which belongs to account setup, not to this application stack.",
        )
        if config.front_door:
            acknowledge(
                self.rest_api,
                "AwsSolutions-APIG3",
                "With the front door the web ACL (context waf=true) is the CloudFront distribution's, "
                "where the public traffic arrives; a second one on the stage would cost $5 a month more "
                "for direct execute-api callers, who hold API keys metered by the usage plan.",
            )
        elif not config.waf:
            acknowledge(
                self.rest_api,
                "AwsSolutions-APIG3",
                "WAF is an opt-in (context waf=true, docs/deploy.md) for its fixed monthly cost; "
                "stage throttling and usage-plan quotas bound abuse without it.",
            )

    def _add_routes(self, functions: Mapping[FunctionSpec, lambda_.IFunction], *, redirects: bool) -> None:
        # One proxy integration per function, shared by its methods; the console's test-invoke
        # permission is left out (half the Lambda permissions, none of them needed).
        # With the front door, GET/HEAD /{key} are the distribution's (unless a running stack's
        # links still need them here: context apiRedirects).
        routes = [route for route in ROUTES if redirects or route.function != RESOLVE]
        integrations = {
            spec: apigw.LambdaIntegration(function, proxy=True, allow_test_invoke=False)
            for spec, function in functions.items()
            if any(route.function == spec for route in routes)
        }
        for route in routes:
            resource = self.rest_api.root.resource_for_path(route.path)
            method = resource.add_method(
                route.method, integrations[route.function], api_key_required=route.api_key_required
            )
            reason = (
                "Owner identity on /links is the API key bound to a usage plan, as the contract "
                "specifies; keys are throttled and metered per key."
                if route.api_key_required
                else "Public by design (CONTRACT section 2): short-link redirects, /health, "
                "/openapi.json and the web console's static page (it holds no data; the key is pasted "
                "into it) are answered to anyone, under the stage throttle."
            )
            acknowledge(method, "AwsSolutions-APIG4", reason)
            acknowledge(method, "AwsSolutions-COG4", reason)

    def _add_usage_plan(self, limits: ApiLimits) -> tuple[apigw.UsagePlan, apigw.IApiKey]:
        plan = self.rest_api.add_usage_plan(
            "UsagePlan",
            name="snip-default",
            description="Per-key limits from snip_deploy.api_limits (CDK context)",
            throttle=apigw.ThrottleSettings(
                rate_limit=limits.usage_plan.rate, burst_limit=limits.usage_plan.burst
            ),
            quota=apigw.QuotaSettings(limit=limits.daily_quota, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )
        # The stack's own key has no registry record: it is its own owner with both scopes
        # (snip.operations.callers). More keys, with owners and scopes, come from `snip keys create`.
        key = apigw.ApiKey(self, "ApiKey", description="Snip API key created by the stack")
        plan.add_api_key(key)
        return plan, key

    def _add_domain(self, config: SnipConfig) -> apigw.DomainName:
        # The regional certificate: certificateArn in today's shape, apiCertificateArn while a
        # stack with the front door moves its domain (the distribution's is in us-east-1).
        certificate_arn = config.api_certificate_arn if config.front_door else config.certificate_arn
        assert config.domain_name
        assert certificate_arn
        domain = apigw.DomainName(
            self,
            "Domain",
            domain_name=config.domain_name,
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn),
            endpoint_type=apigw.EndpointType.REGIONAL,
            security_policy=apigw.SecurityPolicy.TLS_1_2,
        )
        # Root mapping: short links are https://<domain>/<key>, no stage in the path.
        domain.add_base_path_mapping(self.rest_api, stage=self.rest_api.deployment_stage)
        if config.hosted_zone_id and (not config.front_door or config.dns_target == "api"):
            # from_hosted_zone_attributes looks nothing up; the record name is fully qualified
            # (trailing dot), so the zone's own name does not matter here.
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.domain_name
            )
            route53.ARecord(
                self,
                "Alias",
                zone=zone,
                record_name=f"{config.domain_name}.",
                target=route53.RecordTarget.from_alias(targets.ApiGatewayDomain(domain)),
            )
        return domain
