"""Second factors: authenticator app enrolment and sign-in, recovery codes, the workspace's
requirement for admins and executives, and the account lock a second factor lifts."""

from __future__ import annotations

import re
import time

import pyotp
from django.test import Client, override_settings

from pacte.accounts import signin
from pacte.accounts.models import SecondFactor
from pacte.audit.models import AuditEvent
from pacte.testing.cast import PASSWORD, Cast


def _password(client: Client, email: str = "seller@acme.example", **extra: str) -> object:
    return client.post("/account/login/", {"username": email, "password": PASSWORD}, **extra)


def _enrol(client: Client) -> tuple[str, list[str]]:
    page = client.get("/account/2fa/").content.decode()
    assert "<svg" in page  # the QR code, drawn here
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post("/account/2fa/", {"action": "totp", "code": "000000"})
    assert wrong.status_code == 400
    response = client.post(
        "/account/2fa/", {"action": "totp", "code": pyotp.TOTP(secret).now(), "name": "Phone"}
    )
    assert response.status_code == 302
    page = client.get("/account/2fa/").content.decode()
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", page)
    assert len(codes) == 10
    assert codes[0] not in client.get("/account/2fa/").content.decode()  # shown once
    return secret, codes


def test_authenticator_app_is_then_asked_at_each_password_sign_in(cast: Cast, login) -> None:
    secret, _codes = _enrol(login(cast.seller))
    factor = SecondFactor.objects.get(user=cast.seller.user, kind="totp")
    assert secret not in factor.secret_encrypted
    assert AuditEvent.objects.filter(action="mfa.added", actor=cast.seller).exists()
    client = Client()
    response = _password(client)
    assert response["Location"] == "/account/login/verify/"
    assert client.get("/").status_code == 302  # the password alone opened nothing
    factor.last_step = 0
    factor.save()
    code = pyotp.TOTP(secret).now()
    assert client.post("/account/login/verify/", {"code": "123456"}).status_code == 400
    assert client.post("/account/login/verify/", {"code": code})["Location"] == "/"
    assert client.get("/").status_code == 200
    # The same code cannot be used again, even within its 30 seconds.
    again = Client()
    _password(again)
    assert again.post("/account/login/verify/", {"code": code}).status_code == 400


def test_recovery_code_works_once(cast: Cast, login) -> None:
    _secret, codes = _enrol(login(cast.seller))
    client = Client()
    _password(client)
    assert client.post("/account/login/verify/", {"code": codes[3].upper()})["Location"] == "/"
    other = Client()
    _password(other)
    assert other.post("/account/login/verify/", {"code": codes[3]}).status_code == 400
    assert AuditEvent.objects.filter(action="mfa.recovery_code_used").count() == 1


def test_guessing_the_second_factor_is_throttled(cast: Cast, login) -> None:
    _enrol(login(cast.seller))
    client = Client()
    _password(client)
    for _ in range(5):
        client.post("/account/login/verify/", {"code": "000000"})
    page = client.post("/account/login/verify/", {"code": "000000"}).content.decode()
    assert "Too many failed attempts" in page


def test_workspace_requires_a_second_factor_of_admins(cast: Cast) -> None:
    signin.update_sign_in_settings(
        workspace=cast.workspace, actor=cast.admin, mfa_required_for_admins=True
    )
    admin = Client()
    _password(admin, "admin@acme.example")
    response = admin.get("/teams/")
    assert response["Location"] == "/account/2fa/"
    assert admin.get("/account/2fa/").status_code == 200
    seller = Client()
    _password(seller)
    assert seller.get("/teams/").status_code == 200  # sellers are not concerned
    _enrol(admin)
    assert admin.get("/teams/").status_code == 200


@override_settings(PACTE_LOGIN_MAX_FAILURES_PER_ACCOUNT=3, PACTE_LOGIN_MAX_FAILURES=10)
def test_account_locked_by_distributed_guessing_still_signs_in_with_a_second_factor(
    cast: Cast, login
) -> None:
    secret, _codes = _enrol(login(cast.seller))
    for n in range(4):
        Client(REMOTE_ADDR=f"203.0.113.{n + 1}").post(
            "/account/login/", {"username": "seller@acme.example", "password": "wrong"}
        )
    owner = Client(REMOTE_ADDR="198.51.100.20")
    response = _password(owner)
    assert response["Location"] == "/account/login/verify/"
    SecondFactor.objects.filter(kind="totp").update(last_step=int(time.time()) // 30 - 5)
    verify = owner.post("/account/login/verify/", {"code": pyotp.TOTP(secret).now()})
    assert verify["Location"] == "/"


def test_removing_the_last_factor_drops_the_recovery_codes(cast: Cast, login) -> None:
    client = login(cast.seller)
    _enrol(client)
    factor = SecondFactor.objects.get(kind="totp")
    client.post("/account/2fa/", {"action": "remove", "factor": str(factor.uuid)})
    assert not SecondFactor.objects.filter(user=cast.seller.user).exists()
    assert AuditEvent.objects.filter(action="mfa.removed").exists()
