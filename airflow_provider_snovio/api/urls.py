"""URL helpers shared by the client, the rate limiter, the hook and the sandbox CLI.

* :func:`is_loopback`: what counts as a loopback host, the one place plain HTTP is allowed (the local
  sandbox).
* :func:`redact_url` and :func:`url_secrets`: a URL may carry credentials (``redis://user:pw@host`` or
  ``redis://host/0?password=pw``); everything that shows a URL (a repr, a log line, an exception text,
  a ``test_connection`` message) shows :func:`redact_url`'s form, and texts from other libraries are
  scrubbed of :func:`url_secrets` before they are shown.

Kept free of Airflow imports so the sandbox starts fast and the API layer stays importable on its own.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

#: What a redacted credential looks like.
REDACTED = "***"

#: Query options known to hold no secret (redis-py's connection options). Every other query value is
#: redacted: a deny-list of secret names (password, pass, auth, token...) would miss the next spelling.
SAFE_QUERY_KEYS = frozenset(
    {
        "client_name",
        "db",
        "decode_responses",
        "health_check_interval",
        "max_connections",
        "protocol",
        "retry_on_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "socket_timeout",
        "ssl_cert_reqs",
        "ssl_check_hostname",
    }
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact_url(url: str) -> str:
    """``url`` with every credential it can carry replaced by ``***``, safe to log and to raise.

    The user-info (``user:password@``) becomes ``***@``, the value of every query option not in
    :data:`SAFE_QUERY_KEYS` becomes ``***`` (``?password=``, ``?username=``, ...), and a fragment is
    dropped. A URL that cannot be parsed is not shown at all.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = urlencode(
        [
            (key, value if key.lower() in SAFE_QUERY_KEYS else REDACTED)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    if parts.query and not query:  # a query parse_qsl cannot split into options: show none of it
        query = REDACTED
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


#: Query options naming a user rather than holding a secret (see ``url_secrets(include_usernames=False)``).
USERNAME_QUERY_KEYS = frozenset({"user", "username"})


def url_secrets(url: str, *, include_usernames: bool = True) -> list[str]:
    """Every credential-like piece of ``url`` (user-info parts, unsafe query values), longest first.

    Both the raw and the percent-decoded spelling are listed, so that a text echoing either can be
    scrubbed. Used to clean error texts of other libraries, and (``include_usernames=False``: a user
    name such as ``default`` is no secret, and masking it would blank that word in every log line) to
    register the passwords with Airflow's secret masker.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: set[str] = set()
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        username, has_password, password = userinfo.partition(":")
        if include_usernames:
            found.update((userinfo, username))
        if has_password:
            found.add(password)
    for chunk in parts.query.split("&"):
        key, _, value = chunk.partition("=")
        key = unquote(key).lower()
        if key not in SAFE_QUERY_KEYS and (include_usernames or key not in USERNAME_QUERY_KEYS):
            found.add(value)
    if parts.fragment:
        found.add(parts.fragment)
    found |= {unquote(item) for item in found}
    found.discard("")
    return sorted(found, key=len, reverse=True)


def scrub_url_secrets(text: str, url: str) -> str:
    """``text`` (say, another library's error message) with ``url`` and its credentials redacted."""
    if not url:
        return text
    text = text.replace(url, redact_url(url))
    for secret in url_secrets(url):
        text = text.replace(secret, REDACTED)
    return text
