"""What one execution environment builds once and reuses: the table adapters (the links it
remembers for resolve among them), the key pool, the links service and the owners of the API keys
it has seen (cached for at most a minute: ``snip.operations.callers``).

Everything is built on first use, never at import, so that importing a handler reads no
environment and opens no connection (tests and SnapStart both rely on that). The key pool, the
links service and Powertools' Logger are imported on first use too: resolve, which uses only
``redirect_tables()``, never loads them (nor pydantic). ``reset()`` forgets all of it, as a new
execution environment would start: tests call it between tests.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

from snip.data import clients
from snip.data.link_memory import LinkMemory
from snip.data.links_table import LinksTable
from snip.data.visits_table import VisitsTable
from snip.operations.follow_link import RedirectTables
from snip.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

    from snip.data.key_pool_table import KeyPoolTable
    from snip.data.link_creation import LinkCreation
    from snip.operations.callers import Owners
    from snip.operations.key_pool import KeyPool
    from snip.operations.owner_links import Links

REFILL_EVENT = {"source": "snip.shorten", "detail-type": "refill"}


def freeze_imports() -> None:
    """Move every object the handler's imports made out of the garbage collector's way (Python's
    ``gc.freeze``), called once at the end of a handler module.

    Modules, classes and their tables live as long as the execution environment anyway; left in
    the collected generations, every collection that the first request's allocations trigger
    (building the SDK client's service model, mostly) walks them all again. Frozen, it does not:
    resolve's client creation goes from about 80 to 55 ms on a cold start (``make bench``, part 1).
    Objects made later are collected as always."""
    gc.freeze()


def resume_collector() -> None:
    """End a cold start that a handler module began with ``gc.disable()`` (resolve does): freeze
    what the start made (the SDK client and its service model live as long as the environment)
    and collect again. A no-op once the collector runs."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


@lru_cache(maxsize=1)
def _logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(child=True)


@lru_cache(maxsize=1)
def links_table() -> LinksTable:
    return LinksTable(clients.dynamodb(), get_settings().links_table)


@lru_cache(maxsize=1)
def redirect_tables() -> RedirectTables:
    """What resolve's ``follow`` reads and writes, with the links this environment remembers."""
    return RedirectTables.over(links_table(), VisitsTable(clients.dynamodb(), get_settings().visits_table))


def link_memory() -> LinkMemory:
    """The links this execution environment remembers for up to 2 s (resolve's redirects)."""
    return redirect_tables().memory


@lru_cache(maxsize=1)
def key_pool_table() -> KeyPoolTable:
    from snip.data.key_pool_table import KeyPoolTable

    settings = get_settings()
    return KeyPoolTable(clients.dynamodb(), settings.keys_table, settings.links_table)


@lru_cache(maxsize=1)
def link_creation() -> LinkCreation:
    from snip.data.link_creation import LinkCreation

    return LinkCreation(links_table(), get_settings().keys_table)


def request_refill() -> None:
    """Ask keygen to refill the pool, asynchronously; a failure here never fails a create."""
    name = get_settings().keygen_function
    if not name:
        return
    try:
        clients.lambda_().invoke(
            FunctionName=name, InvocationType="Event", Payload=json.dumps(REFILL_EVENT).encode()
        )
        _logger().info("asked keygen to refill the pool", extra={"keygen_function": name})
    except Exception:  # the pool stays usable through inline generation
        _logger().warning("could not ask keygen to refill the pool", exc_info=True)


@lru_cache(maxsize=1)
def pool() -> KeyPool:
    from snip.operations.key_pool import KeyPool

    return KeyPool(key_pool_table(), link_creation(), get_settings(), request_refill)


def warm_pool_at_init() -> None:
    """Load candidate keys during Lambda's init phase, before the first request.

    Skipped outside Lambda (tests import handlers freely) and under SnapStart, whose clones would
    all start with the same candidates. A failure only means the first create loads them.
    """
    if "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
        return
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
        return
    try:
        pool().warm()
    except Exception:
        _logger().warning("could not load candidate keys at init", exc_info=True)


@lru_cache(maxsize=1)
def links() -> Links:
    from snip.operations.owner_links import CountsReader, Links

    def counts() -> CountsReader:
        from snip.data.rollups_table import rollups_table

        return rollups_table()

    return Links(links_table(), link_creation(), key_pool_table(), pool(), counts)


@lru_cache(maxsize=1)
def owners() -> Owners:
    from snip.data.api_keys_table import ApiKeyRegistry
    from snip.operations.callers import Owners

    return Owners(ApiKeyRegistry(clients.dynamodb(), get_settings().api_keys_table))


_BUILT_ONCE = (
    links_table,
    redirect_tables,
    key_pool_table,
    link_creation,
    pool,
    links,
    owners,
    _logger,
    get_settings,
    clients.dynamodb,
    clients.lambda_,
)
# Built once by modules resolve never loads: (module, its lru_cached builders), reset if loaded.
_BUILT_ELSEWHERE = (
    ("snip.data.idempotency_table", ("persistence",)),
    ("snip.operations.idempotent_creates", ("config",)),
    ("snip.data.rollups_table", ("rollups_table",)),
    ("snip.data.owner_totals", ("owners_table",)),
)


def reset() -> None:
    """Forget every object this execution environment built, as a new one would start (tests)."""
    for built in _BUILT_ONCE:
        built.cache_clear()
    for module_name, names in _BUILT_ELSEWHERE:
        module = sys.modules.get(module_name)
        for name in names if module is not None else ():
            getattr(module, name).cache_clear()
