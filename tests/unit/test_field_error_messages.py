"""An invalid field's message names the field once: "url must be ...", never "url: url must be ..."."""

from __future__ import annotations

from typing import Any

import pytest

from snip.domain.errors import InvalidInput
from snip.domain.link_request import parse_link_request
from snip.http.api_models import LinkPatch, as_invalid_input

URL = "https://example.com/a"


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"url": "ftp://example.com/"}, "invalid_url", "url must be an absolute http or https URL."),
        ({"url": "https://u:p@example.com/"}, "invalid_url", "url must not contain user information"),
        ({"url": URL, "expires_at": "2001-01-01T00:00:00Z"}, "invalid_expires_at", "expires_at must be in"),
        (
            {"url": URL, "redirect_status": 302.0},
            "invalid_redirect_status",
            "redirect_status must be an integer",
        ),
        ({"url": URL, "tags": ["a", "A"]}, "invalid_tags", "tags must be distinct"),
        ({"url": URL, "alias": "a b c"}, "invalid_alias", "alias: String should match pattern"),
        ({"url": URL, "alias": "links"}, "invalid_alias", "alias: 'links' is a reserved word."),
        ({"url": URL, "max_visits": 0}, "invalid_max_visits", "max_visits: Input should be greater than"),
        ({}, "invalid_url", "url: Field required."),
    ],
)
def test_a_create_names_the_field_once(body: dict[str, Any], code: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_link_request(body)
    assert refused.value.code == code
    assert refused.value.message.startswith(message)
    name = code.removeprefix("invalid_")
    assert not refused.value.message.startswith(f"{name}: {name} ")


def test_a_change_names_the_field_once() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        LinkPatch.model_validate({"url": "ftp://example.com/"})
    # As the Event Handler hands them over: located in the body.
    problem = as_invalid_input(
        [{**error, "loc": ("body", *error["loc"])} for error in refused.value.errors()]
    )
    assert (problem.code, problem.message) == ("invalid_url", "url must be an absolute http or https URL.")
