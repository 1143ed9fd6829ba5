"""The gateway as API Gateway, and functions as Lambda runs them, seen through the test-only probe."""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.e2e.stacks import Stack


def probe(stack: Stack, query: str = "", **kwargs: Any) -> requests.Response:
    method = kwargs.pop("method", "GET")
    return requests.request(method, f"{stack.base_url}/__test__/probe?{query}", timeout=30, **kwargs)


def test_proxy_event_is_shaped_like_api_gateways(stack: Stack) -> None:
    response = probe(
        stack,
        "a=1&a=2&b=",
        method="POST",
        data=b'{"x": 1}',
        headers={"Content-Type": "application/json", "X-Twice": "1"},
    )
    assert response.status_code == 200
    seen = response.json()
    event = seen["event"]
    assert event["resource"] == "/__test__/probe"
    assert event["path"] == "/__test__/probe"
    assert event["httpMethod"] == "POST"
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    # Binary media types "*/*" (snip_deploy.routes): API Gateway hands every body over base64-encoded.
    assert base64.b64decode(event["body"]) == b'{"x": 1}'
    assert event["isBase64Encoded"] is True
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["multiValueHeaders"]["X-Twice"] == ["1"]
    context = event["requestContext"]
    for name in (
        "resourcePath",
        "httpMethod",
        "path",
        "stage",
        "requestId",
        "domainName",
        "apiId",
        "accountId",
        "requestTimeEpoch",
        "protocol",
    ):
        assert context[name], name
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] == response.headers["x-amzn-RequestId"]


def test_lambda_context_and_environment(stack: Stack) -> None:
    seen = probe(stack).json()
    context = seen["context"]
    assert context["function_name"] == "snip-probe"
    assert context["invoked_function_arn"].endswith(":function:snip-probe")
    assert context["function_version"] == "$LATEST"
    assert context["log_group_name"] == "/aws/lambda/snip-probe"
    assert 0 < context["remaining_ms"] <= 60_000
    assert seen["cwd"].endswith("tests/e2e/fixtures/probe")
    assert seen["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "snip-probe"
    assert seen["env"]["AWS_ENDPOINT_URL_DYNAMODB"] == stack.aws_url
    assert seen["env"]["AWS_ENDPOINT_URL_LAMBDA"] == stack.aws_url
    assert seen["env"]["SNIP_PUBLIC_BASE_URL"] == stack.base_url


def test_response_headers_are_merged_like_api_gateway(stack: Stack) -> None:
    response = probe(stack)
    assert response.raw.headers.getlist("X-Probe") == ["one", "two"]
    assert response.headers["Content-Type"] == "application/json"


def test_malformed_response_and_exception_are_502(stack: Stack) -> None:
    for mode in ("malformed", "raise"):
        response = probe(stack, f"mode={mode}")
        assert response.status_code == 502, mode
        assert response.json() == {"message": "Internal server error"}


def test_environments_scale_with_concurrency_and_stay_warm(stack: Stack) -> None:
    with ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(lambda _: probe(stack, "mode=sleep&seconds=1").json(), range(3)))
    pids = {reply["pid"] for reply in replies}
    assert len(pids) == 3  # one request at a time per environment: three at once need three
    again = probe(stack).json()
    assert again["pid"] in pids  # a warm one is reused
    assert again["invocations"] > 1  # with its module state
    assert len(re.findall(r"cold start: probe#\d+", stack.log())) >= 3


def test_lambda_invoke_api(stack: Stack) -> None:
    import boto3

    client = boto3.client(
        "lambda",
        endpoint_url=stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    sync = client.invoke(FunctionName="snip-keygen", Payload=b'{"source":"snip.test","detail-type":"refill"}')
    assert sync["StatusCode"] == 200
    assert "FunctionError" not in sync
    assert (
        client.invoke(FunctionName="snip-keygen", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    )
    failed = client.invoke(FunctionName="snip-probe", Payload=b'{"queryStringParameters": {"mode": "raise"}}')
    assert failed["FunctionError"] == "Unhandled"
    try:
        client.invoke(FunctionName="snip-nothing")
    except client.exceptions.ResourceNotFoundException:
        pass
    else:
        raise AssertionError("an unknown function was invoked")


def test_dynamodb_endpoint_is_readable_by_boto3(stack: Stack) -> None:
    key = requests.post(
        f"{stack.base_url}/links",
        json={"url": "https://example.com/dyn"},
        headers=stack.headers(),
        timeout=30,
    ).json()["key"]
    client = stack.dynamodb()
    assert {"snip-links", "snip-keys", "snip-idempotency"} <= set(client.list_tables()["TableNames"])
    item = client.get_item(TableName="snip-links", Key={"key": {"S": key}})["Item"]
    assert item["url"]["S"] == "https://example.com/dyn"
