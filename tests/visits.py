"""Visit events for tests and benchmarks: made as resolve makes them, delivered as the stream does."""

from __future__ import annotations

from typing import Any

from snip.domain.visit_events import DEFAULT_DESTINATION, DIRECT, SOURCE_LINK, UNKNOWN, VisitEvent

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"
CHROME_ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
CHROME_ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
TARGET_TAG = "AbCdEfGh"  # the tag of a rule's target (redirect_rules.target_tag), for a visit sent by one
# Where visit number n of a link with rules and a split was sent (a rule, a variant, or the url).
DESTINATIONS = ("0", "split:1", "default", "3")
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/snip-visits/stream/2030-01-01T00:00:00.000"
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
CURL = "curl/8.5.0"


def visit(
    key: str,
    n: int,
    *,
    at: str = "2030-01-31T12:00:00.000Z",
    owner: str = "local",
    bot: bool = False,
    referrer: str = DIRECT,
    country: str = UNKNOWN,
    user_agent: str = CHROME_WINDOWS,
    source: str = SOURCE_LINK,
    prefix: str = "req",
    destination: str = DEFAULT_DESTINATION,
) -> VisitEvent:
    return VisitEvent(
        id=f"{prefix}-{key}-{n:06d}",
        at=at,
        key=key,
        owner=owner,
        bot=bot,
        referrer=referrer,
        country=country,
        user_agent=user_agent,
        source=source,
        expires=1_900_000_000,
        destination=destination,
        target="" if destination == DEFAULT_DESTINATION else TARGET_TAG,
    )


def stream_record(event: VisitEvent, seq: int) -> dict[str, Any]:
    """The INSERT record Lambda delivers for the event's put (NEW_IMAGE)."""
    return {
        "eventID": f"e{seq}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_900_000_000,
            "Keys": {"id": {"S": event.id}},
            "NewImage": event.to_item(),
            "SequenceNumber": str(10**20 + seq),
            "SizeBytes": 300,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": STREAM_ARN,
    }


def put_events(client: Any, table: str, events: list[VisitEvent]) -> None:
    """Write the events as resolve does: a conditional put keyed by the request id."""
    for event in events:
        client.put_item(
            TableName=table,
            Item=event.to_item(),
            ConditionExpression="attribute_not_exists(#id)",
            ExpressionAttributeNames={"#id": "id"},
        )
