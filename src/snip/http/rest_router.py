"""An Event Handler ``Router`` for API Gateway REST routes.

Powertools types a plain ``Router``'s ``current_event`` as any proxy event; included in an
``APIGatewayRestResolver`` it is always a REST one, and this subclass says so (as the resolver
itself does) so that routes hand it on without casts. Nothing else differs.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import APIGatewayProxyEvent


class RestRouter(Router):
    current_event: APIGatewayProxyEvent
