"""Snip's domain: what a link, a short-link key, a visit and a stats answer are, and the rules
they follow.

Plain Python and the standard library only: no boto3, no botocore, no HTTP, no pydantic, so that
every function (resolve's cold path included) may import it and tests need no AWS stand-in. Its
modules import each other and ``snip.settings``, nothing else of Snip's. A rule that DynamoDB
must also enforce keeps its condition expression beside its Python predicate
(``snip.domain.liveness``); the data package sends it.

One meaning per word across the tree: a *key* alone is a short-link key (``short_keys``, the
``keys`` table, ``KeyTaken``); an API key is always named so (``api_keys_table``, ``api_scopes``,
``ApiKeyRevoked``); the *key pool* is the table of unused short-link keys (``key_pool_table``,
``operations.key_pool``), and the local stack's *worker pool* is its execution environments.
"""
