"""boto3 clients, created on first use (never at import) and reused for the life of the instance."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's boto3 has no types
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient

# Short timeouts and the SDK's standard retry mode (exponential back-off with jitter, retry
# quotas): a request that still fails after them becomes a 503 with Retry-After, not a hung
# Lambda. Endpoints come from the environment (AWS_ENDPOINT_URL_DYNAMODB locally).
# Every write may thus be sent up to ATTEMPTS times, its earlier answers lost: the adapters decide
# each one so that a repeat never does it twice (``snip.data.lost_writes``).
ATTEMPTS = 3  # in all, the first one included (botocore's "max_attempts" counts only retries)
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=3,
    retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    tcp_keepalive=True,
)


@lru_cache(maxsize=1)
def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb", config=_CONFIG)


@lru_cache(maxsize=1)
def lambda_() -> LambdaClient:
    return boto3.client("lambda", config=_CONFIG)
