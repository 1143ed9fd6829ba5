"""The stats answer's schema (GET /links/{key}/stats), for the OpenAPI document.

Apart from ``snip.http.api_models`` so that ``snip.domain.stats`` stays free of pydantic; shorten loads both.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Counts(BaseModel):
    visits: int
    bot_visits: int


class Bucket(Counts):
    start: str = Field(description="The bucket's start, RFC 3339 UTC")


class Breakdown(BaseModel):
    value: str = Field(examples=["news.example.com"])
    visits: int = Field(description="Human visits")


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
