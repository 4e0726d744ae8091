"""The one way connectors talk to the network: a ``requests.Session`` with timeouts, bounded
retries and errors said for an admin.

- 5xx answers and connection errors are retried with exponential backoff (``retries`` times,
  each wait at most ``max_backoff`` seconds);
- 429 honours ``Retry-After`` (seconds or an HTTP date) while the wait stays under
  ``max_retry_after`` and at most ``rate_limit_retries`` times, then ``ConnectorError("rate_limit")``;
- a timeout (after its retries) is ``ConnectorError("timeout")``;
- 401 is ``ConnectorError("auth")``, unless the caller passes ``refresh``: a callable that gets
  a new token and returns the headers to send instead; the request is then retried once;
- 403 is ``ConnectorError("auth")`` (the credentials lack a permission); other 4xx are
  ``ConnectorError("remote")`` with the status and where.

``sleep`` and ``now`` are injectable so that tests do not wait. Messages name the URL without
its query string (a token may sit there).
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.utils.translation import gettext as _

from pacte.sources.connectors.base import ConnectorError

USER_AGENT = "Pacte data source (+https://github.com/pacte)"


def where(url: str) -> str:
    """``url`` without its query string and fragment, for messages and logs."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or an HTTP date), ``None`` if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class Http:
    """A session with the retry, rate-limit and error rules above."""

    def __init__(
        self,
        *,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        rate_limit_retries: int = 3,
        max_retry_after: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        session: requests.Session | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.rate_limit_retries = rate_limit_retries
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.now = now
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        if headers:
            self.session.headers.update(headers)
        #: Requests sent (attempts included), for the status page and tests.
        self.requests_sent = 0

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        refresh: Callable[[], Mapping[str, str]] | None = None,
        ok_statuses: tuple[int, ...] = (),
    ) -> requests.Response:
        """Send, retrying as described above; return a 2xx response (or one whose status is in
        ``ok_statuses``), or raise ``ConnectorError``."""
        send_headers = dict(headers or {})
        failures = 0
        limited = 0
        refreshed = False
        while True:
            self.requests_sent += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    headers=send_headers,
                    json=json,
                    data=data,
                    timeout=self.timeout,
                )
            except requests.Timeout:
                failures += 1
                if failures > self.retries:
                    raise ConnectorError(
                        "timeout",
                        _("%(where)s did not answer in time (after %(n)s attempts).")
                        % {"where": where(url), "n": failures},
                    ) from None
                self._wait(failures)
                continue
            except requests.RequestException as exc:
                failures += 1
                if failures > self.retries:
                    raise ConnectorError(
                        "remote",
                        _("%(where)s cannot be reached (after %(n)s attempts): %(error)s")
                        % {"where": where(url), "n": failures, "error": type(exc).__name__},
                    ) from None
                self._wait(failures)
                continue

            status = response.status_code
            if 200 <= status < 300 or status in ok_statuses:
                return response
            if status == 401:
                if refresh is not None and not refreshed:
                    refreshed = True
                    send_headers.update(refresh())
                    continue
                raise ConnectorError(
                    "auth",
                    _(
                        "%(where)s refused the credentials (HTTP 401): they are wrong, expired "
                        "or revoked."
                    )
                    % {"where": where(url)},
                )
            if status == 403:
                raise ConnectorError(
                    "auth",
                    _("%(where)s refused access (HTTP 403): the credentials lack a permission.")
                    % {"where": where(url)},
                )
            if status == 429:
                limited += 1
                wait = retry_after_seconds(response.headers.get("Retry-After"), now=self.now())
                if wait is None:
                    wait = self._backoff(limited)
                if limited > self.rate_limit_retries or wait > self.max_retry_after:
                    raise ConnectorError(
                        "rate_limit",
                        _(
                            "%(where)s is rate limiting Pacte (HTTP 429); the sync will be "
                            "tried again later."
                        )
                        % {"where": where(url)},
                    )
                self.sleep(wait)
                continue
            if status >= 500:
                failures += 1
                if failures > self.retries:
                    raise ConnectorError(
                        "remote",
                        _("%(where)s failed (HTTP %(status)s, after %(n)s attempts).")
                        % {"where": where(url), "status": status, "n": failures},
                    )
                self._wait(failures)
                continue
            raise ConnectorError(
                "remote",
                _("%(where)s answered HTTP %(status)s: %(detail)s")
                % {"where": where(url), "status": status, "detail": response.text[:200]},
            )

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        return self.json_of(self.get(url, **kwargs))

    def post_json(self, url: str, **kwargs: Any) -> Any:
        return self.json_of(self.post(url, **kwargs))

    @staticmethod
    def json_of(response: requests.Response) -> Any:
        """The decoded body (decimals kept as their text: an amount never becomes a float); a
        body that is not JSON is a "remote" error saying where."""
        try:
            return json.loads(response.content, parse_float=str)
        except ValueError:
            raise ConnectorError(
                "remote",
                _("%(where)s did not answer JSON (content type %(type)s).")
                % {
                    "where": where(response.url or ""),
                    "type": response.headers.get("Content-Type", "?"),
                },
            ) from None

    # ----------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * (2 ** (attempt - 1))))

    def _wait(self, attempt: int) -> None:
        self.sleep(self._backoff(attempt))
