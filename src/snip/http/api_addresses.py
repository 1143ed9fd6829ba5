"""Where the links API lives, read off the request in hand: the base of the short URLs it hands
out, and every address it answers on (a link to one of them would loop).

The public base URL is a setting when a custom domain is in front; otherwise the short URLs
name the host and stage the request came to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from snip.domain.validation import server_address
from snip.http.responses import event_object, header
from snip.settings import get_settings


def base_url(event: Mapping[str, object]) -> str:
    """What a short URL starts with: the public base URL, else this request's host and stage
    (``event``: the Lambda proxy event, as API Gateway sent it)."""
    configured = get_settings().public_base_url
    if configured:
        return configured
    context = event_object(event, "requestContext")
    return f"https://{context.get('domainName')}/{context.get('stage')}"


def own_hosts(event: Mapping[str, object]) -> set[str]:
    """Every address this API answers on, as ``server_address`` spells it: a link to one loops.

    The public base URL, the host the request came to, and the API's own execute-api host,
    which still answers (with or without a stage in the path) when a custom domain is in front.
    """
    context = event_object(event, "requestContext")
    headers = event.get("headers")
    scheme = header(headers, "X-Forwarded-Proto") or "https"
    hosts = {server_address(base_url(event))}
    for host in (context.get("domainName"), header(headers, "Host")):
        with contextlib.suppress(ValueError):  # not a host a URL could name: no link points at it
            hosts.add(server_address(f"{scheme}://{host}/") if host else "")
    region = get_settings().region  # AWS_REGION, set by Lambda in every function
    if context.get("apiId") and region:
        hosts.add(server_address(f"https://{context['apiId']}.execute-api.{region}.amazonaws.com/"))
    return hosts - {""}
