"""Snip's DynamoDB tables as CDK constructs, from ``snip_deploy.tables`` (their one definition)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from snip_deploy import tables

# links holds every key ever issued (tombstones included): losing it would let keys and aliases
# be reissued. keys holds the unused pool, which shorten's claims are checked against.
# api-keys says whose each API key is: losing it would hand every link back to its creating key
# (owner = key id) and every key full scopes. visits holds events not yet counted, rollups the
# owners' analytics: none may vanish with a stack. All five outlive it; the idempotency table only
# holds 24-hour replay records.
RETAINED = frozenset(
    {
        tables.LINKS.logical_id,
        tables.KEYS.logical_id,
        tables.API_KEYS.logical_id,
        tables.VISITS.logical_id,
        tables.ROLLUPS.logical_id,
    }
)

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _attribute(key: tuple[str, str]) -> dynamodb.Attribute:
    name, kind = key
    return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[kind])


@dataclass(frozen=True)
class TableAccess:
    """What one function may do on one table: the IAM actions and the env var carrying its name.

    ``attributes``, if given, are the only top-level attributes a request may name (IAM's
    ``dynamodb:Attributes``); None leaves the actions unrestricted by attribute.
    """

    table: dynamodb.Table
    env_name: str
    actions: tuple[str, ...]
    attributes: tuple[str, ...] | None = None
    indexes: tuple[str, ...] = ()  # the table's indexes the grant reaches (Query)

    def resources(self) -> list[str]:
        """The ARNs the grant covers: the table, and each index named in ``indexes`` (a Query
        of an index is authorized on ``<table ARN>/index/<name>``)."""
        return [self.table.table_arn, *(f"{self.table.table_arn}/index/{name}" for name in self.indexes)]

    def conditions(self) -> dict[str, Any] | None:
        """The IAM conditions of the grant.

        How DynamoDB evaluates ``dynamodb:Attributes`` (Developer Guide, "Using IAM policy
        conditions for fine-grained access control",
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html):
        it is the list of top-level attributes named in the request's parameters (update,
        condition and projection expressions), not those in the response; the attributes may be
        "read, written, or evaluated in a conditional write", so a condition on an attribute
        outside the list is denied; and the table's key attributes must be in the list. So
        ``ReturnValues=ALL_NEW`` still returns the whole item: resolve's visit needs it (the
        redirect's target) and may read the item anyway (GetItem), so ReturnValues is left free.
        """
        if self.attributes is None:
            return None
        return {"ForAllValues:StringEquals": {"dynamodb:Attributes": list(self.attributes)}}


class SnipTables(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, warm_writes: Mapping[tables.TableDef, int] | None = None
    ) -> None:
        """``warm_writes``: a table's warm write throughput (writes per second it takes at once
        from its creation or this update, context visitsWarmWrites for the visits table)."""
        super().__init__(scope, construct_id)
        self._warm_writes = dict(warm_writes or {})
        self._by_def: dict[tables.TableDef, dynamodb.Table] = {
            table_def: self._table(table_def) for table_def in tables.ALL_TABLES
        }

    def _table(self, table_def: tables.TableDef) -> dynamodb.Table:
        retained = table_def.logical_id in RETAINED
        warm = self._warm_writes.get(table_def)
        table = dynamodb.Table(
            self,
            table_def.logical_id,
            partition_key=_attribute(table_def.partition_key),
            sort_key=_attribute(table_def.sort_key) if table_def.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # The AWS-managed KMS key (aws/dynamodb): encryption visible in the template and in
            # CloudTrail, without a customer key's monthly fee.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=table_def.ttl_attribute,
            stream=dynamodb.StreamViewType.NEW_IMAGE if table_def.stream else None,
            deletion_protection=retained,
            removal_policy=RemovalPolicy.RETAIN if retained else RemovalPolicy.DESTROY,
            warm_throughput=dynamodb.WarmThroughput(write_units_per_second=warm) if warm else None,
        )
        for index in table_def.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key),
                projection_type=(
                    dynamodb.ProjectionType.INCLUDE if index.projected else dynamodb.ProjectionType.KEYS_ONLY
                ),
                non_key_attributes=list(index.projected) or None,
            )
        return table

    def __getitem__(self, table_def: tables.TableDef) -> dynamodb.Table:
        return self._by_def[table_def]

    def items(self) -> list[tuple[tables.TableDef, dynamodb.Table]]:
        return list(self._by_def.items())

    def access(
        self, table_def: tables.TableDef, *actions: str, attributes: tuple[str, ...] | None = None
    ) -> TableAccess:
        """``access(LINKS, "GetItem", "UpdateItem")``: item-level DynamoDB actions on one table,
        limited to requests that name only ``attributes`` if given."""
        return TableAccess(
            table=self._by_def[table_def],
            env_name=table_def.env_name,
            actions=tuple(f"dynamodb:{action}" for action in actions),
            attributes=attributes,
            indexes=tuple(index.name for index in table_def.indexes) if "Query" in actions else (),
        )
