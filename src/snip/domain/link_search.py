"""Finding an owner's links by what they say (GET /links ``q``): the rule of a match, in Python.

A link matches a search when its key, its url without the scheme, its title or one of its tags
contains the term, compared after Unicode case folding (``str.casefold``: "Straße" finds
"STRASSE"). A pasted short URL finds its link: a term that is an http(s) URL of one path segment
that could be a key also matches the link with exactly that key, whatever host it names (the
deployed host, a custom domain and the local stack's all serve the same keys).

The data package stores folded copies of those fields with the link (``search_texts``) and lets
DynamoDB's case-sensitive ``contains`` pick candidates from them; ``Search.matches`` on the link as
read decides, so a candidate that only looked like a match (a term spanning two tags, a link
written before the copies existed) is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import urlsplit

from snip.domain.errors import InvalidInput
from snip.domain.link import Link
from snip.domain.short_keys import is_possible_key

MAX_QUERY_LENGTH = 100
# The orders of an owner's listing (GET /links ``order``), newest first by default.
ListOrder = Literal["newest", "oldest"]
ORDERS: tuple[str, ...] = get_args(ListOrder)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
TAG_SEPARATOR = " "  # tags hold no space: joined with one, a term within a tag stays within it


def fold(text: str) -> str:
    """``text`` as searches compare it: Unicode case folding."""
    return text.casefold()


def without_scheme(url: str) -> str:
    """``url`` without its scheme and ``://`` ("https://example.com/a" -> "example.com/a")."""
    scheme = _SCHEME.match(url)
    return url[scheme.end() :] if scheme else url


def search_texts(
    key: str | None = None,
    url: str | None = None,
    title: str | None = None,
    tags: Iterable[str] | None = None,
) -> dict[str, str]:
    """The folded texts a search looks in, for the fields given (None: not given)."""
    texts: dict[str, str] = {}
    if key is not None:
        texts["key"] = fold(key)
    if url is not None:
        texts["url"] = fold(without_scheme(url))
    if title is not None:
        texts["title"] = fold(title)
    if tags is not None:
        texts["tags"] = TAG_SEPARATOR.join(fold(tag) for tag in tags)
    return texts


@dataclass(frozen=True)
class Search:
    """A search as DynamoDB and Python apply it: the folded ``term``, and the key a pasted short
    URL names (None when the query is not one)."""

    term: str
    key: str | None = None

    @classmethod
    def parse(cls, query: str) -> Search:
        """The search ``q`` asks for; 400 invalid_query unless it is 1-100 characters."""
        if not 1 <= len(query) <= MAX_QUERY_LENGTH:
            raise InvalidInput(f"q: a search is 1 to {MAX_QUERY_LENGTH} characters.", code="invalid_query")
        pasted = query.strip()  # a URL pasted with a space or a line break around it
        if not pasted.lower().startswith(("http://", "https://")):
            return cls(fold(query))
        try:
            parts = urlsplit(pasted)
        except ValueError:  # "http://[x" is no URL: searched for as it is written
            return cls(fold(without_scheme(pasted)))
        segment = parts.path.removeprefix("/")
        key = segment if parts.netloc and is_possible_key(segment) else None
        return cls(fold(without_scheme(pasted)), key)

    def matches(self, link: Link) -> bool:
        """Whether ``link`` is one this search finds."""
        if self.key is not None and link.key == self.key:
            return True
        texts = [link.key, without_scheme(link.url or ""), link.title or "", *(link.tags or ())]
        return any(self.term in fold(text) for text in texts)
