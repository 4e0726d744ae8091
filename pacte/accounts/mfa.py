"""Second factors for password sign-ins: authenticator apps (TOTP), passkeys (WebAuthn) and
recovery codes.

Libraries, and why: **pyotp** (RFC 6238 codes), **webauthn** (Duo's py_webauthn: WebAuthn
registration and assertion checks), **segno** (the QR code, rendered here as SVG — no CDN,
no image service). django-allauth's ``allauth.mfa`` does the same with the same kinds of
libraries, but only inside ``allauth.account``'s login flow, which would replace our login
view (its throttling before the password check, the single sign-on offer, the break-glass
audit) and bring pages we do not offer (sign-up, e-mail management).

Single sign-on sign-ins do not ask for a second factor here: the company's identity provider
owns that step.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

import pyotp
import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte import encryption
from pacte.accounts.models import FactorKind, Membership, SecondFactor, SignInSettings, User
from pacte.errors import DomainError

ISSUER = "Pacte"
RECOVERY_CODES = 10
TOTP_PENDING = "pacte_totp_pending"
PASSKEY_CHALLENGE = "pacte_passkey_challenge"


def has_second_factor(user: User) -> bool:
    return SecondFactor.objects.filter(
        user=user, kind__in=[FactorKind.TOTP, FactorKind.PASSKEY]
    ).exists()


def factors(user: User) -> list[SecondFactor]:
    return list(SecondFactor.objects.filter(user=user).order_by("kind", "created_at"))


def second_factor_required(member: Membership) -> bool:
    """The workspace requires two factors of its admins and executives, and this is one."""
    if not member.sees_everything:
        return False
    return (
        SignInSettings.objects.for_workspace(member.workspace_id)
        .filter(mfa_required_for_admins=True)
        .exists()
    )


def _audit(user: User, action: str, factor: SecondFactor) -> None:
    from pacte.audit.services import record

    # Not in workspaces the person has not joined yet (a pending invitation): nothing of
    # their account shows there.
    for member in Membership.objects.filter(user=user, is_pending=False).select_related(
        "workspace"
    ):
        record(
            workspace=member.workspace,
            actor=member,
            action=action,
            object_type="secondfactor",
            object_id=str(factor.uuid),
            object_repr=f"{factor.get_kind_display()} {factor.name}".strip(),
        )


# Authenticator apps -----------------------------------------------------------------------


def totp_begin(request: HttpRequest, user: User) -> tuple[str, str]:
    """A new secret kept in the session until confirmed: (secret, QR code as inline SVG)."""
    secret = request.session.get(TOTP_PENDING) or pyotp.random_base32()
    request.session[TOTP_PENDING] = secret
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    return secret, str(svg)


def _clean_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


@transaction.atomic
def totp_confirm(request: HttpRequest, user: User, code: str, name: str = "") -> list[str]:
    """Adds the pending authenticator app when ``code`` is right; returns new recovery codes
    when the person had none."""
    secret = request.session.get(TOTP_PENDING)
    if not secret:
        raise DomainError(_("Start again: scan the new code."), code="expired", field="code")
    totp = pyotp.TOTP(secret)
    code = _clean_code(code)
    if not totp.verify(code, valid_window=1):
        raise DomainError(
            _("This code is not the one your app shows. Check the time of your phone."),
            code="invalid_code",
            field="code",
        )
    factor = SecondFactor.objects.create(
        user=user,
        kind=FactorKind.TOTP,
        name=(name or _("Authenticator app"))[:100],
        secret_encrypted=encryption.encrypt(secret),
        last_step=int(time.time()) // 30,
    )
    del request.session[TOTP_PENDING]
    _audit(user, "mfa.added", factor)
    if not SecondFactor.objects.filter(user=user, kind=FactorKind.RECOVERY).exists():
        return new_recovery_codes(user)
    return []


def _verify_totp(user: User, code: str) -> SecondFactor | None:
    code = _clean_code(code)
    if not code.isdigit() or len(code) != 6:
        return None
    now_step = int(time.time()) // 30
    for factor in SecondFactor.objects.select_for_update().filter(user=user, kind=FactorKind.TOTP):
        totp = pyotp.TOTP(encryption.decrypt(factor.secret_encrypted))
        for step in (now_step - 1, now_step, now_step + 1):
            # A code is accepted once: a step at or before the last one used is a replay.
            if step > factor.last_step and secrets.compare_digest(totp.at(step * 30), code):
                factor.last_step = step
                factor.last_used_at = timezone.now()
                factor.save(update_fields=["last_step", "last_used_at"])
                return factor
    return None


# Recovery codes ----------------------------------------------------------------------------


def _hash(code: str) -> str:
    return hashlib.sha256(_clean_code(code).encode()).hexdigest()


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Ten new single-use codes (the old ones stop working); shown once, stored hashed."""
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    SecondFactor.objects.filter(user=user, kind=FactorKind.RECOVERY).delete()
    factor = SecondFactor.objects.create(
        user=user,
        kind=FactorKind.RECOVERY,
        name=_("Recovery codes"),
        code_hashes=[_hash(c) for c in codes],
    )
    _audit(user, "mfa.recovery_codes_created", factor)
    return codes


def _use_recovery_code(user: User, code: str) -> SecondFactor | None:
    digest = _hash(code)
    for factor in SecondFactor.objects.select_for_update().filter(
        user=user, kind=FactorKind.RECOVERY
    ):
        if digest in factor.code_hashes:
            factor.code_hashes = [h for h in factor.code_hashes if h != digest]
            factor.last_used_at = timezone.now()
            factor.save(update_fields=["code_hashes", "last_used_at"])
            _audit(user, "mfa.recovery_code_used", factor)
            return factor
    return None


@transaction.atomic
def verify_code(user: User, code: str) -> bool:
    """A code from an authenticator app, or an unused recovery code."""
    return bool(_verify_totp(user, code) or _use_recovery_code(user, code))


@transaction.atomic
def remove_factor(*, user: User, factor: SecondFactor, actor: Membership | None) -> None:
    if factor.user_id != user.pk:
        raise DomainError(_("Not found."), code="not_found")
    _audit(user, "mfa.removed", factor)
    factor.delete()
    if not has_second_factor(user):
        SecondFactor.objects.filter(user=user, kind=FactorKind.RECOVERY).delete()


# Passkeys (WebAuthn) -----------------------------------------------------------------------


def _rp(request: HttpRequest) -> tuple[str, str]:
    """Relying party id (the host name) and the expected origin of this request."""
    host = request.get_host()
    return host.rsplit(":", 1)[0] if not host.startswith("[") else host, (
        f"{request.scheme}://{host}"
    )


def passkey_registration_options(request: HttpRequest, user: User) -> str:
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    rp_id, _origin = _rp(request)
    existing = SecondFactor.objects.filter(user=user, kind=FactorKind.PASSKEY)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=ISSUER,
        user_id=user.uuid.bytes,
        user_name=user.email,
        user_display_name=user.name or user.email,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(f.credential_id)) for f in existing
        ],
    )
    request.session[PASSKEY_CHALLENGE] = options.challenge.hex()
    return str(options_to_json(options))


@transaction.atomic
def passkey_register(
    request: HttpRequest, user: User, credential: str, name: str = ""
) -> list[str]:
    from webauthn import verify_registration_response
    from webauthn.helpers import bytes_to_base64url

    challenge = request.session.pop(PASSKEY_CHALLENGE, None)
    if not challenge:
        raise DomainError(_("Start again: the passkey request expired."), code="expired")
    rp_id, origin = _rp(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=bytes.fromhex(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except Exception:
        raise DomainError(
            _("The passkey could not be checked. Try again."), code="invalid_passkey"
        ) from None
    factor = SecondFactor.objects.create(
        user=user,
        kind=FactorKind.PASSKEY,
        name=(name or _("Passkey"))[:100],
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
    )
    _audit(user, "mfa.added", factor)
    if not SecondFactor.objects.filter(user=user, kind=FactorKind.RECOVERY).exists():
        return new_recovery_codes(user)
    return []


def passkey_authentication_options(request: HttpRequest, user: User | None) -> str:
    """For a known person (second step) their passkeys; else any passkey of this site
    (discoverable credentials: sign-in without a password)."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

    rp_id, _origin = _rp(request)
    allow = []
    if user is not None:
        allow = [
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(f.credential_id))
            for f in SecondFactor.objects.filter(user=user, kind=FactorKind.PASSKEY)
        ]
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.PREFERRED
        if user is not None
        else UserVerificationRequirement.REQUIRED,
    )
    request.session[PASSKEY_CHALLENGE] = options.challenge.hex()
    return str(options_to_json(options))


@transaction.atomic
def passkey_authenticate(request: HttpRequest, credential: str, user: User | None) -> User:
    """The person whose passkey signed the challenge (``user`` when already known)."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes

    challenge = request.session.pop(PASSKEY_CHALLENGE, None)
    refused = DomainError(_("This passkey was not accepted."), code="invalid_passkey")
    if not challenge:
        raise refused
    try:
        credential_id = str(json.loads(credential)["id"])
    except (ValueError, KeyError, TypeError):
        raise refused from None
    factors = (
        SecondFactor.objects.select_for_update()
        .select_related("user")
        .filter(kind=FactorKind.PASSKEY, credential_id=credential_id)
    )
    if user is not None:
        factors = factors.filter(user=user)
    factor = factors.first()
    if factor is None or not factor.user.is_active:
        raise refused
    rp_id, origin = _rp(request)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=bytes.fromhex(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(factor.public_key),
            credential_current_sign_count=factor.sign_count,
            require_user_verification=user is None,
        )
    except Exception:
        raise refused from None
    factor.sign_count = verified.new_sign_count
    factor.last_used_at = timezone.now()
    factor.save(update_fields=["sign_count", "last_used_at"])
    return factor.user


def as_json(data: Any) -> str:
    return json.dumps(data)
