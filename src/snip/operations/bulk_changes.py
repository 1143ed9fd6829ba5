"""POST /links/bulk: one action on up to 100 of the owner's links, each key answered on its own.

Each key's change is the very write a single request makes: a delete is DELETE /links/{key}'s
(``Links.delete``: a tombstone bearing this delete's marker, decided even when its answer is
lost); disable, enable and the tag actions are PATCH's (``LinksTable.update_link``: a SET
conditional on the owner's live link, which does the same thing when sent twice). So a key is
exactly as safe under faults as alone, and a fault on one key is that key's 503, never the other
keys' nor the request's: the changes already made stand, and the answer says which to send again.

A tag action reads the links first (one consistent BatchGetItem) and writes each link's new
list on condition that its tags are still those read; changed meanwhile (another request's tags),
the condition's answer is the link as it is, and the change is made again from it: no tag another
request set at that moment is lost.
The changed links are shown with their counters, read in one BatchGetItem at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from snip.data.link_items import TAGS
from snip.data.links_table import LinksTable
from snip.domain.bulk_request import BulkRequest
from snip.domain.errors import DependencyUnavailable, InvalidInput, LinkChanged, LinkNotFound, SnipError
from snip.domain.link import Link
from snip.domain.short_keys import is_possible_key
from snip.domain.validation import MAX_TAGS

TAG_ATTEMPTS = 3  # a tag action on a link whose tags another request keeps changing
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


def _change_tags(table: LinksTable, owner: str, link: Link | None, request: BulkRequest) -> Link:
    """The link's tags changed from those read, on condition that they are still those: changed
    meanwhile, the change is made again from the link as it is now, a few times at most."""
    for _ in range(TAG_ATTEMPTS):
        if link is None or not link.live_for(owner):
            raise LinkNotFound(_NOT_FOUND)
        was = list(link.tags) if link.tags is not None else None
        try:
            return table.update_link(
                link.key, owner, {"tags": _new_tags(link, request)}, unchanged={TAGS: was}
            )
        except LinkChanged as changed:
            link = changed.now if isinstance(changed.now, Link) else None
    raise DependencyUnavailable("The link's tags kept changing meanwhile; send this key again.")


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
                outcomes[key] = _change_tags(table, owner, before.get(key), request)
        except (LinkNotFound, InvalidInput, DependencyUnavailable) as error:
            outcomes[key] = error
    changed = {key: link for key, link in outcomes.items() if isinstance(link, Link)}
    try:
        outcomes.update(counted(changed))
    except DependencyUnavailable as error:  # changed, but not shown: sending again does it again
        outcomes.update(dict.fromkeys(changed, error))
    return [(key, outcomes[key]) for key in request.keys]
