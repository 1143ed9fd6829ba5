"""Request and response bodies of the links API, as pydantic models (the stats answer's too).

They generate the OpenAPI document and validate requests through the Event Handler. A create
request's rules are the domain's (``snip.domain.link_request``): ``LinkCreate`` declares its
fields for the document and hands every body to ``parse_link_request``, so that POST /links, a
batch's items and the lean POST /links that shorten serves without pydantic follow one set of
rules (tests/unit/test_link_request.py holds them to the schema documented here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    WrapValidator,
    model_validator,
)

from snip.domain import redirect_rules
from snip.domain.bulk_request import MAX_BULK_KEYS, BulkAction, BulkRequest, parse_bulk_request
from snip.domain.errors import InvalidInput
from snip.domain.link_request import (
    ALIAS_PATTERN,
    NOT_NULLABLE_ON_PATCH,
    TAG_PATTERN,
    TITLE_PATTERN,
    URL_PATTERN,
    LinkRequest,
    check_redirect_status,
    field_error,
    parse_link_request,
)
from snip.domain.short_keys import ALIAS_MIN_LENGTH, MAX_KEY_LENGTH
from snip.domain.validation import (
    DEFAULT_REDIRECT_STATUS,
    MAX_NOTES_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_VISITS,
    RedirectStatusCode,
    check_alias,
    check_expires_at,
    check_tags,
    check_title,
    check_url,
)

if TYPE_CHECKING:
    from pydantic.json_schema import JsonDict
    from pydantic_core import ErrorDetails

# The pattern is documented only: check_url enforces more (and says what is wrong in its words).
Url = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH, examples=["https://example.com/a/long/path"],
                           json_schema_extra={"pattern": URL_PATTERN}),
                AfterValidator(check_url)]  # fmt: skip
# An RFC 3339 date-time with an offset (snip.domain.clock.parse_rfc3339 reads it).
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Alias = Annotated[str, Field(min_length=ALIAS_MIN_LENGTH, max_length=MAX_KEY_LENGTH,
                             pattern=ALIAS_PATTERN),
                  AfterValidator(check_alias)]  # fmt: skip
ExpiresAt = Annotated[Instant, Field(description="RFC 3339 date-time with offset, in the future; stored "
                                                 "in UTC to the second, a fraction rounded up",
                                     examples=["2030-01-31T12:00:00Z"]),
                      AfterValidator(check_expires_at)]  # fmt: skip
MaxVisits = Annotated[int, Field(ge=1, le=MAX_VISITS)]
# Upper case is accepted and stored lowered (check_tags), so the schema's pattern allows it.
Tag = Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH, pattern=TAG_PATTERN)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS, description="Distinct, compared and stored in "
                                  "lower case", examples=[["launch", "q3"]]),
                 AfterValidator(check_tags)]  # fmt: skip
# The pattern is documented only: check_title enforces it.
Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_LENGTH, description="For your eyes only, "
                             "never shown to visitors; one line", examples=["Spring launch page"],
                             json_schema_extra={"pattern": TITLE_PATTERN}),
                  AfterValidator(check_title)]  # fmt: skip
Notes = Annotated[str, Field(max_length=MAX_NOTES_LENGTH, description="For your eyes only; line breaks kept")]
MAX_BATCH_ITEMS = 100


def _integer(value: object) -> object:
    """Literal[301, ...] alone would take 301.0 (== 301): a JSON number with a fraction is refused
    by the domain's rule (``check_redirect_status``); the Literal checks the rest."""
    return check_redirect_status(value) if isinstance(value, float) else value


RedirectStatus = Annotated[RedirectStatusCode, BeforeValidator(_integer)]


class _Strict(BaseModel):
    # No coercion ("5" is not 5, true is not 1) and no unknown fields.
    model_config = ConfigDict(extra="forbid", strict=True)


def _not_nullable(schema: JsonDict) -> None:
    """Document a field as refusing null: its None default only means "not given"."""
    any_of = schema.pop("anyOf", [])
    kinds = (
        [k for k in any_of if not (isinstance(k, dict) and k.get("type") == "null")]
        if isinstance(any_of, list)
        else []
    )
    if len(kinds) == 1 and isinstance(kinds[0], dict):
        schema.update(kinds[0])
    else:
        schema["anyOf"] = kinds
    schema.pop("default", None)


def _condition(description: str) -> Any:
    """A rule's condition: a list of 1 to 50 items, absent (never null) when not asked."""
    return Field(
        None,
        min_length=1,
        max_length=redirect_rules.MAX_CONDITION_ITEMS,
        description=description,
        json_schema_extra=_not_nullable,
    )


CountryCode = Annotated[str, Field(pattern="^[A-Z]{2}$", examples=["DE"])]
LanguageTag = Annotated[str, Field(pattern="^[a-z]{2,3}$", examples=["fr"])]
Device = Literal["mobile", "tablet", "desktop"]
OperatingSystem = Literal["ios", "android", "windows", "macos", "linux", "chromeos"]


class RuleConditions(_Strict):
    """Every condition given must match (at least one); each list matches if any item does."""

    country: list[CountryCode] | None = _condition("ISO 3166-1 alpha-2 (CloudFront-Viewer-Country)")
    device: list[Device] | None = _condition("From the User-Agent")
    os: list[OperatingSystem] | None = _condition("From the User-Agent")
    language: list[LanguageTag] | None = _condition(
        "Primary subtag of the visitor's most preferred Accept-Language entry"
    )
    query: dict[str, str] | None = Field(
        None,
        min_length=1,
        max_length=redirect_rules.MAX_QUERY_PAIRS,
        description="Parameters the short URL's query must have with exactly these values (after "
        "percent-decoding, case-sensitive); `qr` is reserved",
        json_schema_extra=_not_nullable,
    )


class RedirectRule(_Strict):
    when: RuleConditions
    url: Url


class SplitTarget(_Strict):
    url: Url
    weight: int = Field(ge=redirect_rules.MIN_WEIGHT, le=redirect_rules.MAX_WEIGHT)


def _rules(value: object, _: object) -> tuple[redirect_rules.RedirectRule, ...]:
    """The domain's rules (``redirect_rules.check_rules``), their messages naming the bad item."""
    return redirect_rules.check_rules(value, check_url)


def _split(value: object, _: object) -> tuple[redirect_rules.SplitTarget, ...]:
    return redirect_rules.check_split(value, check_url)


Rules = Annotated[
    list[RedirectRule],
    Field(max_length=redirect_rules.MAX_RULES, description="Tried in order: the first whose every "
          "condition matches sends the visitor to its url"),
    WrapValidator(_rules),
]  # fmt: skip
_SPLIT_TARGETS = f"{redirect_rules.MIN_SPLIT} to {redirect_rules.MAX_SPLIT} targets"
Split = Annotated[
    list[SplitTarget],
    Field(max_length=redirect_rules.MAX_SPLIT,
          description=f"{_SPLIT_TARGETS} whose weights sum to 100, for the visits no rule matched "
          "(sticky per visitor: cookie snip_vid)"),
    WrapValidator(_split),
]  # fmt: skip
_NONE: Any = ()  # no rules, no split: the domain's empty tuple (documented as [])
# The rules and split a link shows (as stored: the domain's checks ran when they were given).
ShownRules = Annotated[list[RedirectRule], Field(description="Tried in order; [] when none")]
ShownSplit = Annotated[list[SplitTarget], Field(description="[] when none")]


class LinkCreate(_Strict):
    url: Url
    alias: Alias | None = None
    expires_at: ExpiresAt | None = None
    max_visits: MaxVisits | None = None
    redirect_status: RedirectStatus = DEFAULT_REDIRECT_STATUS
    tags: Tags = []
    title: Title | None = None
    notes: Notes | None = None
    rules: Rules = Field(_NONE, description="Redirect rules (a link with rules redirects with 302 or 307)")
    split: Split = Field(_NONE, description="An A/B split (a link with a split redirects with 302 or 307)")
    forward_query: bool = Field(
        False, description="Pass the short URL's query (without qr) on to the destination"
    )

    @model_validator(mode="wrap")
    @classmethod
    def _domain_rules(cls, body: object, _: ModelWrapValidatorHandler[LinkCreate]) -> LinkCreate:
        """The domain's rules, not the fields' (which document them): InvalidInput, not a
        pydantic error, reaches the error handlers."""
        request = parse_link_request(body)
        return cls.model_construct(**vars(request))

    def as_request(self) -> LinkRequest:
        return LinkRequest(**{name: getattr(self, name) for name in type(self).model_fields})


class LinkPatch(_Strict):
    """Fields to change; ``expires_at``, ``max_visits``, ``title`` and ``notes`` may be null to
    clear them, ``tags`` replaces the link's tags (``[]`` removes them all)."""

    url: Url | None = Field(None, json_schema_extra=_not_nullable)
    expires_at: ExpiresAt | None = None
    max_visits: MaxVisits | None = None
    redirect_status: RedirectStatus | None = Field(None, json_schema_extra=_not_nullable)
    disabled: bool | None = Field(None, json_schema_extra=_not_nullable)
    tags: Tags | None = Field(None, json_schema_extra=_not_nullable)
    title: Title | None = None
    notes: Notes | None = None
    rules: Rules | None = Field(None, description="Replaces the rules whole; [] or null removes them")
    split: Split | None = Field(None, description="Replaces the split whole; [] or null removes it")
    forward_query: bool | None = Field(None, description="null is false")

    # Fields that may not be cleared: null is as invalid for them as a wrong type.
    NOT_NULLABLE: ClassVar[tuple[str, ...]] = NOT_NULLABLE_ON_PATCH


class LinkCreated(BaseModel):
    key: str = Field(examples=["AbC1234"])
    short_url: str = Field(examples=["https://sho.rt/AbC1234"])
    url: str
    created_at: str = Field(description="RFC 3339, UTC")
    expires_at: str | None
    max_visits: int | None
    redirect_status: RedirectStatus
    tags: list[str]
    title: str | None
    notes: str | None
    rules: ShownRules
    split: ShownSplit
    forward_query: bool
    visits: int


class Link(LinkCreated):
    bot_visits: int
    last_visit_at: str | None
    disabled: bool


class LinkPage(BaseModel):
    links: list[Link] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class BatchCreate(_Strict):
    """Each item is validated on its own, as a POST /links body: one bad item fails only itself."""

    links: list[object] = Field(
        min_length=1,
        max_length=MAX_BATCH_ITEMS,
        # Each item is meant as a POST /links body, but any JSON value is accepted here: a bad item
        # fails alone, with its own 400 in `results`, while the batch answers 200 (CONTRACT §2).
        json_schema_extra={
            "items": {
                "anyOf": [
                    {"$ref": "#/components/schemas/LinkCreate"},
                    {"description": "Anything else: that item alone answers 400 in `results`"},
                ]
            }
        },
    )


BulkKeys = Annotated[
    list[str],
    Field(
        min_length=1,
        max_length=MAX_BULK_KEYS,
        json_schema_extra={"uniqueItems": True},
        description="Distinct keys of your links",
        examples=[["AbC1234", "launch"]],
    ),
]


class _BulkPlain(_Strict):
    keys: BulkKeys
    action: Literal["delete", "disable", "enable"]


class _BulkTagged(_Strict):
    keys: BulkKeys
    action: Literal["add_tags", "remove_tags"]
    tags: Annotated[Tags, Field(min_length=1)]


def _one_of_the_shapes(schema: JsonDict) -> None:
    """The body is one of two shapes, told apart by ``action``: tags with the tag actions only."""
    for name in ("properties", "required", "additionalProperties"):
        schema.pop(name, None)
    shapes = [shape.model_json_schema() for shape in (_BulkPlain, _BulkTagged)]
    for shape in shapes:
        shape.pop("title", None)
    schema["oneOf"] = shapes  # type: ignore[assignment]


class BulkChange(_Strict):
    """One action on each key; a problem of the body is 400 invalid_bulk."""

    model_config = ConfigDict(json_schema_extra=_one_of_the_shapes)

    keys: BulkKeys
    action: BulkAction
    tags: Tags = []

    @model_validator(mode="wrap")
    @classmethod
    def _domain_rules(cls, body: object, _: ModelWrapValidatorHandler[BulkChange]) -> BulkChange:
        """The domain's rules (``snip.domain.bulk_request``), as ``LinkCreate``'s."""
        request = parse_bulk_request(body)
        return cls.model_construct(keys=list(request.keys), action=request.action, tags=list(request.tags))

    def as_request(self) -> BulkRequest:
        return BulkRequest(tuple(self.keys), self.action, tuple(self.tags))


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_url"])
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class BatchCreated(BaseModel):
    status: Literal[201]
    link: LinkCreated


class BatchFailed(BaseModel):
    status: Literal[400, 409, 503] = Field(
        description="As POST /links would answer this item; 503 (service_unavailable) when DynamoDB "
        "failed after other items of the batch were created: send this item again"
    )
    error: ErrorDetail


class BatchResults(BaseModel):
    results: list[BatchCreated | BatchFailed] = Field(description="One per item, in request order")


class BulkChanged(BaseModel):
    key: str
    status: Literal[200]
    link: Link = Field(description="The link as changed")


class BulkDeleted(BaseModel):
    key: str
    status: Literal[204]


class BulkFailed(BaseModel):
    key: str
    status: Literal[400, 404, 503] = Field(
        description="404: no link of yours has this key; 400: the change is not allowed on this "
        "link (more than 10 tags); 503 (service_unavailable): DynamoDB failed for this key: send it again"
    )
    error: ErrorDetail


class BulkResults(BaseModel):
    results: list[BulkChanged | BulkDeleted | BulkFailed] = Field(description="One per key, in request order")


class Counts(BaseModel):
    visits: int
    bot_visits: int


class Bucket(Counts):
    start: str = Field(description="The bucket's start, RFC 3339 UTC")


class Breakdown(BaseModel):
    value: str = Field(examples=["news.example.com"])
    visits: int = Field(description="Human visits")


# GET /links/{key}/stats's answer, which snip.domain.stats computes free of pydantic. (No
# docstring: it would become the schema's description.)
class LinkStats(BaseModel):
    key: str
    from_: str = Field(alias="from", description="RFC 3339 UTC")
    to: str = Field(description="RFC 3339 UTC")
    interval: Literal["hour", "day"]
    as_of: str = Field(description="Every visit before this instant is counted")
    total: Counts
    series: list[Bucket] = Field(description="Every bucket of the range, zeros too")
    referrers: list[Breakdown] = Field(description='Host of the Referer; "(direct)" without one')
    countries: list[Breakdown] = Field(description='ISO 3166-1 alpha-2, or "(unknown)"')
    devices: list[Breakdown] = Field(description="desktop | mobile | tablet | other")
    browsers: list[Breakdown]
    os: list[Breakdown]
    sources: list[Breakdown] = Field(description="link | qr")


class Health(BaseModel):
    status: Literal["ok"]


def in_field_order(model: type[BaseModel], fields: Mapping[str, object]) -> dict[str, object]:
    """``fields`` in the order ``model`` declares them. An idempotent replay is stored with
    sorted keys; put back in this order, it reads exactly like the first answer. A replay stored
    before a field existed lacks it: that link had none (null)."""
    return {name: fields.get(name) for name in model.model_fields}


_FIELDS = set(LinkCreate.model_fields) | set(LinkPatch.model_fields)
# Fields and query parameters whose error code is not ``invalid_<name>``.
_CODES = {
    "links": "invalid_batch",
    "tag": "invalid_tags",
    "q": "invalid_query",
    "format": "invalid_qr",
    "size": "invalid_qr",
    "from": "invalid_range",
    "to": "invalid_range",
}
QUERY_PARAMETERS = frozenset(
    {"limit", "cursor", "tag", "q", "order", "format", "size", "from", "to", "interval"}
)


def as_invalid_input(errors: Sequence[ErrorDetails]) -> InvalidInput:
    """The first pydantic error as Snip's error code: unknown_field, invalid_<field>, invalid_json."""
    if not errors:
        return InvalidInput("The body must be a JSON object.", code="invalid_json")
    first = errors[0]
    loc = tuple(first.get("loc", ()))
    kind = first.get("type", "")
    reason = first.get("ctx", {}).get("error")  # our validators' own sentence
    if len(loc) > 1 and loc[0] == "query" and loc[1] in QUERY_PARAMETERS:
        name = str(loc[1])
        return field_error(name, str(reason or first.get("msg", "is invalid")), _CODES.get(name))
    field = loc[1] if len(loc) > 1 and loc[0] == "body" else None
    if kind == "extra_forbidden" and field is not None:
        return InvalidInput(f"Unknown field '{field}'.", code="unknown_field")
    if kind == "json_invalid" or field not in _FIELDS | {"links"}:
        return InvalidInput("The body must be a JSON object.", code="invalid_json")
    return field_error(str(field), str(reason or first.get("msg", "is invalid")), _CODES.get(str(field)))
