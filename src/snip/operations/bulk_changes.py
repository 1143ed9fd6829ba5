"""POST /links/bulk: one action on up to 100 of the owner's links, each key answered on its own.

Each key's change is the very write a single request makes: a delete is DELETE /links/{key}'s
(``Links.delete``: a tombstone bearing this delete's marker, decided even when its answer is
lost); disable, enable and the tag actions are PATCH's (``LinksTable.update_link``: a SET
conditional on the owner's live link, which does the same thing when sent twice). So a key is
exactly as safe under faults as alone, and a fault on one key is that key's 503, never the other
keys' nor the request's: the changes already made stand, and the answer says which to send again.

A tag action reads the links first (one consistent BatchGetItem) and writes each link's new
list: like two PATCHes, a change of the same link's tags at that same moment may be overwritten.
The changed links are shown with their counters, read in one BatchGetItem at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from snip.data.links_table import LinksTable
from snip.domain.bulk_request import BulkRequest
from snip.domain.errors import DependencyUnavailable, InvalidInput, LinkNotFound, SnipError
from snip.domain.link import Link
from snip.domain.short_keys import is_possible_key
from snip.domain.validation import MAX_TAGS

# One key's outcome: the changed link (200), None (204: deleted), or the domain error.
Outcome = Link | SnipError | None
_NOT_FOUND = "No link with this key."


def _new_tags(link: Link, request: BulkRequest) -> list[str]:
    tags = list(link.tags or ())
    if request.action == "add_tags":
        tags += [tag for tag in request.tags if tag not in tags]
    else:
        tags = [tag for tag in tags if tag not in request.tags]
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"tags: a link has at most {MAX_TAGS} tags.", code="invalid_tags")
    return tags


def change_each(
    table: LinksTable,
    owner: str,
    request: BulkRequest,
    delete: Callable[[str, str], None],
    counted: Callable[[Mapping[str, Link]], dict[str, Link]],
) -> list[tuple[str, Outcome]]:
    """Each key of ``request`` with its outcome, in request order. ``delete`` is DELETE's own
    operation, ``counted`` adds the counters to the links it is given."""
    possible = [key for key in request.keys if is_possible_key(key)]
    before: dict[str, Link] = {}
    if request.action in ("add_tags", "remove_tags") and possible:
        before = table.get_links(possible)  # unreadable: the whole request is a 503 to retry
    outcomes: dict[str, Outcome] = {}
    for key in request.keys:
        try:
            if key not in possible:
                raise LinkNotFound(_NOT_FOUND)
            if request.action == "delete":
                delete(owner, key)
                outcomes[key] = None
            elif request.action in ("disable", "enable"):
                outcomes[key] = table.update_link(key, owner, {"disabled": request.action == "disable"})
            else:
                link = before.get(key)
                if link is None or not link.live_for(owner):
                    raise LinkNotFound(_NOT_FOUND)
                outcomes[key] = table.update_link(key, owner, {"tags": _new_tags(link, request)})
        except (LinkNotFound, InvalidInput, DependencyUnavailable) as error:
            outcomes[key] = error
    changed = {key: link for key, link in outcomes.items() if isinstance(link, Link)}
    try:
        outcomes.update(counted(changed))
    except DependencyUnavailable as error:  # changed, but not shown: sending again does it again
        outcomes.update(dict.fromkeys(changed, error))
    return [(key, outcomes[key]) for key in request.keys]
