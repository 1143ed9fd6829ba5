"""The raw events bucket is versioned, so an object overwritten under events/ can be restored, and
the old versions expire, so what they cost stays bounded (docs/deploy.md, checkov CKV_AWS_21)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.context import EVENT_RETENTION_DAYS
from infra.visit_pipeline import NONCURRENT_VERSION_DAYS
from tests.infra.helpers import as_list, logical_id, resource, resources

BUCKET = "AWS::S3::Bucket"
# What would let a role of the stack remove the old versions or stop keeping them.
VERSION_ERASERS = {
    "s3:*",
    "s3:DeleteObjectVersion",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:PutObjectRetention",
    "s3:DeleteBucket",
}


@pytest.fixture(params=["template", "full_template", "rest_template"])
def shape(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every shape of the stack has the bucket: with and without the front door and the options."""
    found: dict[str, Any] = request.getfixturevalue(request.param)
    return found


def test_the_events_bucket_keeps_overwritten_objects(shape: dict[str, Any]) -> None:
    props = resource(shape, BUCKET, "VisitsEvents")["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}


def test_old_versions_expire_a_month_after_they_stop_being_current(shape: dict[str, Any]) -> None:
    (rule,) = resource(shape, BUCKET, "VisitsEvents")["Properties"]["LifecycleConfiguration"]["Rules"]
    assert NONCURRENT_VERSION_DAYS == 30
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": NONCURRENT_VERSION_DAYS}
    assert rule["ExpirationInDays"] == EVENT_RETENTION_DAYS
    # S3 refuses ExpiredObjectDeleteMarker beside Days; with Days it removes a lone delete marker
    # itself once it is old enough, so the expired objects leave nothing behind.
    assert "ExpiredObjectDeleteMarker" not in rule
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rule["Status"] == "Enabled"
    assert not {"Prefix", "TagFilters"} & set(rule)  # every object, so every old version


def test_no_role_of_the_stack_can_erase_old_versions(shape: dict[str, Any]) -> None:
    bucket_id = logical_id(shape, BUCKET, "VisitsEvents")
    grants = [
        (policy_id, statement)
        for policy_id, policy in resources(shape, "AWS::IAM::Policy").items()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow" and bucket_id in str(statement.get("Resource"))
    ]
    assert grants, "the aggregator's PutObject names the bucket: the search found no grant at all"
    for policy_id, statement in grants:
        assert not VERSION_ERASERS & set(as_list(statement["Action"])), (policy_id, statement)
