"""The Powertools for AWS Lambda release Snip runs on, in one place.

The deployed functions get it from AWS's public layer (built for Python 3.13 on arm64); the tests,
benchmarks and ``.lambda-runtime/`` install the same release from PyPI. Layer version 27 is
Powertools 3.23.0 (powertools-lambda-python issue #7689 and PR #7757). ``pyproject.toml`` and
``functions/runtime-requirements.txt`` pin ``VERSION`` too: a test fails when any of them differ.
To move to another release, change all three (docs/deploy.md says how to read a release's layer
number).
"""

from __future__ import annotations

VERSION = "3.23.0"
LAYER_ACCOUNT = "017000801446"
LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python313-arm64"
LAYER_VERSION = 27


def layer_arn(region: str, version: int = LAYER_VERSION) -> str:
    return f"arn:aws:lambda:{region}:{LAYER_ACCOUNT}:layer:{LAYER_NAME}:{version}"
