"""HTTP plumbing shared by the SOAP and REST clients: pooled sessions, the account's concurrency
slot around every request, and turning network failures into DestinationErrors.

Sessions are cached per process (a forked worker must not reuse its parent's sockets) and keyed by
host and pool size, so every adapter for one account shares warm connections.
"""

import email.utils
import functools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from destinations.adapters import DestinationError, PermanentError, TemporaryError
from destinations.concurrency import SlotTimeout, limiter_for

# NetSuite lets a request run for 15 minutes; a write of 200 records normally takes seconds.
DEFAULT_TIMEOUT = (10.0, 300.0)  # (connect, read) seconds
SLOT_TIMEOUT = 600.0  # how long a request waits for a free slot of the account before giving up
USER_AGENT = "syncapp-netsuite/1"


@dataclass(frozen=True)
class Endpoint:
    """Where and how to talk to one account: its base URL, concurrency limit and timeouts."""

    account_id: str
    base_url: str
    concurrency_limit: int
    timeout: tuple[float, float] = DEFAULT_TIMEOUT

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the account's concurrency slots (shared by all threads and processes)."""
        limiter = limiter_for(key=f"netsuite:{self.account_id}", limit=self.concurrency_limit)
        try:
            with limiter.slot(timeout=SLOT_TIMEOUT):
                yield
        except SlotTimeout as error:
            raise TemporaryError(
                f"No free request slot for NetSuite account {self.account_id} within {SLOT_TIMEOUT:.0f}s: "
                f"other syncs are using all {self.concurrency_limit} of its concurrent requests."
            ) from error

    def session(self) -> requests.Session:
        return _session(os.getpid(), self.base_url, self.concurrency_limit)


@functools.cache
def _session(pid: int, base_url: str, pool_size: int) -> requests.Session:
    session = requests.Session()
    # No automatic retries: a resent POST could write twice; retries are ours, with backoff.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 4), max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    # requests reads proxy and CA settings from the environment on every request, which costs more
    # CPU than the rest of a small request; read them once, here.
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if ca_bundle:
        session.verify = ca_bundle
    return session


def send(endpoint: Endpoint, method: str, url: str, **kwargs) -> requests.Response:
    """One HTTP request inside the account's slot; network failures become DestinationErrors."""
    with endpoint.slot():
        try:
            return endpoint.session().request(method, url, timeout=endpoint.timeout, **kwargs)
        except requests.RequestException as error:
            raise network_error(error, endpoint) from None


def network_error(error: requests.RequestException, endpoint: Endpoint) -> DestinationError:
    """A request that got no HTTP answer. Messages name the host, never headers or secrets."""
    host = endpoint.host
    if isinstance(error, requests.ConnectTimeout):
        return TemporaryError(f"Cannot reach NetSuite at {host}: the connection timed out.", code="TIMEOUT")
    if isinstance(error, requests.Timeout):
        return TemporaryError(
            f"NetSuite at {host} did not answer within {endpoint.timeout[1]:.0f}s.", code="TIMEOUT"
        )
    if isinstance(error, requests.exceptions.SSLError):
        return PermanentError(
            f"Cannot reach NetSuite at {host}: the TLS handshake failed ({_reason(error)})."
        )
    if isinstance(error, requests.ConnectionError) and _never_connected(error):
        return TemporaryError(
            f"Cannot reach NetSuite at {host} ({_reason(error)}). Check the account ID or base URL and "
            f"the network.",
            code="CANNOT_REACH",
        )
    if isinstance(error, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return TemporaryError(
            f"NetSuite at {host} closed the connection without a complete answer.", code="CONNECTION_CLOSED"
        )
    if isinstance(
        error,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
        ),
    ):
        return PermanentError(f"{endpoint.base_url!r} is not a usable NetSuite address. Check the base URL.")
    return TemporaryError(f"The request to NetSuite at {host} failed ({type(error).__name__}).")


def _never_connected(error: requests.ConnectionError) -> bool:
    text = repr(error.args[0]) if error.args else ""
    return any(
        marker in text
        for marker in ("NewConnectionError", "NameResolutionError", "Failed to resolve", "Connection refused")
    )


def _reason(error: Exception) -> str:
    text = str(error.args[0]) if error.args else type(error).__name__
    if "Connection refused" in text:
        return "connection refused"
    if "resolve" in text or "Name or service not known" in text:
        return "the host name does not resolve"
    return type(error).__name__


def retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds (a number of seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
