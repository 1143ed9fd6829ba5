"""Redirect rules and A/B splits (CONTRACT §2, "Redirect rules"): what they may say, how a link
item keeps them, and where they send a visitor.

A link may carry up to ``MAX_RULES`` rules, tried in order (the first whose every condition
matches sends the visitor to its ``url``), and a split of 2 to 5 weighted targets for the visits
no rule matched. The variant of a split is ``split_variant``: a hash of the visitor's ``snip_vid``
cookie, the link's key and the split's fingerprint, so that a visitor keeps its variant while the
split is unchanged, and any change of a target or a weight draws anew.

Plain standard library, slotted frozen dataclasses. resolve imports it only for a link that has
rules, a split or forward_query (its cold start on a bare link never does), and the user-agent table
(``snip.domain.user_agents``) only for a link with device or OS rules.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote_plus, urlencode

from snip.domain.visit_events import DEFAULT_DESTINATION as DEFAULT

MAX_RULES = 10
MIN_SPLIT, MAX_SPLIT = 2, 5
MIN_WEIGHT, MAX_WEIGHT, TOTAL_WEIGHT = 1, 99, 100
MAX_QUERY_PAIRS = 5
MAX_QUERY_NAME, MAX_QUERY_VALUE = 100, 500
MAX_CONDITION_ITEMS = 50  # countries of one rule, for instance (a region's worth)
# A link with rules or a split is never a permanent redirect: a browser would keep the first answer.
RULE_STATUSES = (302, 307)
QR_PARAMETER = "qr"  # the short URL's own parameter (a QR scan): no rule reads it, never passed on
DEVICES = ("mobile", "tablet", "desktop")
OPERATING_SYSTEMS = ("ios", "android", "windows", "macos", "linux", "chromeos")
CONDITIONS = ("country", "device", "os", "language", "query")  # in the order they are shown
_COUNTRY = re.compile(r"[A-Z]{2}", re.ASCII)
_LANGUAGE = re.compile(r"[a-z]{2,3}", re.ASCII)

# The one cookie a split reads and sets (CloudFront forwards exactly it).
VISITOR_COOKIE = "snip_vid"
VISITOR_COOKIE_SECONDS = 2_592_000  # 30 days
VISITOR_COOKIE_ATTRIBUTES = f"Max-Age={VISITOR_COOKIE_SECONDS}; Path=/; HttpOnly; Secure; SameSite=Lax"
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,64}", re.ASCII)

# Why a visitor was sent where it went, as its visit event records it: a rule's index ("0".."9"),
# a split's variant ("split:<i>"), or the link's url (DEFAULT).
SPLIT_PREFIX = "split:"


@dataclass(frozen=True, slots=True)
class RedirectRule:
    """One rule: every condition given (a non-empty tuple) must match; an empty one is not asked."""

    url: str
    country: tuple[str, ...] = ()
    device: tuple[str, ...] = ()
    os: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    query: tuple[tuple[str, str], ...] = ()  # (name, value) pairs, all of which must be there

    def as_json(self) -> dict[str, object]:
        """The rule as the API shows it (and a link item keeps it)."""
        when: dict[str, object] = {}
        for name in CONDITIONS[:-1]:
            items = getattr(self, name)
            if items:
                when[name] = list(items)
        if self.query:
            when["query"] = dict(self.query)
        return {"when": when, "url": self.url}


@dataclass(frozen=True, slots=True)
class SplitTarget:
    url: str
    weight: int

    def as_json(self) -> dict[str, object]:
        return {"url": self.url, "weight": self.weight}


@dataclass(frozen=True, slots=True)
class Visitor:
    """What a redirect knows of its visitor to decide: never stored, never the IP."""

    country: str | None = None  # CloudFront-Viewer-Country, upper case
    user_agent: str | None = None
    language: str | None = None  # the primary subtag of the most preferred Accept-Language entry
    query: tuple[tuple[str, str], ...] = ()  # the short URL's (name, value) pairs, decoded, in order
    visitor_id: str | None = None  # a valid snip_vid cookie
    raw_query: str | None = None  # the query as sent, when the event has it (a Function URL's)


# -- validation -------------------------------------------------------------------------------


def check_rules(value: object, check_target: Callable[[str], str]) -> tuple[RedirectRule, ...]:
    """The rules a request gives (a JSON array); ValueError naming the bad item
    (``rules[2].when.country: ...``). ``check_target`` is the rule a link's ``url`` follows."""
    if not isinstance(value, list):
        raise ValueError("rules must be an array of rules")
    if len(value) > MAX_RULES:
        raise ValueError(f"rules holds at most {MAX_RULES} rules, not {len(value)}")
    return tuple(_rule(item, f"rules[{i}]", check_target) for i, item in enumerate(value))


def check_split(value: object, check_target: Callable[[str], str]) -> tuple[SplitTarget, ...]:
    """The split a request gives (a JSON array, ``[]`` for none); ValueError naming the bad item
    (``split[1].weight: ...``)."""
    if value == []:
        return ()
    if not isinstance(value, list):
        raise ValueError("split must be an array of {url, weight} objects")
    if not MIN_SPLIT <= len(value) <= MAX_SPLIT:
        raise ValueError(f"split has {MIN_SPLIT} to {MAX_SPLIT} targets, not {len(value)}")
    targets = []
    for i, item in enumerate(value):
        where = f"split[{i}]"
        fields = _object(item, where, required=("url", "weight"), allowed=("url", "weight"))
        weight = fields["weight"]
        if type(weight) is not int or not MIN_WEIGHT <= weight <= MAX_WEIGHT:
            raise ValueError(f"{where}.weight: an integer from {MIN_WEIGHT} to {MAX_WEIGHT}")
        targets.append(SplitTarget(_target(fields["url"], where, check_target), weight))
    total = sum(target.weight for target in targets)
    if total != TOTAL_WEIGHT:
        raise ValueError(f"split: the weights must sum to {TOTAL_WEIGHT}, not {total}")
    return tuple(targets)


def check_status(status: int | None, rules: Sequence[object], split: Sequence[object]) -> None:
    """A link with rules or a split redirects with 302 or 307 (ValueError otherwise)."""
    if (rules or split) and status not in RULE_STATUSES:
        raise ValueError(f"rules: a link with rules or a split redirects with 302 or 307, not {status}")


def _object(
    value: object, where: str, *, required: Sequence[str], allowed: Sequence[str]
) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: must be an object")
    for name in value:
        if name not in allowed:
            raise ValueError(f"{where}: unknown field '{name}'")
    for name in required:
        if name not in value:
            raise ValueError(f"{where}.{name}: required")
    return value


def _target(value: object, where: str, check_target: Callable[[str], str]) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}.url: must be a string")
    try:
        return check_target(value)
    except ValueError as error:
        raise ValueError(f"{where}.url: {error}") from None


def _rule(value: object, where: str, check_target: Callable[[str], str]) -> RedirectRule:
    fields = _object(value, where, required=("when", "url"), allowed=("when", "url"))
    url = _target(fields["url"], where, check_target)
    when = _object(fields["when"], f"{where}.when", required=(), allowed=CONDITIONS)
    if not when:
        raise ValueError(f"{where}.when: name at least one condition ({', '.join(CONDITIONS)})")
    within = f"{where}.when"
    return RedirectRule(
        url=url,
        country=_items(when, "country", within, _COUNTRY.fullmatch, "ISO 3166-1 alpha-2 codes in upper case"),
        device=_items(when, "device", within, DEVICES.__contains__, " | ".join(DEVICES)),
        os=_items(when, "os", within, OPERATING_SYSTEMS.__contains__, " | ".join(OPERATING_SYSTEMS)),
        language=_items(when, "language", within, _LANGUAGE.fullmatch, "lower-case primary language subtags"),
        query=_query(when["query"], f"{within}.query") if "query" in when else (),
    )


def _items(
    when: Mapping[str, object], name: str, where: str, valid: Callable[[str], object], what: str
) -> tuple[str, ...]:
    if name not in when:
        return ()
    value = when[name]
    if not isinstance(value, list) or not value or len(value) > MAX_CONDITION_ITEMS:
        raise ValueError(f"{where}.{name}: a list of 1 to {MAX_CONDITION_ITEMS} of {what}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not valid(item):
            raise ValueError(f"{where}.{name}[{i}]: {json.dumps(item)} is none of {what}")
    return tuple(value)


def _query(value: object, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not 1 <= len(value) <= MAX_QUERY_PAIRS:
        raise ValueError(f"{where}: an object of 1 to {MAX_QUERY_PAIRS} name: value pairs")
    for name, wanted in value.items():
        if not 1 <= len(name) <= MAX_QUERY_NAME or not name.isprintable():
            raise ValueError(f"{where}: a name is 1 to {MAX_QUERY_NAME} printable characters")
        if name == QR_PARAMETER:
            raise ValueError(f"{where}: '{QR_PARAMETER}' is reserved (a QR scan)")
        if not isinstance(wanted, str) or len(wanted) > MAX_QUERY_VALUE or not wanted.isprintable():
            raise ValueError(f"{where}.{name}: a string of at most {MAX_QUERY_VALUE} printable characters")
    return tuple(value.items())


# -- a link item's attributes ---------------------------------------------------------------


def rules_json(rules: Sequence[RedirectRule]) -> list[dict[str, object]]:
    return [rule.as_json() for rule in rules]


def split_json(split: Sequence[SplitTarget]) -> list[dict[str, object]]:
    return [target.as_json() for target in split]


def encode(items: Sequence[RedirectRule] | Sequence[SplitTarget]) -> str | None:
    """Rules or a split as a link item keeps them: one compact JSON string (one attribute, read
    with one ``json.loads``: cheaper for resolve than DynamoDB's nested maps); None for none."""
    if not items:
        return None
    return json.dumps([item.as_json() for item in items], separators=(",", ":"), ensure_ascii=False)


def decode_rules(text: str | None) -> tuple[RedirectRule, ...]:
    """The rules an item's attribute holds (written by ``encode``, checked then)."""
    if not text:
        return ()
    rules = []
    for rule in json.loads(text):
        when = rule["when"]
        rules.append(
            RedirectRule(
                url=rule["url"],
                country=tuple(when.get("country", ())),
                device=tuple(when.get("device", ())),
                os=tuple(when.get("os", ())),
                language=tuple(when.get("language", ())),
                query=tuple(when.get("query", {}).items()),
            )
        )
    return tuple(rules)


def decode_split(text: str | None) -> tuple[SplitTarget, ...]:
    if not text:
        return ()
    return tuple(SplitTarget(target["url"], int(target["weight"])) for target in json.loads(text))


# -- deciding ---------------------------------------------------------------------------------


def destination(
    rules: Sequence[RedirectRule],
    split: Sequence[SplitTarget],
    key: str,
    visitor: Visitor,
    new_id: Callable[[], str],
) -> tuple[int | None, int | None, str | None]:
    """Where rules and split send ``visitor``: (the rule's index or None, the split variant's index
    or None, a new visitor id when the split drew one with ``new_id``: the cookie to set).
    Neither index: the link's url."""
    if rules:
        agent = None
        for rule in rules:
            if rule.device or rule.os:  # the one rule that reads the user agent is enough
                agent = _agent(visitor.user_agent)
                break
        for index, rule in enumerate(rules):
            if _matches(rule, visitor, agent):
                return index, None, None
    if not split:
        return None, None, None
    fresh = None if visitor.visitor_id else new_id()
    return None, split_variant(split, key, visitor.visitor_id or fresh or ""), fresh


def reason(rule: int | None, variant: int | None) -> str:
    """What a visit event records of a decision: "0".."9", "split:<i>" or "default"."""
    if rule is not None:
        return str(rule)
    if variant is not None:
        return f"{SPLIT_PREFIX}{variant}"
    return DEFAULT


@lru_cache(maxsize=1024)  # a link's few targets, over and over: the digest once per environment
def target_tag(url: str) -> str:
    """A short digest of a destination URL, 8 characters: a visit event records it beside the
    reason so that stats count a rule's visits to the URL it has now, never another URL that once
    had its place (a reordered or edited rule starts from zero; the url's visits stay exact)."""
    return base64.urlsafe_b64encode(hashlib.blake2b(url.encode(), digest_size=6).digest()).decode()


def split_fingerprint(split: Sequence[SplitTarget]) -> str:
    """What identifies a split: its targets and weights in order (any change draws anew)."""
    return "\n".join(f"{target.weight} {target.url}" for target in split)


def split_variant(split: Sequence[SplitTarget], key: str, visitor_id: str) -> int:
    """The variant a visitor gets: a point in 0..99 from a hash of (visitor, key, split), and the
    target whose share of the weights holds it. A uniform id draws each target by its weight."""
    digest = hashlib.blake2b(
        f"{visitor_id}\n{key}\n{split_fingerprint(split)}".encode(), digest_size=8
    ).digest()
    point = int.from_bytes(digest, "big") % TOTAL_WEIGHT
    for index, target in enumerate(split):
        point -= target.weight
        if point < 0:
            return index
    return len(split) - 1  # weights sum to 100: not reached


def forwarded_query(visitor: Visitor) -> str:
    """What forward_query appends: the short URL's query as sent (encoded again from its pairs if
    the event gave no raw query), less its ``qr`` parameters (a QR scan's mark is never passed on)."""
    if visitor.raw_query is None:
        return urlencode([pair for pair in visitor.query if pair[0] != QR_PARAMETER])
    return "&".join(
        part
        for part in visitor.raw_query.split("&")
        if part and unquote_plus(part.partition("=")[0]) != QR_PARAMETER
    )


def with_query(url: str, query: str) -> str:
    """``url`` with ``query`` appended to its own query (before a fragment): forward_query."""
    if not query:
        return url
    base, hash_, fragment = url.partition("#")
    joiner = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        joiner = ""
    return f"{base}{joiner}{query}{hash_}{fragment}"


def visitor_id(cookie: str | None) -> str | None:
    """The ``snip_vid`` a visitor sent, if it is one Snip could have set (else: none)."""
    return cookie if cookie and _VISITOR_ID.fullmatch(cookie) else None


def preferred_language(accept_language: str | None) -> str | None:
    """The primary subtag (lower case) of the entry with the highest q-value in an
    Accept-Language header, the first listed among equals; ``*`` and q=0 are ignored."""
    if not accept_language:
        return None
    best, best_q = None, 0.0
    for entry in accept_language.split(","):
        tag, _, params = entry.partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, number = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = tag, q
    return best.split("-", 1)[0].lower() if best else None


def _agent(user_agent: str | None) -> tuple[str, str | None]:
    """(device, os) of a user agent, from the shared table, imported on first need only."""
    from snip.domain.user_agents import device_and_os

    return device_and_os(user_agent or "")


def _matches(rule: RedirectRule, visitor: Visitor, agent: tuple[str, str | None] | None) -> bool:
    if rule.country and visitor.country not in rule.country:
        return False
    if rule.language and visitor.language not in rule.language:
        return False
    if rule.query and not all(pair in visitor.query for pair in rule.query):
        return False
    if rule.device and (agent is None or agent[0] not in rule.device):
        return False
    return not rule.os or (agent is not None and agent[1] in rule.os)
