"""The synthesized resolve asset answers CloudFront's events: what ships is what the front door calls.

resolve's asset from the cloud assembly is imported in a clean interpreter with only the Lambda
runtime on its path (tests/lambda_sandbox.py) and served a Function URL event (payload 2.0) shaped
as the distribution's origin request makes it, against moto: a redirect, the visit named by
CloudFront's X-Amz-Cf-Id with the viewer's country. And the local stack's distribution forwards
what the synthesized origin request policy forwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from snip.settings import Env
from snip_deploy.tables import ALL_TABLES
from snip_local.cloudfront_standin import FORWARDED_COOKIES, FORWARDED_HEADERS
from tests.infra.conftest import Assembly
from tests.infra.helpers import resources
from tests.infra.test_assets import invoke
from tests.lambda_sandbox import REGION, moto_dynamodb
from tests.service.lambda_events import function_url_event, rest_event
from tests.service.visits_table_setup import visit_events

KEY = "Edge123"
TARGET = "https://example.com/through-the-front-door"


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[tuple[str, dict[str, str]]]:
    """moto on loopback, the tables under names of this test's own, one live link in them."""
    suffix = uuid.uuid4().hex[:8]
    names = {table.env_name: f"edge-{table.logical_id.lower()}-{suffix}" for table in ALL_TABLES}
    with moto_dynamodb(names) as endpoint:
        client(endpoint).put_item(
            TableName=names[Env.LINKS_TABLE],
            Item={
                "key": {"S": KEY},
                "url": {"S": TARGET},
                "owner": {"S": "owner-a"},
                "redirect_status": {"N": "302"},
                "disabled": {"BOOL": False},
            },
        )
        yield endpoint, names


def client(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id="x", aws_secret_access_key="x",
    )  # fmt: skip


def events(dynamodb: tuple[str, dict[str, str]]) -> list[dict[str, Any]]:
    endpoint, names = dynamodb
    return visit_events(client(endpoint), names[Env.VISITS_TABLE])


def test_the_resolve_asset_redirects_a_cloudfront_event_and_names_the_visit_by_its_id(
    assembly: Assembly, dynamodb: tuple[str, dict[str, str]]
) -> None:
    event = function_url_event(
        "GET", f"/{KEY}?qr=1", headers={"User-Agent": "Mozilla/5.0", "CloudFront-Viewer-Country": "SE"}
    )
    response = invoke(assembly, dynamodb, "resolve", event)
    assert (response["statusCode"], response["headers"]["Location"]) == (302, TARGET)
    written = [e for e in events(dynamodb) if e["id"] == event["headers"]["x-amz-cf-id"]]
    assert [(e["key"], e["country"], e["source"]) for e in written] == [(KEY, "SE", "qr")]


def test_the_resolve_asset_answers_head_and_unknown_keys_as_the_rest_api_would(
    assembly: Assembly, dynamodb: tuple[str, dict[str, str]]
) -> None:
    before = len(events(dynamodb))
    head = invoke(assembly, dynamodb, "resolve", function_url_event("HEAD", f"/{KEY}"))
    assert (head["statusCode"], head["headers"]["Location"]) == (302, TARGET)
    assert len(events(dynamodb)) == before  # HEAD counts nothing
    missing = function_url_event("GET", "/Nothing1", headers={"Accept": "text/html"})
    rest_missing = rest_event("GET", "/Nothing1", api_key_id=None, headers={"Accept": "text/html"})[1]
    answers = [invoke(assembly, dynamodb, "resolve", e) for e in (missing, rest_missing)]
    assert [a["statusCode"] for a in answers] == [404, 404]
    assert answers[0] == answers[1]


def test_the_local_distribution_forwards_what_the_origin_request_policy_forwards(assembly: Assembly) -> None:
    """snip_local.cloudfront_standin plays the distribution's redirect behaviour: the same allowlist."""
    policies = [
        policy["Properties"]["OriginRequestPolicyConfig"]
        for template in assembly.templates.values()
        for policy in resources(template, "AWS::CloudFront::OriginRequestPolicy").values()
    ]
    if not policies:
        pytest.skip("no stack of this synth has a front door (infra/distribution.py)")
    for config in policies:
        headers = config["HeadersConfig"]
        cookies = config["CookiesConfig"]
        assert headers["HeaderBehavior"] == "whitelist"
        assert sorted(h.lower() for h in headers["Headers"]) == sorted(h.lower() for h in FORWARDED_HEADERS)
        assert "host" not in [h.lower() for h in headers["Headers"]]
        assert (cookies["CookieBehavior"], cookies["Cookies"]) == ("whitelist", list(FORWARDED_COOKIES))
        assert config["QueryStringsConfig"]["QueryStringBehavior"] == "all"
