"""A create request's rules are the domain's (``snip.domain.link_request``); the schema that
documents them is ``LinkCreate``'s fields. This holds the two together: a model built from
those fields alone, validated by pydantic, gives every body the same answer (the same first
error, code and message, or the same request) as the domain, so the document cannot promise
what the rules refuse, nor the reverse."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, create_model

from snip.domain.errors import InvalidInput
from snip.domain.link_request import FIELDS, parse_link_request
from snip.http.api_models import LinkCreate, as_invalid_input

# LinkCreate's documented fields, validated by pydantic (LinkCreate itself hands bodies to the domain).
DocumentedLinkCreate: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "DocumentedLinkCreate",
    __config__=LinkCreate.model_config,
    **{name: (info.annotation, info) for name, info in LinkCreate.model_fields.items()},
)

VALUES: list[Any] = [
    None, True, 0, 1, 5.0, 302, 302.0, "302", 301, 999, 10**9, 10**9 + 1, -1, "", "ab", "abc",
    "a" * 64, "a" * 65, "ab cd", "abc\n", "links", "https://example.com/x", "ftp://x",
    "https://" + "a" * 2050, "2999-01-01T00:00:00Z", "2999-01-01T00:00:00.25+02:00",
    "2000-01-01T00:00:00Z", "nope", [], ["a"], ["A", "a"], ["a"] * 11, [str(i) for i in range(11)],
    [1], [""], ["x" * 33], ["a b"], ["ok", 5], {}, "abc\u200b", "https://example.com/\n",
    "t" * 200, "t" * 201, "n" * 1000, "n" * 1001, "a\tb", "a\x7fb", "a\x85b", "caf\u00e9 \U0001f600",
    "half \ud800 pair", "line\r\nbreak",
]  # fmt: skip
NAMES = [*FIELDS, "extra"]


def _bodies() -> list[Any]:
    bodies: list[Any] = [[], "x", None, {}, {"url": "https://example.com/a"}]
    for name in NAMES:
        for value in VALUES:
            bodies.append({name: value} if name == "url" else {"url": "https://example.com/a", name: value})
    for a, b in itertools.combinations(NAMES, 2):  # which of two bad fields is reported
        for value in [5, None, "", [1], 1.5]:
            bodies += [{a: value, b: value}, {b: value, a: value}]
    return bodies


def _documented(body: Any) -> tuple[str, Any]:
    try:
        model = DocumentedLinkCreate.model_validate(body)
    except ValidationError as error:
        problem = as_invalid_input(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        )
        return problem.code, problem.message
    return "ok", {name: getattr(model, name) for name in FIELDS}


def _domain(body: Any) -> tuple[str, Any]:
    try:
        request = parse_link_request(body)
    except InvalidInput as error:
        return error.code, error.message
    return "ok", {name: getattr(request, name) for name in FIELDS}


def test_the_documented_fields_are_the_requests() -> None:
    assert tuple(LinkCreate.model_fields) == FIELDS


@pytest.mark.parametrize("body", _bodies(), ids=repr)
def test_the_domain_rules_answer_as_the_documented_schema(body: Any) -> None:
    assert _domain(body) == _documented(body)


@pytest.mark.parametrize("body", [{"url": "ftp://x"}, {"url": "https://example.com/a", "tags": ["Q3"]}])
def test_the_model_delegates_to_the_domain(body: Any) -> None:
    try:
        answer: tuple[str, Any] = ("ok", LinkCreate.model_validate(body).as_request())
    except InvalidInput as error:
        answer = (error.code, error.message)
    try:
        expected: tuple[str, Any] = ("ok", parse_link_request(body))
    except InvalidInput as error:
        expected = (error.code, error.message)
    assert answer == expected
