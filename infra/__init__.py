"""The CDK app that deploys Snip: small constructs composed by ``infra.stack.SnipStack``.

Every fact it deploys comes from the service's own modules: table schemas from ``snip.tables``,
routes and handlers from ``snip.routes``, environment variable names, pool sizes and API limits
from ``snip.settings``.
"""
