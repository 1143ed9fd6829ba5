"""Lost answers, inside the SDK's retry loop: each kind of write applied, its answer never sent.

The local stack's AWS endpoint applies a selected write to DynamoDB (moto), then closes the
connection without answering (``lost=`` in ``SNIP_FAULTS``, docs/local.md). botocore, inside the
function, sees the connection closed and sends the same request again — the write is then made a
second time, or meets its own first attempt — before Snip's code sees anything.

One scenario per kind of write, at 10 % and 30 % of that write's requests, with clients doing
what makes that write; then, faults off, the outcome is read from DynamoDB and compared with
what a clean run gives:

* wrong answers — an answer a clean run would not give (a create that is not 201 or not its own
  alias, a replay of an Idempotency-Key with another link, a redirect that is not 3xx while the
  link has visits left, a PATCH that is not 200, a DELETE that is not 204, a 503);
* duplicate links — more than one link for one request (each request has its own URL) or one
  Idempotency-Key;
* visits double-counted — a plain link's ``visits`` (or ``bot_visits``) above the redirects it
  answered to people (or preview bots);
* spent without a redirect — a ``max_visits`` link's ``visits`` above the redirects it answered;
* visits lost — redirects answered above what the link counts;
* stats disagree — ``GET /links/{key}/stats`` totals, ``sources`` or ``referrers`` other than the
  link's redirects (the visit pipeline's scenario);
* pool damage — a refill that leaves other than its target, a key twice, a pool key that is a link.

Each figure is recorded per kind (``reliability figures``) and each must be 0. The visit
pipeline's scenario loses the answers of its own writes (resolve's event put, the aggregator's
counting transaction; ``tests.reliability.visit_mix``) and records ``counted_without_redirect``,
a 503 whose event was written all the same: a known defect (docs/reliability.md, D7), asserted by
``test_unanswered_redirect_counts_nothing``.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.e2e.stacks import Stack
from tests.reliability import figures
from tests.reliability.conftest import LONG
from tests.reliability.http import Caller, fault_state, set_faults, try_keygen
from tests.reliability.table_dumps import IDEMPOTENCY, KEYS, LINKS, all_items, pool_keys
from tests.reliability.visit_mix import PIPELINE_WRITES, ROLLUPS, VARIANTS, VisitLedger

CLIENTS = 4
PER_CLIENT = 12 if LONG else 4  # requests of each kind per client and scenario
REFILLS = 40 if LONG else 16  # keygen runs from an empty pool (one transaction each)
POOL_TARGET = 50  # snip.settings' default, which the faulty stack keeps
RATES = {"10pct": 0.10, "30pct": 0.30}
PIPELINE_DRAIN_SECONDS = 10  # faults on while the aggregator catches up with the redirects
OUTAGE_SECONDS = 2.0  # every answer of the counting lost: a few deliveries fail and are retried


@dataclass
class Outcome:
    """Wrong outcomes of one scenario, by kind of request."""

    requests: Counter[str] = field(default_factory=Counter)
    wrong_answers: Counter[str] = field(default_factory=Counter)
    duplicate_links: Counter[str] = field(default_factory=Counter)
    visits_double_counted: int = 0
    spent_without_redirect: int = 0
    visits_lost: int = 0
    pool_damage: int = 0
    stats_disagree: int = 0  # links whose GET /links/{key}/stats differs from their redirects
    # 503s whose visit event was written all the same (so counted): figure only, asserted by
    # test_unanswered_redirect_counts_nothing (a known defect, docs/reliability.md D7)
    counted_without_redirect: int = 0
    # when the scenario turns the faults off itself: answers lost and requests, per write
    lost_by_write: dict[str, int] = field(default_factory=dict)
    requests_by_write: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def wrong(self, kind: str, what: str) -> None:
        self.wrong_answers[kind] += 1
        if len(self.examples) < 8:
            self.examples.append(f"{kind}: {what}")

    def merge(self, other: Outcome) -> None:
        self.requests.update(other.requests)
        self.wrong_answers.update(other.wrong_answers)
        self.examples += other.examples[: 8 - len(self.examples)]

    def total(self) -> int:
        return (
            sum(self.wrong_answers.values())
            + sum(self.duplicate_links.values())
            + self.visits_double_counted
            + self.spent_without_redirect
            + self.visits_lost
            + self.pool_damage
            + self.stats_disagree
        )


def links(stack: Stack) -> list[dict[str, Any]]:
    return all_items(stack.dynamodb(), LINKS)


def counts(stack: Stack) -> Counter[str]:
    """People's visits per link: its counters item (rollups) plus what its own item holds."""
    found: Counter[str] = Counter()
    counters = [item for item in all_items(stack.dynamodb(), ROLLUPS) if item["bucket"]["S"] == "link"]
    for item in [*links(stack), *counters]:
        found[item["key"]["S"]] += int(item.get("visits", {}).get("N", "0"))
    return found


def count_duplicates(stack: Stack, outcome: Outcome, urls: dict[str, str]) -> None:
    """``urls``: url -> kind, one URL per request; a URL stored under two keys is a duplicate."""
    stored = Counter(item["url"]["S"] for item in links(stack) if item.get("url", {}).get("S") in urls)
    for url, n in stored.items():
        if n > 1:
            outcome.duplicate_links[urls[url]] += n - 1


RETRIED_503: Counter[str] = Counter()  # 503s a client retried (with Retry-After), per scenario run


class RetryingCaller(Caller):
    """A client as Snip asks clients to be: a 503 with Retry-After is retried (at most twice).

    A 503 is the honest answer when every attempt of a write lost its answer, which at 30 % and
    sustained load also happens when botocore's retry quota (its circuit breaker) runs dry and an
    attempt is no longer retried inside the SDK. What the suite requires of such a request is that
    it changed nothing half-way and that its retry gets the clean run's answer; the 503s are counted
    (figure ``retried_503``), never hidden."""

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        for _ in range(2):
            response = super().__call__(method, path, **kwargs)
            if response.status_code != 503 or "Retry-After" not in response.headers:
                return response
            RETRIED_503[f"{method} {path.split('/')[1]}"] += 1
            time.sleep(min(float(response.headers["Retry-After"]), 1.0))
        return super().__call__(method, path, **kwargs)


def in_parallel(work: Callable[[int], Outcome]) -> Outcome:
    outcome = Outcome()
    with ThreadPoolExecutor(CLIENTS) as pool:
        for part in pool.map(work, range(CLIENTS)):
            outcome.merge(part)
    return outcome


# -- the scenarios: (write selected, clients' work, checks) ----------------------------------
def claims(stack: Stack, tag: str) -> Outcome:
    """Creates from the pool, with and without Idempotency-Key: the claim transaction."""
    urls: dict[str, str] = {}

    def work(n: int) -> Outcome:
        call, outcome = RetryingCaller(stack), Outcome()
        for i in range(PER_CLIENT):
            for kind, headers in (
                ("create", {}),
                ("create idempotent", {"Idempotency-Key": f"{tag}-{n}-{i}"}),
            ):
                url = f"https://example.com/{tag}/{kind.replace(' ', '-')}/{n}/{i}"
                urls[url] = kind
                outcome.requests[kind] += 1
                reply = call("POST", "/links", body={"url": url}, headers=headers)
                if reply.status_code != 201:
                    outcome.wrong(kind, f"{reply.status_code} {reply.text[:120]}")
                elif headers:
                    replay = call("POST", "/links", body={"url": url}, headers=headers)
                    if replay.status_code != 201 or replay.json()["key"] != reply.json()["key"]:
                        outcome.wrong(kind, f"replay {replay.status_code} {replay.text[:120]}")
        return outcome

    outcome = in_parallel(work)
    count_duplicates(stack, outcome, urls)
    return outcome


def link_puts(stack: Stack, tag: str) -> Outcome:
    """Aliased creates (with and without Idempotency-Key) and creates with the pool empty."""
    urls: dict[str, str] = {}

    def work(n: int) -> Outcome:
        call, outcome = RetryingCaller(stack), Outcome()
        for i in range(PER_CLIENT):
            alias = f"{tag}-{n}-{i}"
            for kind, headers in (
                ("alias", {}),
                ("alias idempotent", {"Idempotency-Key": f"{tag}-a-{n}-{i}"}),
            ):
                outcome.requests[kind] += 1
                url = f"https://example.com/{tag}/{kind.replace(' ', '-')}/{n}/{i}"
                body = {"url": url, "alias": alias + ("-i" if headers else "")}
                reply = call("POST", "/links", body=body, headers=headers)
                if reply.status_code != 201 or reply.json()["key"] != body["alias"]:
                    outcome.wrong(kind, f"{reply.status_code} {reply.text[:120]}")
                elif headers:
                    replay = call("POST", "/links", body=body, headers=headers)
                    if replay.status_code != 201 or replay.json()["key"] != body["alias"]:
                        outcome.wrong(kind, f"replay {replay.status_code} {replay.text[:120]}")
            stack.empty_pool()  # the next create finds no key: it generates one (inline put)
            url = f"https://example.com/{tag}/empty-pool/{n}/{i}"
            urls[url] = "create, pool empty"
            outcome.requests["create, pool empty"] += 1
            reply = call("POST", "/links", body={"url": url})
            if reply.status_code != 201:
                outcome.wrong("create, pool empty", f"{reply.status_code} {reply.text[:120]}")
        return outcome

    outcome = in_parallel(work)
    count_duplicates(stack, outcome, urls)
    try_keygen(stack)  # leave the pool filled for the next scenario
    return outcome


def link_updates(stack: Stack, tag: str, rate: float) -> Outcome:
    """Redirects (plain and max_visits links), PATCH and DELETE: UpdateItem on the links table.

    The links are made with faults off; the test then turns the faults on for the work."""
    call = RetryingCaller(stack)
    made: dict[str, list[str]] = {"plain": [], "max_visits": [], "patch": [], "delete": []}
    for kind in made:
        for n in range(CLIENTS * PER_CLIENT // (2 if kind == "plain" else 1)):
            body: dict[str, Any] = {"url": f"https://example.com/{tag}/{kind}/{n}"}
            if kind == "max_visits":
                body["max_visits"] = 2
            reply = call("POST", "/links", body=body)
            assert reply.status_code == 201, reply.text
            made[kind].append(reply.json()["key"])
    redirects: dict[str, Counter[int]] = {key: Counter() for key in made["plain"] + made["max_visits"]}
    # A max_visits visit is one TransactWriteItems (the count on the link's counters item in the
    # rollups table, and its event); PATCH and DELETE are UpdateItems of the link.
    spec = f"UpdateItem@{LINKS}:lost={rate},TransactWriteItems@{ROLLUPS}:lost={rate}"
    set_faults(stack, spec, seed=round(rate * 1000) + 3)

    def work(n: int) -> Outcome:
        call, outcome = RetryingCaller(stack), Outcome()
        rng = random.Random(n)
        mine = slice(n, None, CLIENTS)
        for key in made["plain"][mine]:
            for _ in range(rng.randint(2, 4)):
                outcome.requests["redirect"] += 1
                status = call("GET", f"/{key}", key=False).status_code
                redirects[key][status] += 1
                if status != 302:
                    outcome.wrong("redirect", f"{key}: {status}")
        for key in made["max_visits"][mine]:
            answers = [call("GET", f"/{key}", key=False).status_code for _ in range(3)]
            outcome.requests["redirect max_visits"] += 3
            for status in answers:
                redirects[key][status] += 1
            if answers != [302, 302, 410]:
                outcome.wrong("redirect max_visits", f"{key}: {answers} for max_visits 2")
        for key in made["patch"][mine]:
            outcome.requests["PATCH"] += 1
            url = f"https://example.com/{tag}/patched/{key}"
            reply = call("PATCH", f"/links/{key}", body={"url": url})
            if reply.status_code != 200 or reply.json().get("url") != url:
                outcome.wrong("PATCH", f"{key}: {reply.status_code} {reply.text[:120]}")
        for key in made["delete"][mine]:
            outcome.requests["DELETE"] += 1
            reply = call("DELETE", f"/links/{key}")
            if reply.status_code != 204:
                outcome.wrong("DELETE", f"{key}: {reply.status_code} {reply.text[:120]}")
        return outcome

    outcome = in_parallel(work)

    def redirected(key: str) -> int:
        return sum(n for status, n in redirects[key].items() if 300 <= status < 400)

    # A plain link's visits are events, counted by the aggregator within 5 s (CONTRACT §2): wait
    # for them (bounded), then compare; a max_visits link is counted in the redirect itself.
    deadline = time.monotonic() + 15
    while True:
        stored = {item["key"]["S"]: item for item in links(stack)}
        counted = counts(stack)
        behind = [key for key in made["plain"] if counted[key] < redirected(key)]
        if not behind or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for key in redirects:
        visits = counted[key]
        done = redirected(key)
        if visits > done and key in made["max_visits"]:
            outcome.spent_without_redirect += visits - done
        elif visits > done:
            outcome.visits_double_counted += visits - done
        outcome.visits_lost += max(0, done - visits)
    for key in made["patch"]:
        if not stored[key]["url"]["S"].endswith(f"/patched/{key}"):
            outcome.wrong("PATCH", f"{key}: not changed")
    for key in made["delete"]:
        if "deleted_at" not in stored[key]:
            outcome.wrong("DELETE", f"{key}: not deleted")
    return outcome


def visit_pipeline(stack: Stack, tag: str, rate: float) -> Outcome:
    """Redirects of plain links and links with a rule and a split, by people and a preview bot
    (``?qr=1``, Referer): resolve's visit event put and the aggregator's counting transaction.

    The links are made with faults off; the faults stay on while the clients redirect and then
    until the aggregator has caught up (at most ``PIPELINE_DRAIN_SECONDS``: it counts after the
    answers, and its transactions must meet the faults too), then are turned off before the
    pipeline is waited for again and the counts and stats are judged."""
    call = Caller(stack)
    keys = []
    for n in range(CLIENTS * PER_CLIENT):
        body: dict[str, Any] = {"url": f"https://example.com/{tag}/visited/{n}"}
        if n % 2:  # every other link sends phones by a rule and splits the rest: counted per destination
            body["rules"] = [{"when": {"device": ["mobile"]}, "url": f"https://example.com/{tag}/phone/{n}"}]
            body["split"] = [
                {"url": f"https://example.com/{tag}/a/{n}", "weight": 40},
                {"url": f"https://example.com/{tag}/b/{n}", "weight": 60},
            ]
        reply = call("POST", "/links", body=body)
        assert reply.status_code == 201, reply.text
        keys.append(reply.json()["key"])
    ledger = VisitLedger()
    spec = ",".join(f"{write}:lost={rate}" for write in PIPELINE_WRITES)
    set_faults(stack, spec, seed=round(rate * 1000) + 5)

    def work(n: int) -> Outcome:
        call, outcome = Caller(stack), Outcome()
        rng = random.Random(n)
        for key in keys[n::CLIENTS]:
            for _ in range(rng.randint(3, 6)):
                outcome.requests["redirect (visit event)"] += 1
                status = ledger.redirect(call, key, rng.choice(VARIANTS)).status_code
                if status != 302:
                    outcome.wrong("redirect (visit event)", f"{key}: {status}")
        return outcome

    outcome = in_parallel(work)
    # An outage of the counting: every answer of the aggregator's transaction lost for a while, so
    # that botocore gives up, the batch fails and is delivered again (the counting's own repeats,
    # which its de-duplication must cancel; within botocore's retries the ClientRequestToken does).
    outage = ",".join([f"{PIPELINE_WRITES[0]}:lost={rate}", f"{PIPELINE_WRITES[1]}:lost=1.0"])
    lost_before, requests_before = pipeline_state(stack)
    set_faults(stack, outage, seed=round(rate * 1000) + 6)
    call = Caller(stack)
    for n, key in enumerate(keys[:CLIENTS]):
        outcome.requests["redirect (visit event)"] += 1
        status = ledger.redirect(call, key, VARIANTS[n % len(VARIANTS)]).status_code
        if status != 302:
            outcome.wrong("redirect (visit event)", f"{key}: {status}")
    time.sleep(OUTAGE_SECONDS)
    lost_outage, requests_outage = pipeline_state(stack)
    set_faults(stack, spec, seed=round(rate * 1000) + 7)
    ledger.wait_counted(stack, PIPELINE_DRAIN_SECONDS)  # the aggregator's share, faults still on
    lost_after, requests_after = pipeline_state(stack)
    outcome.lost_by_write = {w: lost_before[w] + lost_outage[w] + lost_after[w] for w in PIPELINE_WRITES}
    outcome.requests_by_write = {
        w: requests_before[w] + requests_outage[w] + requests_after[w] for w in PIPELINE_WRITES
    }
    set_faults(stack, "")
    RETRIED_503["GET (visit event)"] += ledger.statuses[503]
    settled = ledger.settle(stack)
    outcome.visits_lost += settled.visits_lost
    outcome.visits_double_counted += settled.visits_double_counted
    outcome.stats_disagree += settled.stats_disagree
    outcome.counted_without_redirect += settled.counted_without_redirect
    outcome.examples += settled.examples[: 8 - len(outcome.examples)]
    return outcome


def pipeline_state(stack: Stack) -> tuple[dict[str, int], dict[str, int]]:
    """Answers lost and requests seen per pipeline write (read before turning faults off resets them)."""
    state = fault_state(stack)

    def count(counts: dict[str, int], write: str, fault: str = "") -> int:
        operation, _, table = write.partition("@")
        return sum(
            n
            for label, n in counts.items()
            if label.startswith(f"{operation}@")
            and table in label.partition(":")[0].partition("@")[2].split("+")
            and label.endswith(fault)
        )

    lost = {write: count(state["injected"], write, ":lost") for write in PIPELINE_WRITES}
    return lost, {write: count(state["requests"], write) for write in PIPELINE_WRITES}


def idempotency_records(stack: Stack, tag: str) -> Outcome:
    """Creates with an Idempotency-Key, each sent once and then replayed, one client at a time per key."""
    urls: dict[str, str] = {}

    def work(n: int) -> Outcome:
        call, outcome = RetryingCaller(stack), Outcome()
        for i in range(2 * PER_CLIENT):
            kind = "create idempotent"
            url = f"https://example.com/{tag}/idem/{n}/{i}"
            urls[url] = kind
            outcome.requests[kind] += 1
            headers = {"Idempotency-Key": f"{tag}-{n}-{i}"}
            reply = call("POST", "/links", body={"url": url}, headers=headers)
            if reply.status_code != 201:  # nothing else runs with this key: 409 in progress is wrong
                outcome.wrong(kind, f"{reply.status_code} {reply.text[:120]}")
                continue
            replay = call("POST", "/links", body={"url": url}, headers=headers)
            if replay.status_code != 201 or replay.json()["key"] != reply.json()["key"]:
                outcome.wrong(kind, f"replay {replay.status_code} {replay.text[:120]}")
        return outcome

    outcome = in_parallel(work)
    count_duplicates(stack, outcome, urls)
    return outcome


def refills(stack: Stack, tag: str) -> Outcome:
    """keygen refilling an emptied pool: its TransactWriteItems of conditional puts."""
    outcome = Outcome()
    for _ in range(REFILLS):
        stack.empty_pool()
        outcome.requests["keygen refill"] += 1
        if not try_keygen(stack):
            outcome.wrong("keygen refill", "keygen failed")
        pool = pool_keys(stack.dynamodb())
        if len(pool) != POOL_TARGET or len(set(pool)) != len(pool):
            outcome.pool_damage += 1
            outcome.examples.append(f"keygen refill: pool of {len(pool)} ({len(set(pool))} distinct)")
    stored = {item["key"]["S"] for item in links(stack)}
    outcome.pool_damage += len(set(pool_keys(stack.dynamodb())) & stored)
    return outcome


# kind -> (the write whose answers are lost, scenario)
SCENARIOS: dict[str, tuple[str, Callable[..., Outcome]]] = {
    "claim": (f"TransactWriteItems@{LINKS}", claims),
    "link put (alias, pool empty)": (f"PutItem@{LINKS}", link_puts),
    "visit count, PATCH, DELETE": (f"UpdateItem@{LINKS}+TransactWriteItems@{ROLLUPS}", link_updates),
    "idempotency records": (f"PutItem@{IDEMPOTENCY}+UpdateItem@{IDEMPOTENCY}", idempotency_records),
    "keygen refill": (f"TransactWriteItems@{KEYS}", refills),
    # last: the scenarios before it keep their seeds (the index is part of the seed)
    "visit pipeline (event put, counting)": ("+".join(PIPELINE_WRITES), visit_pipeline),
}


@pytest.mark.parametrize("rate_id", list(RATES))
@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_lost_answers(no_faults_after: Stack, kind: str, rate_id: str) -> None:
    stack, rate = no_faults_after, RATES[rate_id]
    writes, scenario = SCENARIOS[kind]
    tag = f"lost-{list(SCENARIOS).index(kind)}-{rate_id}"
    try_keygen(stack)
    RETRIED_503.clear()
    spec = ",".join(f"{write}:lost={rate}" for write in writes.split("+"))
    seed = round(rate * 1000) + list(SCENARIOS).index(kind)
    if scenario in (link_updates, visit_pipeline):  # they set (and may reset) the faults themselves
        outcome = scenario(stack, tag, rate)
    else:
        set_faults(stack, spec, seed=seed)
        outcome = scenario(stack, tag)
    state = fault_state(stack)
    set_faults(stack, "")

    lost = sum(n for label, n in state["injected"].items() if label.endswith(":lost"))
    lost += sum(outcome.lost_by_write.values())
    figures.record(
        f"lost answers {round(rate * 100)}%: {kind}",
        write=writes,
        answers_lost=lost,
        requests=dict(outcome.requests),
        wrong_answers=dict(outcome.wrong_answers),
        duplicate_links=dict(outcome.duplicate_links),
        visits_double_counted=outcome.visits_double_counted,
        spent_without_redirect=outcome.spent_without_redirect,
        visits_lost=outcome.visits_lost,
        pool_damage=outcome.pool_damage,
        **(
            {
                "answers_lost_by_write": outcome.lost_by_write,
                "requests_by_write": outcome.requests_by_write,
                "stats_disagree": outcome.stats_disagree,
                "counted_without_redirect": outcome.counted_without_redirect,
            }
            if scenario is visit_pipeline
            else {}
        ),
        retried_503=dict(RETRIED_503),
        examples=outcome.examples,
    )
    assert lost > 0, "no answer was lost: the scenario tested nothing"
    assert outcome.total() == 0, figures.FIGURES[f"lost answers {round(rate * 100)}%: {kind}"]


def test_a_redirect_is_counted_exactly_when_it_is_answered(no_faults_after: Stack) -> None:
    """D7 (docs/reliability.md): the event's put written, every answer lost, is a redirect (the
    lookup finds the event); lost answers mixed with throttles answer 302 or 503, and a 503
    counts nothing."""
    stack = no_faults_after
    try_keygen(stack)
    reply = Caller(stack)("POST", "/links", body={"url": "https://example.com/unanswered"})
    assert reply.status_code == 201, reply.text
    key = reply.json()["key"]
    ledger = VisitLedger()
    set_faults(stack, f"{PIPELINE_WRITES[0]}:lost=1.0")
    assert ledger.redirect(Caller(stack), key).status_code == 302
    set_faults(stack, f"{PIPELINE_WRITES[0]}:lost=0.5,{PIPELINE_WRITES[0]}:throttle=0.5", seed=7)
    statuses = Counter(ledger.redirect(Caller(stack), key).status_code for _ in range(20))
    set_faults(stack, "")
    assert set(statuses) <= {302, 503}, statuses
    settled = ledger.settle(stack)
    assert (settled.counted_without_redirect, settled.visits_double_counted, settled.visits_lost) == (
        0,
        0,
        0,
    ), settled.examples
