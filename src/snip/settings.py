"""Every setting Snip reads, each declared once; the functions read them lazily from the environment.

A setting is one field of ``Settings`` written with ``setting(...)``: the field's name and type are
what the functions read, its ``Setting`` says the rest, once: the environment variable, the CDK
context key a deployment sets it with (or none), the default, the parser that checks its range,
and which functions the CDK stack tells it. From that one declaration

* the functions read it lazily from their environment (``get_settings``; importing reads nothing),
* the CDK app reads the context key, checks it with the same parser and tells exactly the declared
  functions (``infra/context.py``); synth never reads the deployer's shell,
* the local stack passes the variable through to its functions, defaults included,
* the tables of docs/deploy.md and docs/local.md are checked against it (tests/unit).

Deploy-time numbers that no function reads (API Gateway's limits, the local stack's own knobs)
are declared the same way, as fields of their own classes outside this package
(``snip_deploy.api_limits``, ``snip_local.local_config``): this module ships in every Lambda
asset and stays on resolve's cold path, so it is stdlib only (no pydantic) and builds nothing at
import but the declarations.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, TypeVar

T = TypeVar("T")


class Env:
    """Names of the environment variables the functions read or are given, for code that sets them."""

    LINKS_TABLE = "SNIP_LINKS_TABLE"
    KEYS_TABLE = "SNIP_KEYS_TABLE"
    IDEMPOTENCY_TABLE = "SNIP_IDEMPOTENCY_TABLE"
    VISITS_TABLE = "SNIP_VISITS_TABLE"
    API_KEYS_TABLE = "SNIP_API_KEYS_TABLE"
    ROLLUPS_TABLE = "SNIP_ROLLUPS_TABLE"
    EVENTS_BUCKET = "SNIP_EVENTS_BUCKET"
    EVENTS_DIR = "SNIP_EVENTS_DIR"
    STATS_LAG = "SNIP_STATS_LAG"
    OWNER_CUT_MARGIN = "SNIP_OWNER_CUT_MARGIN"
    KEYGEN_FUNCTION = "SNIP_KEYGEN_FUNCTION"
    PUBLIC_BASE_URL = "SNIP_PUBLIC_BASE_URL"
    KEY_LENGTH = "SNIP_KEY_LENGTH"
    POOL_TARGET = "SNIP_POOL_TARGET"
    POOL_REFILL_RATIO = "SNIP_POOL_REFILL_RATIO"
    POOL_SHARDS = "SNIP_POOL_SHARDS"
    CANDIDATES = "SNIP_CANDIDATES"
    REFILL_REQUEST_INTERVAL = "SNIP_REFILL_REQUEST_INTERVAL"
    IDEMPOTENCY_TTL = "SNIP_IDEMPOTENCY_TTL"
    # Powertools' own switches, listed so that infra and the local stack set them by name.
    SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
    METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
    TRACE_DISABLED = "POWERTOOLS_TRACE_DISABLED"
    LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
    # Never record a handler's response in X-Ray: the links API answers target URLs, tokens included.
    TRACER_CAPTURE_RESPONSE = "POWERTOOLS_TRACER_CAPTURE_RESPONSE"
    # Set by Lambda itself in every function (and reserved: a function may not set it).
    REGION = "AWS_REGION"


# Parsers: text -> value, or ValueError with a reason that completes "<name>=<value>: ...".
# Plain classes, not dataclasses: each dataclass costs its import a code generation, and this
# module is on resolve's cold path.


class Integer:
    __slots__ = ("high", "low")

    def __init__(self, low: int, high: int | None = None) -> None:
        self.low, self.high = low, high

    def __call__(self, raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError("is not an integer") from None
        if self.high is None and value < self.low:
            raise ValueError(f"must be at least {self.low}")
        if value < self.low or (self.high is not None and value > self.high):
            raise ValueError(f"is outside {self.range}")
        return value

    @property
    def range(self) -> str:
        return f"{self.low}..{self.high}" if self.high is not None else f">= {self.low}"


class Number:
    __slots__ = ("above", "at_most")

    def __init__(self, above: float | None = None, at_most: float | None = None) -> None:
        self.above, self.at_most = above, at_most  # above: exclusive

    def __call__(self, raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("is not a number") from None
        if self.above is not None and self.at_most is None and value <= self.above:
            raise ValueError(f"must be greater than {self.above:g}")
        if (self.above is not None and value <= self.above) or (
            self.at_most is not None and value > self.at_most
        ):
            raise ValueError(f"is outside {self.range}")
        return value

    @property
    def range(self) -> str:
        if self.above is None:
            return "a number"
        return f"({self.above:g}, {self.at_most:g}]" if self.at_most is not None else f"> {self.above:g}"


class Text:
    """Any text; ``optional``: an empty value means none."""

    __slots__ = ("optional", "strip")

    def __init__(self, optional: bool = False, strip: str | None = None) -> None:
        self.optional = optional
        self.strip = strip  # characters cut from the end (a base URL's trailing "/")

    def __call__(self, raw: str) -> str | None:
        value = raw.rstrip(self.strip) if self.strip else raw
        return (value or None) if self.optional else value

    @property
    def range(self) -> str:
        return "a URL" if self.strip else "a name"


class Parsed:
    """A parser of the caller's own, with the words the docs use for what it accepts."""

    __slots__ = ("parse", "range")

    def __init__(self, parse: Callable[[str], object], range: str) -> None:
        self.parse, self.range = parse, range

    def __call__(self, raw: str) -> object:
        return self.parse(raw)


Parser = Integer | Number | Text | Parsed


class Setting:
    """One setting: where its value comes from and what it may be. Immutable; a plain class with
    slots rather than a frozen dataclass, for the same reason as the parsers."""

    __slots__ = ("context", "default", "env", "functions", "name", "parse")
    env: str  # the environment variable (the functions' and the local stack's)
    default: str | None  # the text an unset variable stands for; None: the setting is None
    parse: Parser
    context: str | None  # the CDK context key a deployment sets it with; None: not its choice
    # The functions (``FunctionSpec.name``) the CDK stack tells a context key's value: exactly these.
    # Settings without a context key are told by whatever the value comes from (a table's name
    # with the table's grant, AWS_REGION by Lambda itself).
    functions: tuple[str, ...]
    name: str  # the field it declares (given by ``declarations``)

    def __init__(
        self,
        env: str,
        default: str | None,
        parse: Parser,
        context: str | None = None,
        functions: tuple[str, ...] = (),
        name: str = "",
    ) -> None:
        values = {"env": env, "default": default, "parse": parse, "context": context}
        for slot, value in (*values.items(), ("functions", functions), ("name", name)):
            object.__setattr__(self, slot, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Setting is immutable ({name})")

    def __repr__(self) -> str:
        return f"Setting({self.name or self.env!r})"

    def named(self, name: str) -> Setting:
        return Setting(self.env, self.default, self.parse, self.context, self.functions, name)

    def value(self, raw: str | None, label: str | None = None) -> object:
        """``raw`` (None: unset) parsed; a bad value raises ValueError naming ``label`` (the variable)."""
        text = self.default if raw is None else raw
        if text is None:
            return None
        try:
            return self.parse(text)
        except ValueError as error:
            raise ValueError(f"{label or self.env}={text!r}: {error}") from None

    def read(self, env: Mapping[str, str]) -> object:
        return self.value(env.get(self.env))


_DECLARATION = "snip.setting"


def setting(
    env: str,
    default: str | None,
    parse: Parser,
    *,
    context: str | None = None,
    functions: tuple[str, ...] = (),
) -> Any:
    """A settings class's field, declared: ``key_length: int = setting(Env.KEY_LENGTH, "7", ...)``.

    The field's default is the declared default, parsed when an instance is made without it.
    """
    declared = Setting(env, default, parse, context, functions)
    return field(default_factory=lambda: declared.value(None), metadata={_DECLARATION: declared})


def declarations(cls: type) -> tuple[Setting, ...]:
    """The declarations of a settings class (a dataclass whose fields are made by ``setting``)."""
    return tuple(f.metadata[_DECLARATION].named(f.name) for f in fields(cls))


def read_declared(cls: type[T], env: Mapping[str, str]) -> T:
    """An instance of ``cls`` read from ``env``: each field from its variable, else its default."""
    return cls(**{f.name: f.metadata[_DECLARATION].read(env) for f in fields(cls)})  # type: ignore[arg-type]


# keygen and shorten must agree on the pool's shape (shorten queries the shards keygen fills).
_POOL = ("keygen", "shorten")
_TABLE = Text()


@dataclass(frozen=True)
class Settings:
    """What the functions read: one declared field per setting (docs/deploy.md, docs/local.md)."""

    links_table: str = setting(Env.LINKS_TABLE, "snip-links", _TABLE)
    keys_table: str = setting(Env.KEYS_TABLE, "snip-keys", _TABLE)
    idempotency_table: str = setting(Env.IDEMPOTENCY_TABLE, "snip-idempotency", _TABLE)
    # The API-key registry: owner and scopes per key id.
    api_keys_table: str = setting(Env.API_KEYS_TABLE, "snip-api-keys", _TABLE)
    # Visit events (snip.domain.visit_events), read by the aggregator through the table's stream.
    visits_table: str = setting(Env.VISITS_TABLE, "snip-visits", _TABLE)
    # Per-link hour and day buckets (snip.domain.rollups), read by stats.
    rollups_table: str = setting(Env.ROLLUPS_TABLE, "snip-rollups", _TABLE)
    keygen_function: str | None = setting(Env.KEYGEN_FUNCTION, None, Text(optional=True))
    # Deployed: from context domainName; local: the gateway's URL.
    public_base_url: str | None = setting(Env.PUBLIC_BASE_URL, None, Text(optional=True, strip="/"))
    key_length: int = setting(Env.KEY_LENGTH, "7", Integer(4, 20), context="keyLength", functions=_POOL)
    pool_target: int = setting(
        Env.POOL_TARGET, "50", Integer(1, 1_000_000), context="poolTarget", functions=_POOL
    )
    pool_refill_ratio: float = setting(
        Env.POOL_REFILL_RATIO, "0.7", Number(0, 1), context="poolRefillRatio", functions=_POOL
    )
    pool_shards: int = setting(Env.POOL_SHARDS, "2", Integer(1, 1000), context="poolShards", functions=_POOL)
    candidates: int = setting(
        Env.CANDIDATES, "10", Integer(1, 100), context="candidates", functions=("shorten",)
    )
    # Seconds between an instance's requests to keygen to refill.
    refill_request_interval: float = setting(
        Env.REFILL_REQUEST_INTERVAL,
        "5",
        Number(),
        context="refillRequestInterval",
        functions=("shorten",),
    )
    idempotency_ttl: int = setting(
        Env.IDEMPOTENCY_TTL,
        "86400",
        Integer(60, 7 * 86_400),
        context="idempotencyTtlSeconds",
        functions=("shorten",),
    )
    # Where the function runs (Lambda sets it); None outside AWS.
    region: str | None = setting(Env.REGION, None, Text(optional=True))
    # Deployed: the S3 bucket of raw visit events (snip.data.visit_archive).
    events_bucket: str | None = setting(Env.EVENTS_BUCKET, None, Text(optional=True))
    # Local: the folder of raw visit events (JSON Lines), instead of S3.
    events_dir: str | None = setting(Env.EVENTS_DIR, None, Text(optional=True))
    # How long a stream shard with records waits for its next batch at most (the batching window
    # and the mapping's polling; 60 s deployed, 5 s locally): a shard whose last batch was counted
    # whole longer ago than this is idle, caught up (stats' ``as_of``, snip.domain.stats.as_of).
    stats_lag: int = setting(Env.STATS_LAG, "60", Integer(0, 3600))
    # How long after its first run the aggregator records the owner totals' cut: links created
    # since are in their owner's totals (snip.data.owner_totals); deployed, the time a deploy takes
    # to update every function (15 min); locally 0 (one process, one version).
    owner_cut_margin: int = setting(Env.OWNER_CUT_MARGIN, "900", Integer(0, 86_400))

    @property
    def refill_threshold(self) -> int:
        return int(self.pool_target * self.pool_refill_ratio)


DECLARATIONS = declarations(Settings)

# Default table names: the local stack and the tests use them; the CDK stack passes its own.
DEFAULT_TABLES = {d.env: d.default or "" for d in DECLARATIONS if d.parse is _TABLE}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings once per process (call ``get_settings.cache_clear()`` in tests)."""
    return read_settings(os.environ)


def read_settings(env: Mapping[str, str]) -> Settings:
    """Settings from ``env`` (names from ``Env``), with Snip's defaults and range checks."""
    return read_declared(Settings, env)
