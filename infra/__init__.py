"""The CDK app that deploys Snip: small constructs composed by ``infra.snip_stack.SnipStack``.

Every fact it deploys comes from the deploy-time package ``snip_deploy`` (function specs, routes,
table schemas, API limits' defaults, the Powertools release) and the runtime package ``snip``
(environment variable names, settings' defaults and ranges, metric names); what a deployment may
change is CDK context, read in ``infra.context`` only, never the deployer's shell.
"""
