"""Where the links API lives, read off the request in hand: the base of the short URLs it hands
out, and every address it answers on (a link to one of them would loop).

The public base URL is a setting when a custom domain is in front; otherwise the short URLs
name the host and stage the request came to.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from snip.domain.validation import server_address
from snip.http.responses import header
from snip.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import APIGatewayProxyEvent


def base_url(event: APIGatewayProxyEvent) -> str:
    """What a short URL starts with: the public base URL, else this request's host and stage."""
    configured = get_settings().public_base_url
    if configured:
        return configured
    context = event.request_context
    return f"https://{context.domain_name}/{context.stage}"


def own_hosts(event: APIGatewayProxyEvent) -> set[str]:
    """Every address this API answers on, as ``server_address`` spells it: a link to one loops.

    The public base URL, the host the request came to, and the API's own execute-api host,
    which still answers (with or without a stage in the path) when a custom domain is in front.
    """
    context = event.request_context
    scheme = header(event.headers, "X-Forwarded-Proto") or "https"
    hosts = {server_address(base_url(event))}
    for host in (context.domain_name, header(event.headers, "Host")):
        with contextlib.suppress(ValueError):  # not a host a URL could name: no link points at it
            hosts.add(server_address(f"{scheme}://{host}/") if host else "")
    region = get_settings().region  # AWS_REGION, set by Lambda in every function
    if context.api_id and region:
        hosts.add(server_address(f"https://{context.api_id}.execute-api.{region}.amazonaws.com/"))
    return hosts - {""}
