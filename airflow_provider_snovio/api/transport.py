"""The HTTP layer both clients share (httpx): how a connection pool is built, what a transport failure means.

The sync client (:class:`~.client.SnovioClient`, ``httpx.Client``) and the async one
(:class:`~.async_client.AsyncSnovioClient`, ``httpx.AsyncClient``) differ only in whether they await the
request. Everything else about the wire is said once here:

* :func:`client_options` and :func:`send_options`: the headers, pool size and TLS context of either kind of
  client, and each request's timeouts; redirects are never followed (they would carry the token elsewhere),
  so a 3xx reaches :func:`read_answer` and fails.
* :func:`transport_errors`: every httpx failure becomes a :class:`SnovioTransportError` whose ``sent`` says
  whether the request may have reached Snov.io, which decides if a credit-spending call may be resent
  (:mod:`retry`). Only a connection that was never made (refused, DNS, TLS handshake, connect or pool
  timeout) is "not sent"; a read timeout, a dropped connection or an unreadable body may follow a request
  Snov.io processed and charged.
* :func:`read_answer`: status, headers and body to JSON or the matching :class:`SnovioError`, secrets scrubbed.

httpx is imported on first use, never at module level: DAG files import the hook (and so this module) on
every parse, and stay fast (``tests/unit/test_hook.py`` checks that no HTTP library is loaded).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio import __version__
from airflow_provider_snovio.api.errors import SnovioError, SnovioTransportError
from airflow_provider_snovio.api.responses import parse_response, scrub_text

if TYPE_CHECKING:
    import ssl

    import httpx

log = logging.getLogger(__name__)

USER_AGENT = f"airflow-provider-snovio/{__version__}"
#: Idle connections kept per client (as the former requests adapter's pool_maxsize); concurrent requests
#: beyond it still go through, on connections closed after use.
KEEPALIVE_CONNECTIONS = 16
#: The longest wait for a TCP/TLS connection, whatever the (read) timeout: a host that does not accept
#: within it is not coming back soon, and a refused connection is safe to retry.
CONNECT_TIMEOUT_MAX = 10.0


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context every client of this process verifies with, built once.

    Building one reads and parses the CA bundle (about 50 ms of blocking work). Each trigger has its own
    client, so 200 deferred sensors starting together on a triggerer would otherwise stall its event loop
    for seconds (``make bench`` item 9 measured 3.3 s), delaying every other trigger's requests. Honours
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (httpx's ``trust_env``).
    """
    import httpx

    return httpx.create_ssl_context()


def client_options() -> dict[str, Any]:
    """Keyword arguments for ``httpx.Client`` or ``httpx.AsyncClient`` (timeouts go with each request)."""
    import httpx

    return {
        "verify": tls_context(),
        "headers": {"User-Agent": USER_AGENT, "Accept": "application/json"},
        "limits": httpx.Limits(max_connections=None, max_keepalive_connections=KEEPALIVE_CONNECTIONS),
        "follow_redirects": False,
    }


def new_client() -> httpx.Client:
    """A pooled sync client (see :func:`client_options`)."""
    import httpx

    return httpx.Client(**client_options())


def new_async_client() -> httpx.AsyncClient:
    """A pooled async client (see :func:`client_options`)."""
    import httpx

    return httpx.AsyncClient(**client_options())


def request_timeout(seconds: float) -> httpx.Timeout:
    """``seconds`` to wait for each read (and write, and a pooled connection); the connection itself gets at
    most :data:`CONNECT_TIMEOUT_MAX`."""
    import httpx

    return httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT_MAX, seconds))


def send_options(kwargs: dict[str, Any], timeout: httpx.Timeout) -> dict[str, Any]:
    """``request_kwargs`` as httpx takes them, with ``timeout`` (from :func:`request_timeout`), set on every
    request so that a client passed in by the caller keeps the connection's timeouts too. A form given as
    pairs becomes a mapping (repeated keys such as ``emails[]`` become lists, sent as repeated fields in the
    same order); redirects are not followed even by a client built to follow them."""
    options = {**kwargs, "timeout": timeout, "follow_redirects": False}
    if "data" in options:
        options["data"] = as_mapping(options["data"])
    return options


def as_mapping(pairs: list[tuple[str, str]] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(pairs, dict):
        return pairs
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            existing = mapping[key]
            mapping[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            mapping[key] = value
    return mapping


@contextlib.contextmanager
def transport_errors(where: str, timeout: float) -> Iterator[None]:
    """Turn any httpx failure inside the block into a :class:`SnovioTransportError` (for sync or async code:
    ``with transport_errors(...): response = await client.request(...)``). Its text is ours, never the
    library's, which may quote a URL or a header."""
    import httpx

    try:
        yield
    except (httpx.HTTPError, httpx.StreamError) as error:
        raise transport_error(error, where, timeout) from None


def transport_error(error: Exception, where: str, timeout: float) -> SnovioTransportError:
    """The :class:`SnovioTransportError` that ``error``, raised by httpx while sending to ``where``, means."""
    import httpx

    name = type(error).__name__
    if isinstance(error, httpx.ConnectTimeout):
        return SnovioTransportError("connect timeout", sent=False, endpoint=where)
    if isinstance(error, httpx.PoolTimeout):
        return SnovioTransportError("no free connection in the pool", sent=False, endpoint=where)
    if isinstance(error, httpx.ConnectError | httpx.UnsupportedProtocol):
        reason = "connection refused" if _refused(error) else f"not connected ({name})"
        return SnovioTransportError(reason, sent=False, endpoint=where)
    if isinstance(error, httpx.TimeoutException):  # read or write timeout: the request may be processed
        return SnovioTransportError(f"no answer within {timeout:g} s", sent=True, endpoint=where)
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError | httpx.CloseError):
        return SnovioTransportError(f"connection dropped ({name})", sent=True, endpoint=where)
    # DecodingError (a corrupt gzip body), TooManyRedirects, StreamError, ...: sent, answer unreadable
    return SnovioTransportError(f"{name} while reading the answer", sent=True, endpoint=where)


def _refused(error: BaseException) -> bool:
    """Whether the server refused the TCP connection (``ConnectionRefusedError`` anywhere in the chain)."""
    seen: BaseException | None = error
    for _ in range(8):  # httpx -> httpcore -> OSError; bounded in case of a cycle
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError) or "connection refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def read_answer(response: httpx.Response, where: str, secrets: set[str]) -> Any:
    """The parsed JSON of ``response``, or the matching :class:`SnovioError` with ``secrets`` scrubbed."""
    try:
        return parse_response(response.status_code, response.headers, response.content, where, secrets)
    except SnovioError as error:
        raise scrub(error, secrets) from None


def scrub(error: SnovioError, secrets: set[str]) -> SnovioError:
    """Remove any secret from an error's text (a second net: :func:`parse_response` scrubs first)."""
    detail = scrub_text(error.detail, secrets)
    if detail != error.detail:
        error.detail = detail
        error.args = (error._format(),)
    return error
