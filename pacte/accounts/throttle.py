"""Password login throttling that holds under concurrency.

Every password attempt first *consumes* one attempt from three counters, in one transaction
that locks their rows (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
serialises writers), and only then is the password checked. Twenty parallel guesses against a
limit of five therefore get exactly five password checks. A correct password gives its attempt
back (the counters are not reset, so an attacker cannot interleave their own good logins).

The counters:

- ``pair`` — this e-mail from this client address (``PACTE_LOGIN_MAX_FAILURES``): the usual
  limit; someone guessing from elsewhere does not lock the owner out;
- ``address`` — any e-mail from this address (``PACTE_LOGIN_MAX_FAILURES_PER_ADDRESS``):
  stops one client spraying many accounts;
- ``account`` — this e-mail from any address (``PACTE_LOGIN_MAX_FAILURES_PER_ACCOUNT``):
  stops a distributed guess. A person whose account is locked this way still signs in
  through their company's single sign-on, with a passkey, or — when they have a second
  factor — with their password followed by that factor.

Past a limit the counter is locked for ``PACTE_LOGIN_LOCKOUT_MINUTES``, doubled at each new
lockout of the same counter (capped at a day): growing delays. Lockouts of an account and
their end are audit events in the person's workspaces.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pacte.accounts.models import LoginThrottle, Membership

logger = logging.getLogger("pacte.login")

PAIR, ADDRESS, ACCOUNT = "pair", "address", "account"
MAX_LOCK = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Throttled(Exception):
    """Refused before the password was looked at."""

    until: datetime.datetime
    scope: str

    @property
    def minutes(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds() / 60))


@dataclass(frozen=True)
class Attempt:
    """A consumed attempt: ``succeeded()`` gives it back."""

    email: str
    address: str
    keys: tuple[tuple[str, str], ...]

    def succeeded(self) -> None:
        with transaction.atomic():
            for scope, key in self.keys:
                rows = LoginThrottle.objects.filter(scope=scope, key=key)
                rows.filter(failures__gt=0).update(failures=F("failures") - 1)
                if scope != ADDRESS:
                    rows.update(lockouts=0)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _limits() -> dict[str, int]:
    return {
        PAIR: settings.PACTE_LOGIN_MAX_FAILURES,
        ADDRESS: settings.PACTE_LOGIN_MAX_FAILURES_PER_ADDRESS,
        ACCOUNT: settings.PACTE_LOGIN_MAX_FAILURES_PER_ACCOUNT,
    }


def lock_duration(lockouts: int) -> datetime.timedelta:
    """The wait after the ``lockouts``-th earlier lockout of a counter: base × 2^n, capped."""
    base = datetime.timedelta(minutes=settings.PACTE_LOGIN_LOCKOUT_MINUTES)
    return min(base * (2 ** min(lockouts, 16)), MAX_LOCK)


def begin(*, email: str, address: str, second_factor: bool = False) -> Attempt:
    """Consume one attempt for ``email`` from ``address``, or raise ``Throttled``.

    ``second_factor``: the account has one, so a lock of the ``account`` counter (someone
    guessing from many addresses) does not stop it — the password alone opens nothing.
    """
    email = email.strip().lower()
    keys = ((PAIR, _digest(email, address)), (ADDRESS, _digest(address)), (ACCOUNT, _digest(email)))
    limits = _limits()
    now = timezone.now()
    window = datetime.timedelta(minutes=settings.PACTE_LOGIN_LOCKOUT_MINUTES)
    ended: list[tuple[str, datetime.datetime]] = []
    locked: list[tuple[str, datetime.datetime]] = []
    refusal: Throttled | None = None
    with transaction.atomic():
        rows = []
        for scope, key in keys:
            row, _created = LoginThrottle.objects.select_for_update().get_or_create(
                scope=scope, key=key, defaults={"window_started": now}
            )
            rows.append(row)
        for row in rows:
            if row.locked_until is not None and row.locked_until <= now:
                ended.append((row.scope, row.locked_until))
                row.locked_until = None
                row.failures = 0
                row.window_started = now
            elif row.locked_until is None and now - row.window_started > window:
                row.failures = 0
                row.window_started = now
        for row in rows:
            if row.locked_until is not None and not (row.scope == ACCOUNT and second_factor):
                refusal = refusal or Throttled(until=row.locked_until, scope=row.scope)
        if refusal is None:
            for row in rows:
                row.failures += 1
                if row.failures > limits[row.scope]:
                    row.locked_until = now + lock_duration(row.lockouts)
                    row.lockouts += 1
                    row.failures = 0
                    locked.append((row.scope, row.locked_until))
                    if not (row.scope == ACCOUNT and second_factor):
                        refusal = refusal or Throttled(until=row.locked_until, scope=row.scope)
        for row in rows:
            row.save()
        _audit(email=email, address=address, ended=ended, locked=locked)
    if refusal is not None:
        raise refusal
    return Attempt(email=email, address=address, keys=keys)


def _audit(
    *,
    email: str,
    address: str,
    ended: list[tuple[str, datetime.datetime]],
    locked: list[tuple[str, datetime.datetime]],
) -> None:
    """Lockouts touching an account, and their end, in each workspace the person belongs to."""
    from pacte.audit.services import record

    for scope, until in locked:
        logger.warning("login locked: scope=%s address=%s until=%s", scope, address, until)
    for scope, until in ended:
        logger.info("login lock ended: scope=%s address=%s at=%s", scope, address, until)
    events = [("login.locked", s, u) for s, u in locked if s != ADDRESS]
    events += [("login.lock_ended", s, u) for s, u in ended if s != ADDRESS]
    if not events:
        return
    members = Membership.objects.filter(user__email=email).select_related("workspace", "user")
    for member in members:
        for action, scope, until in events:
            record(
                workspace=member.workspace,
                actor=None,
                action=action,
                obj=member,
                after={"scope": scope, "address": address, "until": until},
            )
