"""Request and response bodies of the links API, as pydantic models.

They validate requests (through the Event Handler) and generate the OpenAPI document, so the
documented schema and the enforced one are the same objects.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from snip.validation import (
    MAX_URL_LENGTH,
    MAX_VISITS,
    check_alias,
    check_expires_at,
    check_url,
)

Url = Annotated[str, Field(max_length=MAX_URL_LENGTH, examples=["https://example.com/a/long/path"]),
                AfterValidator(check_url)]  # fmt: skip
Alias = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_-]+$"),
                  AfterValidator(check_alias)]  # fmt: skip
ExpiresAt = Annotated[str, Field(description="RFC 3339 date-time with offset, in the future",
                                 examples=["2030-01-31T12:00:00Z"]),
                      AfterValidator(check_expires_at)]  # fmt: skip
MaxVisits = Annotated[int, Field(ge=1, le=MAX_VISITS)]


def _integer(value: object) -> object:
    """Literal[301, ...] alone would take 301.0 (== 301): JSON numbers with a fraction are not statuses."""
    if isinstance(value, float):
        raise ValueError("redirect_status must be an integer: 301, 302, 307 or 308")
    return value


RedirectStatus = Annotated[Literal[301, 302, 307, 308], BeforeValidator(_integer)]


class _Strict(BaseModel):
    # No coercion ("5" is not 5, true is not 1) and no unknown fields.
    model_config = ConfigDict(extra="forbid", strict=True)


class LinkCreate(_Strict):
    url: Url
    alias: Alias | None = None
    expires_at: ExpiresAt | None = None
    max_visits: MaxVisits | None = None
    redirect_status: RedirectStatus = 302


class LinkPatch(_Strict):
    """Fields to change; ``expires_at`` and ``max_visits`` may be null to clear them."""

    url: Url | None = None
    expires_at: ExpiresAt | None = None
    max_visits: MaxVisits | None = None
    redirect_status: RedirectStatus | None = None
    disabled: bool | None = None

    # Fields that may not be cleared: null is as invalid for them as a wrong type.
    NOT_NULLABLE: ClassVar[tuple[str, ...]] = ("url", "redirect_status", "disabled")


class LinkCreated(BaseModel):
    key: str = Field(examples=["AbC1234"])
    short_url: str = Field(examples=["https://sho.rt/AbC1234"])
    url: str
    created_at: str = Field(description="RFC 3339, UTC")
    expires_at: str | None
    max_visits: int | None
    redirect_status: RedirectStatus
    visits: int


class Link(LinkCreated):
    bot_visits: int
    last_visit_at: str | None
    disabled: bool


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_url"])
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]
