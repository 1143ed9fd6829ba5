"""One execution environment's objects: boto3 clients' users built on first use and reused,
telemetry (Powertools' or the hot path's lean one) and the collector pause of a cold start.

Nothing is built at import: importing a handler reads no environment and opens no connection,
and tests start from a clean environment with one call (``snip.execution.environment.reset``).
It may import ``snip.domain``, ``snip.data``, ``snip.operations`` and ``snip.settings``; never
``snip.http`` (the HTTP edge imports it, to reach the environment's objects).
"""
