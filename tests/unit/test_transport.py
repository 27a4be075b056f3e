"""api/transport.py: the one mapping of httpx failures both clients use, and the TLS context they share."""

from __future__ import annotations

import re
from pathlib import Path

import certifi
import httpx
import pytest

from airflow_provider_snovio.api import transport
from airflow_provider_snovio.api.errors import SnovioTransportError


def with_os_cause(error: httpx.HTTPError, cause: OSError) -> httpx.HTTPError:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "sent", "text"),
    [
        (with_os_cause(httpx.ConnectError("[Errno 111]"), ConnectionRefusedError(111, "refused")), False, "refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), False, "not connected (ConnectError)"),
        (httpx.ConnectTimeout("timed out"), False, "connect timeout"),
        (httpx.PoolTimeout("timed out"), False, "no free connection"),
        (httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."), False, "not connected"),
        (httpx.ReadTimeout("The read operation timed out"), True, "no answer within 7 s"),
        (httpx.WriteTimeout("The write operation timed out"), True, "no answer within 7 s"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), True, "connection dropped"),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), True, "connection dropped (ReadError)"),
        (httpx.WriteError("[Errno 32] Broken pipe"), True, "connection dropped (WriteError)"),
        (httpx.DecodingError("Error -3 while decompressing data"), True, "DecodingError while reading the answer"),
        (httpx.TooManyRedirects("Exceeded maximum allowed redirects."), True, "TooManyRedirects while reading"),
        (httpx.StreamConsumed(), True, "StreamConsumed while reading the answer"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_each_httpx_failure_says_whether_the_request_may_have_been_sent(
    error: Exception, sent: bool, text: str
) -> None:
    with pytest.raises(SnovioTransportError) as caught, transport.transport_errors("/v1/get-balance", 7.0):
        raise error
    mapped = caught.value
    assert mapped.sent is sent and mapped.endpoint == "/v1/get-balance"
    assert text in str(mapped)
    assert mapped.__cause__ is None and mapped.__suppress_context__, "the library's text stays out of the chain"


def test_errors_that_are_not_the_transports_pass_through() -> None:
    with pytest.raises(KeyError), transport.transport_errors("/v1/get-balance", 7.0):
        raise KeyError("not httpx")


def test_a_private_ca_bundle_is_read_from_ssl_cert_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Behind a TLS-inspecting proxy the CA comes from ``SSL_CERT_FILE`` (httpx's trust_env; the former
    requests client read ``REQUESTS_CA_BUNDLE``)."""
    with open(certifi.where()) as bundle:
        first = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", bundle.read(), re.S)
    assert first is not None
    ca = tmp_path / "one-ca.pem"
    ca.write_text(first.group(0) + "\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    transport.tls_context.cache_clear()
    try:
        assert len(transport.tls_context().get_ca_certs()) == 1
    finally:
        transport.tls_context.cache_clear()


def test_repeated_form_fields_keep_their_order() -> None:
    options = transport.send_options(
        {"data": [("emails[]", "a@x.io"), ("emails[]", "b@x.io"), ("k", "v")]}, transport.request_timeout(5.0)
    )
    assert options["data"] == {"emails[]": ["a@x.io", "b@x.io"], "k": "v"}
    assert options["follow_redirects"] is False
    assert options["timeout"] == httpx.Timeout(5.0, connect=5.0)
    assert transport.request_timeout(30.0) == httpx.Timeout(30.0, connect=10.0), "connect: at most 10 s"
    request = httpx.Request("POST", "https://api.snov.io/x", data=options["data"])
    assert request.read() == b"emails%5B%5D=a%40x.io&emails%5B%5D=b%40x.io&k=v"
