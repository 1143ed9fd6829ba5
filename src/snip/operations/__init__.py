"""What Snip's functions do, in domain terms: create, read, list, change and delete links,
claim and refill short-link keys, follow a link, count visit events.

Each operation takes the data adapters it needs (built once per execution environment by
``snip.execution``) and returns domain objects or raises domain errors. It may import
``snip.domain``, ``snip.data`` and ``snip.settings``; never ``snip.http`` (no status codes, no
response bodies here) nor boto3 directly.
"""
