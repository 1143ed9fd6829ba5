"""The CDK app that deploys Snip: small constructs composed by ``infra.snip_stack.SnipStack``.

Every fact it deploys comes from the service's own modules: table schemas from ``snip_deploy.tables``,
routes and handlers from ``snip_deploy.routes``, environment variable names, pool sizes and API limits
from ``snip.settings``.
"""
