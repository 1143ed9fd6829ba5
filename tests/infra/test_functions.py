"""Each function: code, runtime, layer, size, environment and exactly the permissions it needs."""

from __future__ import annotations

from typing import Any

import pytest

from snip.data.counter_items import REDIRECT_ATTRIBUTES
from snip.data.links_table import LinksTable
from snip.data.visits_table import VisitsTable
from snip.domain import clock
from snip.domain.link import Link
from snip.execution.metric_names import NAMESPACE as METRICS_NAMESPACE
from snip.operations.follow_link import RedirectTables, Visit, visit_event
from snip.settings import Env
from snip_deploy.front_door import DEFAULT_CAPACITY
from snip_deploy.function_specs import FUNCTIONS
from snip_deploy.powertools import LAYER_NAME as POWERTOOLS_LAYER_NAME
from snip_deploy.powertools import LAYER_VERSION as POWERTOOLS_LAYER_VERSION
from snip_deploy.tables import API_KEYS, IDEMPOTENCY, KEYS, LINKS, ROLLUPS, VISITS, TableDef
from tests.infra.conftest import Assembly
from tests.infra.helpers import as_list, get_att, logical_id, resource, resources

FUNCTION = "AWS::Lambda::Function"
NAMES = sorted(FUNCTIONS)

# The brief of each function, written out by hand on purpose: the template must match it.
EXPECTED_TABLE_ACTIONS: dict[str, dict[TableDef, set[str]]] = {
    "resolve": {LINKS: {"GetItem"}, VISITS: {"PutItem", "GetItem"}, ROLLUPS: {"UpdateItem", "GetItem"}},
    "keygen": {KEYS: {"PutItem", "Scan", "DeleteItem"}, LINKS: {"ConditionCheckItem"}},
    "shorten": {
        KEYS: {"Query", "DeleteItem"},
        LINKS: {"PutItem", "GetItem", "UpdateItem", "Query", "BatchGetItem"},
        IDEMPOTENCY: {"GetItem", "PutItem", "UpdateItem", "DeleteItem"},
        API_KEYS: {"GetItem"},  # the caller's owner and scopes; `snip keys` writes, not shorten
        # stats, as_of, the links' counters items, the owner's totals; DELETE freezes a counters item
        ROLLUPS: {"Query", "GetItem", "BatchGetItem", "UpdateItem"},
        VISITS: {"PutItem"},  # DELETE's GoneEvent, in the tombstone's transaction
    },
    # visits: its stream only; never the links table. BatchGetItem: deleted links' and candidates'
    # counters items (snip.data.owner_totals).
    "aggregate": {ROLLUPS: {"UpdateItem", "BatchGetItem"}},
    "console": {},  # static files from its own folder
}
# The event source mapping reads the visits table's stream (CDK's grant_stream_read); AWS has no
# resource-level permission for ListStreams.
STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
# The functions that import Powertools and so get its layer; the console imports only the stdlib.
WITH_POWERTOOLS = [name for name in NAMES if name != "console"]

# What resolve's requests on a counters item may name (IAM dynamodb:Attributes), by hand too.
EXPECTED_VISIT_ATTRIBUTES = ["bot_visits", "bucket", "frozen", "key", "l#redirect", "visits"]


def function(template: dict[str, Any], name: str) -> dict[str, Any]:
    return resource(template, FUNCTION, f"{name.title()}Function")


def function_id(template: dict[str, Any], name: str) -> str:
    return logical_id(template, FUNCTION, f"{name.title()}Function")


def table_id(template: dict[str, Any], table_def: TableDef) -> str:
    return logical_id(template, "AWS::DynamoDB::Table", f"Tables{table_def.logical_id}")


def statements(template: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Every statement of every policy attached to the function's role."""
    role = logical_id(template, "AWS::IAM::Role", f"{name.title()}Role")
    found: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


@pytest.mark.parametrize("name", NAMES)
def test_code_handler_runtime_and_architecture(template: dict[str, Any], name: str) -> None:
    props = function(template, name)["Properties"]
    assert props["Handler"] == FUNCTIONS[name].handler
    runtime = props["Runtime"]
    assert runtime.startswith("python3.")
    assert int(runtime.removeprefix("python3.")) >= 13
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Code"]["S3Key"].endswith(".zip")


@pytest.mark.parametrize("name", WITH_POWERTOOLS)
def test_powertools_layer_pinned_and_regional(template: dict[str, Any], name: str) -> None:
    (layer,) = function(template, name)["Properties"]["Layers"]
    assert layer == {
        "Fn::Join": [
            "",
            [
                "arn:aws:lambda:",
                {"Ref": "AWS::Region"},
                f":017000801446:layer:{POWERTOOLS_LAYER_NAME}:{POWERTOOLS_LAYER_VERSION}",
            ],
        ]
    }
    assert POWERTOOLS_LAYER_NAME == "AWSLambdaPowertoolsPythonV3-python313-arm64"


def test_the_console_carries_no_layer(template: dict[str, Any]) -> None:
    assert "Layers" not in function(template, "console")["Properties"]


@pytest.mark.parametrize("name", NAMES)
def test_memory_timeout_and_log_retention(template: dict[str, Any], name: str) -> None:
    props = function(template, name)["Properties"]
    assert props["MemorySize"] == FUNCTIONS[name].memory_mb
    assert props["Timeout"] == FUNCTIONS[name].timeout_seconds
    log_group = props["LoggingConfig"]["LogGroup"]
    retention = template["Resources"][log_group["Ref"]]["Properties"]["RetentionInDays"]
    assert 7 <= retention <= 90


def test_keygen_and_resolve_have_reserved_concurrency(
    template: dict[str, Any], rest_template: dict[str, Any]
) -> None:
    def reserved(found: dict[str, Any]) -> dict[str, Any]:
        return {
            name: function(found, name)["Properties"].get("ReservedConcurrentExecutions") for name in NAMES
        }

    # Behind the front door resolve's reserved concurrency caps the redirect rate
    # (context resolveReservedConcurrency); on the REST API the stage throttle does.
    default = DEFAULT_CAPACITY.resolve_reserved_concurrency
    assert reserved(template) == {
        "keygen": 1,
        "resolve": default,
        "shorten": None,
        "aggregate": None,
        "console": None,
    }
    assert reserved(rest_template) == {
        "keygen": 1,
        "resolve": None,
        "shorten": None,
        "aggregate": None,
        "console": None,
    }


@pytest.mark.parametrize("name", NAMES)
def test_environment_names_come_from_settings(
    template: dict[str, Any], assembly: Assembly, name: str
) -> None:
    env = function(template, name)["Properties"]["Environment"]["Variables"]
    assert env[Env.SERVICE_NAME] == name
    assert env[Env.METRICS_NAMESPACE] == METRICS_NAMESPACE
    # X-Ray never records a response (target URLs, tokens included); errors still are.
    assert Env.TRACER_CAPTURE_RESPONSE == "POWERTOOLS_TRACER_CAPTURE_RESPONSE"
    assert env[Env.TRACER_CAPTURE_RESPONSE] == "false"
    assert "POWERTOOLS_TRACER_CAPTURE_ERROR" not in env
    # A function is told the names of the tables it may use, and only those.
    for table_def in (LINKS, KEYS, IDEMPOTENCY):
        if table_def in EXPECTED_TABLE_ACTIONS[name]:
            assert env[table_def.env_name] == {"Ref": table_id(template, table_def)}
        else:
            assert table_def.env_name not in env
    # No custom domain in this stack: shorten names the distribution (tests/infra/test_front_door.py),
    # no other function is told a base URL.
    assert (Env.PUBLIC_BASE_URL in env) is (name == "shorten")
    if name in ("keygen", "shorten"):
        settings = assembly.settings
        assert env[Env.POOL_TARGET] == str(settings.pool_target)
        assert env[Env.POOL_REFILL_RATIO] == str(settings.pool_refill_ratio)
        assert env[Env.POOL_SHARDS] == str(settings.pool_shards)


def test_shorten_knows_keygen_by_name(template: dict[str, Any]) -> None:
    env = function(template, "shorten")["Properties"]["Environment"]["Variables"]
    assert env[Env.KEYGEN_FUNCTION] == {"Ref": function_id(template, "keygen")}


def test_custom_domain_is_the_public_base_url(full_template: dict[str, Any]) -> None:
    for name in ("shorten", "resolve"):
        env = function(full_template, name)["Properties"]["Environment"]["Variables"]
        assert env[Env.PUBLIC_BASE_URL] == "https://sho.rt"


@pytest.mark.parametrize("name", NAMES)
def test_exactly_the_dynamodb_actions_the_function_needs(template: dict[str, Any], name: str) -> None:
    granted: dict[str, set[str]] = {}
    for statement in statements(template, name):
        for action in as_list(statement["Action"]):
            if action.startswith("dynamodb:") and action not in STREAM_ACTIONS | {"dynamodb:ListStreams"}:
                # A table's ARN, and for a Query its indexes' (<table ARN>/index/<name>) beside it.
                table_arn = as_list(statement["Resource"])[0]
                granted.setdefault(table_arn["Fn::GetAtt"][0], set()).add(action.removeprefix("dynamodb:"))
    expected = {table_id(template, t): actions for t, actions in EXPECTED_TABLE_ACTIONS[name].items()}
    assert granted == expected


def test_shorten_may_query_the_listing_indexes_and_nothing_else(template: dict[str, Any]) -> None:
    """GET /links queries by_owner, a search by_owner_search: IAM authorizes an index Query on
    <table ARN>/index/<name>."""
    links = get_att(table_id(template, LINKS))
    (query,) = [s for s in statements(template, "shorten") if "dynamodb:Query" in as_list(s["Action"])
                and as_list(s["Resource"])[0] == links]  # fmt: skip
    assert [index.name for index in LINKS.indexes] == ["by_owner", "by_owner_search"]
    assert as_list(query["Resource"]) == [
        links,
        *({"Fn::Join": ["", [links, f"/index/{index.name}"]]} for index in LINKS.indexes),
    ]


def test_resolve_never_writes_a_link_and_names_only_the_count_on_its_counters(
    template: dict[str, Any],
) -> None:
    links = get_att(table_id(template, LINKS))
    found = [s for s in statements(template, "resolve") if s.get("Resource") == links]
    assert {tuple(sorted(as_list(s["Action"]))): s.get("Condition") for s in found} == {
        ("dynamodb:GetItem",): None
    }
    rollups = get_att(table_id(template, ROLLUPS))
    on_rollups = [s for s in statements(template, "resolve") if s.get("Resource") == rollups]
    assert {tuple(sorted(as_list(s["Action"]))): s.get("Condition") for s in on_rollups} == {
        ("dynamodb:GetItem", "dynamodb:UpdateItem"): {
            "ForAllValues:StringEquals": {"dynamodb:Attributes": EXPECTED_VISIT_ATTRIBUTES}
        },
    }
    # The event's Put (alone, or in a max_visits visit's transaction) writes a whole new item,
    # ``counted`` included: no attribute list to keep in step with snip.domain.visit_events.
    visits = get_att(table_id(template, VISITS))
    on_visits = {
        tuple(as_list(s["Action"])): s.get("Condition")
        for s in statements(template, "resolve")
        if s.get("Resource") == visits
    }
    assert on_visits == {
        ("dynamodb:PutItem",): None,
        # Whether an event whose answer was lost is there (VisitsTable.event_written): its key only.
        ("dynamodb:GetItem",): {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["id"]}},
    }


class _RecordingClient:
    """Answers every write as a success and keeps each item action with the IAM action that
    authorizes it: a transaction's Update and Put are authorized as UpdateItem and PutItem (there
    is no TransactWriteItems permission)."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, dict[str, Any]]] = []

    def update_item(self, **request: Any) -> dict[str, Any]:
        self.actions.append(("UpdateItem", request))
        return {}

    def transact_write_items(self, TransactItems: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        for item in TransactItems:
            ((kind, request),) = item.items()
            self.actions.append((f"{kind}Item", request))
        return {}

    def get_item(self, **request: Any) -> dict[str, Any]:
        self.actions.append(("GetItem", request))
        return {}


def _named_attributes(request: dict[str, Any]) -> set[str]:
    return set(request["Key"]) | set(request.get("ExpressionAttributeNames", {}).values())


def test_resolve_writes_only_what_its_grants_allow() -> None:
    """The policy's lists against the data adapters' own requests: a max_visits visit by a person and
    by a bot (the counters item's Update and the event's Put, in one transaction), and the count a
    HEAD reads; nothing returned on a failed condition (never an item)."""
    link = Link("AbC1234", url="https://example.com/", owner="o", max_visits=5)
    client = _RecordingClient()
    store = RedirectTables.over(LinksTable(client, "links"), VisitsTable(client, "visits"), "rollups").limited
    for agent in ("Mozilla/5.0", "Slackbot 1.0"):
        visit = Visit(f"request-{agent}", user_agent=agent)
        store.record_visit(
            link, clock.now_ts(), visit_event("AbC1234", link, visit, clock.utcnow(), counted=True)
        )
    store.counted("AbC1234")
    tables = {"links": LINKS, "visits": VISITS, "rollups": ROLLUPS}
    sent = [(tables[request["TableName"]], action) for action, request in client.actions]
    assert sent == [(ROLLUPS, "UpdateItem"), (VISITS, "PutItem")] * 2 + [(ROLLUPS, "GetItem")]
    assert all(action in EXPECTED_TABLE_ACTIONS["resolve"][table] for table, action in sent)
    on_rollups = [
        request for (table, _), (_, request) in zip(sent, client.actions, strict=True) if table == ROLLUPS
    ]
    named = set().union(*(_named_attributes(request) for request in on_rollups))
    assert named == set(REDIRECT_ATTRIBUTES) == set(EXPECTED_VISIT_ATTRIBUTES)
    assert all(
        request.get("ReturnValuesOnConditionCheckFailure", "NONE") == "NONE" for _, request in client.actions
    )


@pytest.mark.parametrize("name", NAMES)
def test_no_wildcards_beyond_xray(template: dict[str, Any], name: str) -> None:
    found = statements(template, name)
    assert found
    for statement in found:
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert all("*" not in action for action in actions)
        if "*" in as_list(statement["Resource"]):
            # X-Ray and ListStreams have no resource-level permissions; nothing else may use "*".
            # (The app's minimizePolicies flag merges statements on the same resource.)
            allowed = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
            if name == "aggregate":
                allowed.add("dynamodb:ListStreams")
            assert set(actions) <= allowed
    role = resource(template, "AWS::IAM::Role", f"{name.title()}Role")
    assert "ManagedPolicyArns" not in role["Properties"]


@pytest.mark.parametrize("name", NAMES)
def test_logs_only_to_its_own_log_group(template: dict[str, Any], name: str) -> None:
    log_group = function(template, name)["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    log_statements = [
        s for s in statements(template, name) if any(a.startswith("logs:") for a in as_list(s["Action"]))
    ]
    assert [s["Resource"] for s in log_statements] == [get_att(log_group)]


def test_only_shorten_may_invoke_and_only_keygen(template: dict[str, Any]) -> None:
    invokes = {
        name: [
            s["Resource"]
            for s in statements(template, name)
            if "lambda:InvokeFunction" in as_list(s["Action"])
        ]
        for name in NAMES
    }
    assert invokes == {
        "shorten": [get_att(function_id(template, "keygen"))],
        "resolve": [],
        "keygen": [],
        "aggregate": [],
        "console": [],
    }


def test_keygen_runs_every_minute(template: dict[str, Any]) -> None:
    keygen = function_id(template, "keygen")
    (rule,) = resources(template, "AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert rule["Properties"]["State"] == "ENABLED"
    assert [t["Arn"] for t in rule["Properties"]["Targets"]] == [get_att(keygen)]
    permissions = [
        p["Properties"]
        for p in resources(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert [p["FunctionName"] for p in permissions] == [get_att(keygen)]


def test_on_demand_refills_are_not_retried(template: dict[str, Any]) -> None:
    (config,) = resources(template, "AWS::Lambda::EventInvokeConfig").values()
    assert config["Properties"]["FunctionName"] == {"Ref": function_id(template, "keygen")}
    assert config["Properties"]["MaximumRetryAttempts"] == 0
