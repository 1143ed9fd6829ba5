"""Short keys: generation from UUID4, the pool's sharding, and which keys a user may choose."""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Callable

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Anything a key may look like: generated keys are base62, aliases add "_" and "-". The API
# models take the alias rule from here too.
KEY_CHARACTERS = "A-Za-z0-9_-"
ALIAS_MIN_LENGTH = 3
MAX_KEY_LENGTH = 64
KEY_PATTERN = re.compile(f"[{KEY_CHARACTERS}]{{1,{MAX_KEY_LENGTH}}}")
ALIAS_PATTERN = re.compile(f"[{KEY_CHARACTERS}]{{{ALIAS_MIN_LENGTH},{MAX_KEY_LENGTH}}}")

# Paths the API uses or may use; compared case-insensitively. A word added here (as "bulk", "export"
# and "summary" were for the routes /links/bulk, /links/export and /links/summary) shadows the API
# routes of a link that already has it as its key; its redirect keeps working.
RESERVED_WORDS = frozenset(
    {
        "links", "health", "docs", "api", "admin", "static", "openapi", "openapi.json", "login",
        "logout", "signup", "register", "account", "settings", "dashboard", "assets", "favicon.ico",
        "robots.txt", "sitemap.xml", "well-known", "_next", "swagger", "redoc", "metrics", "status",
        "www", "app", "help", "support", "about", "terms", "privacy", "snip", "batch", "bulk", "export",
        "summary", "_",
    }
)  # fmt: skip

KeyGenerator = Callable[[int], str]


def new_key(length: int) -> str:
    """A random key: a UUID4's 122 random bits in base62, cut to ``length`` characters; never a
    reserved word (one is dropped and another drawn: 7 characters give "summary" once in 3.5e12).

    uuid4 reads os.urandom on every call, so clones of a snapshot (SnapStart) never share keys.
    """
    while True:
        value = uuid.uuid4().int
        chars = []
        for _ in range(length):
            value, digit = divmod(value, 62)
            chars.append(BASE62[digit])
        key = "".join(chars)
        if not is_reserved(key):
            return key


def is_reserved(key: str) -> bool:
    """Whether ``key`` is a reserved word, in any case (an API route may shadow it)."""
    return key.lower() in RESERVED_WORDS


def shard_of(key: str, shards: int) -> int:
    """The pool partition a key lives in: stable, so a key always maps to the same pool item."""
    return zlib.crc32(key.encode()) % shards


def is_possible_key(key: str) -> bool:
    return KEY_PATTERN.fullmatch(key) is not None


def alias_problem(alias: str) -> str | None:
    """Why ``alias`` cannot be used, or None."""
    if not ALIAS_PATTERN.fullmatch(alias):
        return (
            f"An alias is {ALIAS_MIN_LENGTH} to {MAX_KEY_LENGTH} characters of letters, digits, '_' and '-'."
        )
    if is_reserved(alias):
        return f"'{alias}' is a reserved word."
    return None
