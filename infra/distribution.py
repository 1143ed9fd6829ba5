"""The front door: one CloudFront distribution is Snip's public host (CONTRACT, "The front door").

``GET``/``HEAD /{key}`` (the default behaviour) go to resolve's Function URL, which answers only
requests CloudFront signed (IAM auth, an Origin Access Control of type lambda that always signs).
The paths of ``snip_deploy.routes.edge_path_patterns()`` go to the REST API, where API keys, usage
plans and per-key throttles stay.

The API origin is built from the RestApi's id, not from its stage URL: the stage's URL would make
the distribution depend on the API's deployment, which depends on shorten's methods, while shorten
must know the distribution's name for its short URLs (``SNIP_PUBLIC_BASE_URL``). From the id, the
distribution depends on the ``AWS::ApiGateway::RestApi`` resource alone, and shorten may depend on
the distribution.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from infra.context import STAGE_NAME, SnipConfig
from infra.nag import acknowledge
from snip_deploy.routes import edge_path_patterns

# What resolve is sent of the visitor's request, and nothing else (never Host: the Function URL
# answers only to its own name, and a signed request must carry the host it was signed for).
# CloudFront-Viewer-Country: rules and stats by country. User-Agent: bots, device and OS rules.
# Referer: the stats' referrers. Accept-Language: language rules. Accept: whether a 404 or 410
# is the small HTML page or the JSON error (CONTRACT, "GET /{key}"). The query string: rules,
# forward_query and ?qr=1. The one cookie snip_vid: the split's visitor id.
REDIRECT_HEADERS = ("CloudFront-Viewer-Country", "User-Agent", "Referer", "Accept-Language", "Accept")
REDIRECT_COOKIES = ("snip_vid",)

# The console's own page for an origin CloudFront could not reach or that failed (500, 502 and
# 504 become 503, CONTRACT), served by the console function at a fixed name (no fingerprint).
EDGE_ERROR_PAGE = "/_/edge-503.html"
# CloudFront lets custom error responses replace only these statuses: 400, 403, 404, 405, 414,
# 416, 500, 501, 502, 503, 504 (never 429). 503 is left alone: resolve's and shorten's own 503s
# carry the contract's body and Retry-After. So are the 4xx: resolve's 404/410 pages and the
# API's JSON errors and API Gateway's 403 must reach their clients as they are.
ORIGIN_FAILURES = (500, 502, 504)
# How long CloudFront keeps answering a failed path with the page before it asks the origin
# again: short, so a recovered origin is back within seconds.
ERROR_CACHING = Duration.seconds(10)


class FrontDoor(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resolve: lambda_.IFunction,
        rest_api: apigw.RestApi,
        config: SnipConfig,
        web_acl_arn: str | None,
        alias_scope: Construct,
        throttle_page: lambda_.IVersion | None = None,
    ) -> None:
        """``throttle_page``: the Lambda@Edge function (a version in us-east-1) that turns Lambda's
        ``429`` on a redirect into the contract's page (context edgeThrottlePage, infra/edge_throttle.py)."""
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.function_url = resolve.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)
        resolve_origin = origins.FunctionUrlOrigin.with_origin_access_control(
            self.function_url,
            origin_access_control=cloudfront.FunctionUrlOriginAccessControl(
                self, "ResolveAccess", signing=cloudfront.Signing.SIGV4_ALWAYS
            ),
        )
        api_origin = origins.HttpOrigin(
            f"{rest_api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}",
            origin_path=f"/{STAGE_NAME}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )
        redirect_request = cloudfront.OriginRequestPolicy(
            self,
            "RedirectRequest",
            comment="Snip redirects: what resolve reads of the visitor's request, never Host",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(*REDIRECT_HEADERS),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.allow_list(*REDIRECT_COOKIES),
        )
        # Every viewer header but Host (x-api-key, Idempotency-Key, Content-Type, Accept, ...),
        # every query string and cookie: the API sees the request as its clients sent it.
        api_behavior = cloudfront.BehaviorOptions(
            origin=api_origin,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        )
        # The console's fingerprinted assets never change meaning (functions/console): cached at
        # the edge as the origin's Cache-Control says.
        asset_behavior = cloudfront.BehaviorOptions(
            origin=api_origin,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        )
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn)
            if config.certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Snip {stack.stack_name}: redirects to resolve, the API to API Gateway",
            default_behavior=cloudfront.BehaviorOptions(
                origin=resolve_origin,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                # GET and HEAD are the least CloudFront accepts; nothing is cached all the same.
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=redirect_request,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                # On the redirects only: the API's 429s are API Gateway's documented JSON.
                edge_lambdas=[
                    cloudfront.EdgeLambda(
                        function_version=throttle_page,
                        event_type=cloudfront.LambdaEdgeEventType.ORIGIN_RESPONSE,
                    )
                ]
                if throttle_page
                else None,
            ),
            additional_behaviors={
                pattern: asset_behavior if pattern == "/_/*" else api_behavior
                for pattern in edge_path_patterns()
            },
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=503,
                    response_page_path=EDGE_ERROR_PAGE,
                    ttl=ERROR_CACHING,
                )
                for status in ORIGIN_FAILURES
            ],
            domain_names=[config.domain_name] if config.domain_name else None,
            certificate=certificate,
            # Only a custom certificate takes a policy; *.cloudfront.net's is CloudFront's own.
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            web_acl_id=web_acl_arn,
        )
        self.public_base_url = (
            config.public_base_url or f"https://{self.distribution.distribution_domain_name}"
        )
        self._acknowledge(config, web_acl_arn)
        if config.hosted_zone_id and config.dns_target == "distribution":
            self._alias_records(config, alias_scope)

    def _alias_records(self, config: SnipConfig, alias_scope: Construct) -> None:
        assert config.domain_name
        assert config.hosted_zone_id
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.domain_name
        )
        target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
        # The A record keeps the construct path (and so the logical id) the REST API's custom
        # domain record had: moving DNS is an in-place update of the same record, never a delete
        # and a create of the same name (docs/deploy.md, "Moving a running stack").
        route53.ARecord(alias_scope, "Alias", zone=zone, record_name=f"{config.domain_name}.", target=target)
        route53.AaaaRecord(self, "AliasIpv6", zone=zone, record_name=f"{config.domain_name}.", target=target)

    def _acknowledge(self, config: SnipConfig, web_acl_arn: str | None) -> None:
        distribution = self.distribution
        acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "A short link is for anyone anywhere: no country is refused; rules may send a country "
            "elsewhere, per link (CONTRACT, redirect rules).",
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR3",
            "Standard logs would add a bucket and a log line per redirect; every visit is already an "
            "event of the visits table (with its country) and every API call a line of the stage's "
            "access log.",
        )
        if not web_acl_arn:
            acknowledge(
                distribution,
                "AwsSolutions-CFR2",
                "WAF is an opt-in (context waf=true, docs/deploy.md) for its fixed monthly cost and "
                "its price per request; resolve's reserved concurrency caps the redirect rate and the "
                "usage plan every API key.",
            )
        if not config.certificate_arn:
            acknowledge(
                distribution,
                "AwsSolutions-CFR4",
                "Without a custom domain the distribution answers on its *.cloudfront.net name, whose "
                "certificate and TLS policy are CloudFront's; with one, TLSv1.2_2021 is the minimum.",
            )
