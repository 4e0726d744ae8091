"""Login throttling holds under concurrency, is keyed by account and address, grows, and is
audited; forwarded headers are believed only from trusted proxies."""

from __future__ import annotations

import datetime
import re
import threading
from typing import Any

import pytest
import requests
from django.test import Client, override_settings
from django.utils import timezone

from pacte.accounts import throttle
from pacte.accounts.models import LoginThrottle
from pacte.audit.models import AuditEvent
from pacte.testing.cast import PASSWORD, Cast, build_cast

WRONG = "not-the-password"
LOCKED = "Too many failed attempts"


def _post(client: Client, email: str, password: str, **extra: Any) -> str:
    response = client.post("/account/login/", {"username": email, "password": password}, **extra)
    return response.content.decode() if response.status_code == 200 else "signed-in"


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_wrong_passwords_get_at_most_the_limit_through(live_server: Any) -> None:
    """The race of the old throttle: the count was read before the failure was saved, so 20
    parallel guesses got 11 password checks through a limit of 5."""
    build_cast()
    url = f"{live_server.url}/account/login/"
    sessions = []
    for _ in range(20):
        session = requests.Session()
        page = session.get(url, timeout=30).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        sessions.append((session, token))
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def guess(session: requests.Session, token: str) -> None:
        barrier.wait()
        body = session.post(
            url,
            data={
                "username": "seller@acme.example",
                "password": WRONG,
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": url},
            timeout=60,
        ).text
        outcomes.append("locked" if LOCKED in body else "checked")

    threads = [threading.Thread(target=guess, args=pair) for pair in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 20
    assert outcomes.count("checked") <= 5
    assert outcomes.count("checked") == 5  # and the limit itself is reached, not less
    # Once locked, even the right password is refused from this address.
    assert LOCKED in _post(Client(), "seller@acme.example", PASSWORD)


def test_correct_password_is_refused_after_five_failures_then_lock_grows(cast: Cast) -> None:
    client = Client()
    for _ in range(5):
        assert "correct e-mail" in _post(client, "seller@acme.example", WRONG).lower()
    page = _post(client, "seller@acme.example", PASSWORD)
    assert LOCKED in page
    assert "15 minutes" in page
    row = LoginThrottle.objects.get(scope="pair")
    assert row.lockouts == 1
    # After the wait, five more failures lock for twice as long.
    LoginThrottle.objects.update(locked_until=timezone.now() - datetime.timedelta(seconds=1))
    for _ in range(5):
        _post(client, "seller@acme.example", WRONG)
    assert "30 minutes" in _post(client, "seller@acme.example", WRONG)


def test_lockout_and_its_end_are_audited(cast: Cast) -> None:
    client = Client()
    for _ in range(6):
        _post(client, "seller@acme.example", WRONG)
    locked = AuditEvent.objects.for_workspace(cast.workspace).get(action="login.locked")
    assert locked.after["scope"] == "pair"
    assert locked.object_id == str(cast.seller.uuid)
    LoginThrottle.objects.update(locked_until=timezone.now() - datetime.timedelta(seconds=1))
    assert _post(client, "seller@acme.example", PASSWORD) == "signed-in"
    ended = AuditEvent.objects.for_workspace(cast.workspace).get(
        action="login.lock_ended", after__scope="pair"
    )
    assert ended.object_id == str(cast.seller.uuid)


def test_someone_guessing_elsewhere_does_not_lock_the_owner_out(cast: Cast) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(8):
        _post(attacker, "seller@acme.example", WRONG)
    assert LOCKED in _post(attacker, "seller@acme.example", PASSWORD)
    owner = Client(REMOTE_ADDR="198.51.100.20")
    assert _post(owner, "seller@acme.example", PASSWORD) == "signed-in"


@override_settings(PACTE_LOGIN_MAX_FAILURES_PER_ACCOUNT=3, PACTE_LOGIN_MAX_FAILURES=10)
def test_distributed_guessing_locks_the_account_but_not_a_second_factor(cast: Cast) -> None:
    for n in range(4):
        _post(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), "seller@acme.example", WRONG)
    owner = Client(REMOTE_ADDR="198.51.100.20")
    assert LOCKED in _post(owner, "seller@acme.example", PASSWORD)
    # A second factor lifts the account-wide lock (the password alone opens nothing then).
    throttle.begin(email="seller@acme.example", address="198.51.100.21", second_factor=True)
    with pytest.raises(throttle.Throttled):
        throttle.begin(email="seller@acme.example", address="198.51.100.21")


def test_one_address_spraying_many_accounts_is_stopped(cast: Cast) -> None:
    with override_settings(PACTE_LOGIN_MAX_FAILURES_PER_ADDRESS=4):
        client = Client(REMOTE_ADDR="203.0.113.9")
        for n in range(4):
            _post(client, f"person{n}@acme.example", WRONG)
        assert LOCKED in _post(client, "seller@acme.example", PASSWORD)


def test_a_success_gives_its_attempt_back(cast: Cast) -> None:
    client = Client()
    for _ in range(4):
        _post(client, "seller@acme.example", WRONG)
    assert _post(client, "seller@acme.example", PASSWORD) == "signed-in"
    assert LoginThrottle.objects.get(scope="pair").failures == 4


def test_forwarded_for_is_ignored_from_an_untrusted_peer(cast: Cast) -> None:
    for n in range(6):
        _post(
            Client(REMOTE_ADDR="203.0.113.50"),
            "seller@acme.example",
            WRONG,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    # Every guess counted against the real peer, whatever it claimed.
    assert LOCKED in _post(Client(REMOTE_ADDR="203.0.113.50"), "seller@acme.example", PASSWORD)


@override_settings(PACTE_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_forwarded_for_is_believed_from_a_trusted_proxy(cast: Cast) -> None:
    from pacte import proxy

    proxy._trusted.cache_clear()
    try:
        for _ in range(6):
            _post(
                Client(REMOTE_ADDR="10.1.2.3"),
                "seller@acme.example",
                WRONG,
                HTTP_X_FORWARDED_FOR="203.0.113.66, 10.9.9.9",
            )
        # Another client behind the same proxy is not locked out.
        page = _post(
            Client(REMOTE_ADDR="10.1.2.3"),
            "seller@acme.example",
            PASSWORD,
            HTTP_X_FORWARDED_FOR="198.51.100.77",
        )
        assert page == "signed-in"
        response = Client(REMOTE_ADDR="10.1.2.3").get(
            "/account/login/", HTTP_X_FORWARDED_PROTO="https"
        )
        assert response.wsgi_request.is_secure()
    finally:
        proxy._trusted.cache_clear()


def test_forwarded_proto_is_ignored_from_an_untrusted_peer(db: None) -> None:
    response = Client(REMOTE_ADDR="203.0.113.5").get(
        "/account/login/", HTTP_X_FORWARDED_PROTO="https"
    )
    assert not response.wsgi_request.is_secure()
    assert "HTTP_X_FORWARDED_PROTO" not in response.wsgi_request.META


def test_client_address_takes_the_rightmost_untrusted_hop() -> None:
    from pacte.proxy import client_address, parse_networks

    nets = parse_networks(["10.0.0.0/8", "192.0.2.1"])
    assert client_address("10.0.0.1", "1.1.1.1, 203.0.113.4, 192.0.2.1", nets) == "203.0.113.4"
    assert client_address("198.51.100.1", "1.1.1.1", nets) == "198.51.100.1"
    assert client_address("10.0.0.1", "garbage", nets) == "10.0.0.1"
