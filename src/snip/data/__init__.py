"""Snip's data access: the only code that talks to DynamoDB (and to the event archive's bucket).

One small adapter per table, each speaking in domain terms: it takes and returns domain
objects, builds items only at this boundary, and turns AWS errors into domain errors decided
from error codes and ``CancellationReasons``, never from message text. It may import
``snip.domain``, ``snip.settings``, boto3 and botocore; never ``snip.operations``,
``snip.http`` or ``snip.execution``.
"""
