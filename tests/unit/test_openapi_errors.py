"""The OpenAPI pieces shorten does not read off a route: error responses from the error classes,
and resolve's GET/HEAD /{key}."""

from __future__ import annotations

import pytest

from snip.domain import errors
from snip.domain.errors import AliasTaken, DependencyUnavailable, RequestInProgress, SnipError
from snip.domain.validation import MAX_BODY_BYTES, REDIRECT_STATUSES
from snip.http import openapi

ALL_ERRORS = [SnipError, *SnipError.__subclasses__()]


@pytest.mark.parametrize("error", ALL_ERRORS, ids=lambda e: e.__name__)
def test_each_error_class_describes_itself(error: type[SnipError]) -> None:
    assert "description" in vars(error), f"{error.__name__} inherits its description"
    response = openapi.errors(error)
    assert list(response) == [error.status]
    assert response[error.status]["description"] == error.description
    assert response[error.status]["content"]["application/json"]["model"].__name__ == "ErrorBody"


def test_classes_that_share_a_status_share_a_response_that_names_each() -> None:
    response = openapi.errors(AliasTaken, RequestInProgress, DependencyUnavailable)
    assert list(response) == [409, 503]
    assert AliasTaken.description in response[409]["description"]
    assert RequestInProgress.description in response[409]["description"]


def test_the_413_description_states_the_enforced_limit() -> None:
    assert f"{MAX_BODY_BYTES // 1024} KiB" in errors.BodyTooLarge.description


def test_the_follow_path_item_documents_get_and_head_with_every_redirect_status() -> None:
    item = openapi.follow_path_item().model_dump(mode="json", by_alias=True, exclude_none=True)
    assert set(item) == {"get", "head"}
    for operation in (item["get"], item["head"]):
        statuses = {int(status) for status in operation["responses"]}
        assert statuses == {*REDIRECT_STATUSES, 404, 410, 503}
        gone = operation["responses"]["410"]
        assert gone["description"] == errors.LinkGone.description
        assert gone["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorBody"
