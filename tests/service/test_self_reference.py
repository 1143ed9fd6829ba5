"""A link may not point at Snip itself, in any spelling of its hosts: such links redirect in a loop.

Requests come in on a custom domain (the execute-api host still answers behind it) and on the
local stack's loopback address, where only the stack's own port is Snip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.service.conftest import LambdaContext, new_instance
from tests.service.lambda_events import API_DOMAIN, API_REGION, Reply, rest_event, to_reply

Send = Callable[..., Reply]


@pytest.fixture
def send(handlers: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Send]:
    """send(base_url)(method, path, domain=..., body=...): a request to a stack served at base_url."""
    monkeypatch.setenv("AWS_REGION", API_REGION)

    def at(base_url: str) -> Send:
        monkeypatch.setenv("SNIP_PUBLIC_BASE_URL", base_url)
        new_instance()

        def _send(method: str, path: str, **kwargs: Any) -> Reply:
            function, event = rest_event(method, path, **kwargs)
            return to_reply(handlers[function](event, LambdaContext()))

        return _send

    return at


def create_and_patch(send: Send, url: str, domain: str) -> tuple[Reply, Reply]:
    """The answers to creating a link to ``url`` and to changing a link's url to it."""
    # The local stack's gateway speaks plain HTTP and says so, as API Gateway does over HTTPS.
    scheme = "http" if domain.startswith(("127.", "localhost")) else "https"
    request = {"domain": domain, "headers": {"X-Forwarded-Proto": scheme}}
    created = send("POST", "/links", body={"url": url}, **request)
    plain = send("POST", "/links", body={"url": "https://example.com/"}, **request)
    assert plain.status == 201, plain.body
    patched = send("PATCH", f"/links/{plain.json['key']}", body={"url": url}, **request)
    return created, patched


def assert_refused(replies: tuple[Reply, Reply]) -> None:
    for reply in replies:
        assert (reply.status, reply.error_code) == (400, "invalid_url"), reply.body


def assert_accepted(replies: tuple[Reply, Reply]) -> None:
    created, patched = replies
    assert created.status == 201, created.body
    assert patched.status == 200, patched.body


CUSTOM_DOMAIN = "sho.rt"


@pytest.mark.parametrize(
    "url",
    [
        "https://sho.rt/X",
        "https://SHO.RT./X",
        "https://sho.rt\u3002/X",  # ideographic full stop
        "https://sho.rt\uff0e/X",  # full-width full stop
        "https://sho.rt\uff61/X",  # half-width ideographic full stop
        "https://\uff53\uff48\uff4f.rt/X",  # full-width letters
        "http://sho.rt:8443/X",
        f"https://{API_DOMAIN}/prod/X",
        f"https://{API_DOMAIN}/X",
        f"https://{API_DOMAIN.upper()}./prod/X",
    ],
)
def test_custom_domain_refuses_its_own_hosts(send: Callable[[str], Send], url: str) -> None:
    assert_refused(create_and_patch(send(f"https://{CUSTOM_DOMAIN}"), url, CUSTOM_DOMAIN))


@pytest.mark.parametrize(
    "url",
    [
        "https://sho.rt.example/X",
        "https://xsho.rt/X",
        f"https://other1.execute-api.{API_REGION}.amazonaws.com/prod/X",
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/X",
    ],
)
def test_custom_domain_accepts_other_hosts(send: Callable[[str], Send], url: str) -> None:
    assert_accepted(create_and_patch(send(f"https://{CUSTOM_DOMAIN}"), url, CUSTOM_DOMAIN))


LOCAL = "127.0.0.1:8080"  # the local stack's base URL and the Host its gateway passes on


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/X",
        "http://localhost.:8080/X",
        "http://LOCALHOST:8080/X",
        "https://localhost:8080/X",
        "http://127.0.0.1:8080/X",
        "http://127.1:8080/X",
        "http://2130706433:8080/X",
        "http://0x7f.0.0.1:8080/X",
        "http://0177.0.0.1:8080/X",
        "http://127.9.8.7:8080/X",
        "http://[::1]:8080/X",
        "http://[::ffff:127.0.0.1]:8080/X",
        "http://api.localhost:8080/X",
        "http://0.0.0.0:8080/X",
    ],
)
def test_local_stack_refuses_every_spelling_of_itself(send: Callable[[str], Send], url: str) -> None:
    assert_refused(create_and_patch(send(f"http://{LOCAL}"), url, LOCAL))


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:9000/X",
        "http://127.0.0.1:8081/X",
        "http://127.1/X",
        "http://[::1]:3000/X",
        "https://example.com:8080/X",
    ],
)
def test_local_stack_accepts_other_servers_on_the_machine(send: Callable[[str], Send], url: str) -> None:
    assert_accepted(create_and_patch(send(f"http://{LOCAL}"), url, LOCAL))


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1/X", True),
        ("http://127.0.0.1:80/X", True),
        ("http://[::1]/X", True),
        ("https://localhost/X", False),  # port 443
        ("http://localhost:8080/X", False),
    ],
)
def test_a_missing_port_is_the_schemes_port(send: Callable[[str], Send], url: str, refused: bool) -> None:
    replies = create_and_patch(send("http://localhost"), url, "localhost")
    (assert_refused if refused else assert_accepted)(replies)
