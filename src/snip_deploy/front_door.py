"""The front door's sizing: one home for the CDK stack, ``make bench``'s capacity model and the docs.

Two configurations are documented (docs/deploy.md): the default, which deploys into a default
account (1,000 concurrent executions, of which at most 900 may be reserved), and the high-traffic
one that carries 10,000 redirects per second on one link (a Function URL serves at most 10
requests per second per concurrent execution, so 10,000/s needs 1,000 environments: a quota
increase of the account's "Concurrent executions", Service Quotas code L-B99A9384).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FrontDoorCapacity:
    # resolve's reserved concurrency (context resolveReservedConcurrency): the redirect rate's cap.
    resolve_reserved_concurrency: int
    # The visits table's warm write throughput, per second (context visitsWarmWrites); None leaves
    # a new on-demand table at what it starts with.
    visits_warm_writes_per_second: int | None
    # The account's concurrent-executions quota this configuration needs.
    account_concurrency_quota: int


DEFAULT_CAPACITY = FrontDoorCapacity(
    resolve_reserved_concurrency=100,
    visits_warm_writes_per_second=None,
    account_concurrency_quota=1_000,
)

HIGH_TRAFFIC_CAPACITY = FrontDoorCapacity(
    resolve_reserved_concurrency=1_000,
    visits_warm_writes_per_second=12_000,
    account_concurrency_quota=2_000,
)
