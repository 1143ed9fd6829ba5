"""The reference: the least a Lambda function can do for a redirect or a create.

No Powertools, no domain code: import boto3, create the client at import, one DynamoDB request
per invocation. The benchmarks run it exactly as they run Snip's functions (same folder layout,
same interpreter flags, same stubs), so that every ratio in docs/performance.md is ours over this.
"""

import json
import os
import uuid

import boto3

TABLE = os.environ.get("SNIP_LINKS_TABLE", "snip-links")
client = boto3.client("dynamodb")


def handler(event, context):
    """GET /{key}: one GetItem, a 302 or a 404."""
    key = (event.get("pathParameters") or {}).get("key", "")
    item = client.get_item(TableName=TABLE, Key={"key": {"S": key}}).get("Item")
    if not item:
        return {"statusCode": 404, "body": ""}
    return {"statusCode": 302, "headers": {"Location": item["url"]["S"]}, "body": ""}


def create_handler(event, context):
    """POST /links: parse the body, one conditional PutItem under a random key, a 201."""
    url = json.loads(event["body"])["url"]
    key = uuid.uuid4().hex[:7]
    client.put_item(
        TableName=TABLE,
        Item={"key": {"S": key}, "url": {"S": url}},
        ConditionExpression="attribute_not_exists(#k)",
        ExpressionAttributeNames={"#k": "key"},
    )
    return {"statusCode": 201, "body": json.dumps({"key": key, "url": url})}
