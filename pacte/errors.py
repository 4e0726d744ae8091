"""Domain errors raised by services and turned into messages (pages) or JSON (API)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext as _


class DomainError(Exception):
    """A refused change: ``code`` is stable (API clients match on it), ``message`` is for people.

    ``field`` names the input at fault when there is one; ``details`` carries structured data
    (for example the line numbers of a bad import).
    """

    status = 400

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str = "invalid",
        field: str | None = None,
        details: object = None,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.field = field
        self.details = details


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message: str | Promise, *, code: str = "forbidden") -> None:
        super().__init__(message, code=code)


class StaleVersion(DomainError):
    """The record changed since the client read it (HTTP 412)."""

    status = 412

    def __init__(self, message: str | Promise, *, code: str = "stale_version") -> None:
        super().__init__(message, code=code)


def check_version(obj: object, version: int | None) -> None:
    """Refuse a stale write: ``version`` is what the client read; ``obj.version`` moved on since.

    ``None`` means the client did not say (scripts that accept last-write-wins)."""
    if version is not None and version != getattr(obj, "version", None):
        raise StaleVersion(
            _("“%(name)s” was changed by someone else since you opened it. Reload and try again.")
            % {"name": obj}
        )
