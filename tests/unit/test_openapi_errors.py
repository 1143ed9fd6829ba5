"""The OpenAPI pieces shorten does not read off a route: error responses from the error classes
and the one error -> status table, and resolve's GET/HEAD /{key}."""

from __future__ import annotations

import pytest

from snip.domain import errors
from snip.domain.errors import AliasTaken, DependencyUnavailable, RequestInProgress, SnipError
from snip.domain.validation import MAX_BODY_BYTES, REDIRECT_STATUSES
from snip.http import openapi
from snip.http.error_status import STATUS_OF, status_of

ALL_ERRORS = [SnipError, *SnipError.__subclasses__()]


@pytest.mark.parametrize("error", ALL_ERRORS, ids=lambda e: e.__name__)
def test_each_error_class_describes_itself(error: type[SnipError]) -> None:
    assert "description" in vars(error), f"{error.__name__} inherits its description"
    response = openapi.errors(error)
    assert list(response) == [status_of(error)]
    assert response[status_of(error)]["description"] == error.description
    assert response[status_of(error)]["content"]["application/json"]["model"].__name__ == "ErrorBody"


@pytest.mark.parametrize("error", ALL_ERRORS, ids=lambda e: e.__name__)
def test_each_error_has_its_own_status_in_the_table_and_none_of_its_own(error: type[SnipError]) -> None:
    assert error in STATUS_OF, f"{error.__name__} would answer its base class's status"
    assert not hasattr(error, "status"), "the status is the HTTP layer's (snip.http.error_status)"


def test_a_subclass_not_in_the_table_answers_its_base_class_status() -> None:
    class Unlisted(errors.LinkNotFound):
        pass

    assert status_of(Unlisted("gone missing")) == 404


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
