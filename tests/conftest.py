"""Settings shared by every test: no real AWS, ever."""

from __future__ import annotations

import os

# Fake credentials and a fixed region before anything creates a boto3 client.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_DISABLED="false",
)
