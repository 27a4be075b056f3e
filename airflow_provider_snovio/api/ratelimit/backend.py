"""The ``rate_limit_backend`` setting and the places it names: this process, a per-host directory, a Redis.

The rate limiter's log and the shared token (:mod:`~airflow_provider_snovio.api.token_store`) live in the
same place, chosen by the same connection extra. This module is the one reading of that setting, the one
per-host directory (private to the user), the one way to connect to the Redis, and the one translation of
a backend's failures into :class:`RateLimitBackendError` with the URL's secrets scrubbed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from airflow_provider_snovio.api.urls import redact_url, scrub_url_secrets

if TYPE_CHECKING:
    import redis

#: The backend keeping the state in this process only (tests, or a deliberate per-process limit).
MEMORY = "memory"
#: Environment variable overriding the directory of the per-host state (SQLite logs, token files).
RATE_LIMIT_DIR_ENV = "SNOVIO_RATE_LIMIT_DIR"
REDIS_EXTRA_HINT = "pip install 'airflow-provider-snovio[redis]'"
_REDIS_SCHEMES = ("redis://", "rediss://")
#: Redis socket timeouts (connect and each round trip).
_REDIS_TIMEOUT_SECONDS = 10.0


class RateLimitBackendError(ConnectionError):
    """The shared admission log (the per-host SQLite file or Redis) could not be used.

    A builtin ``ConnectionError`` so that code knowing only the standard library can catch it; the client
    turns it into a ``SnovioError``. Its text names ``rate_limit_backend`` and shows a URL only redacted.
    """


def normalize_backend(backend: object) -> str:
    """Return ``""`` (per host), ``"memory"`` or a redis URL; reject anything else naming the field."""
    if backend is None:
        return ""
    if not isinstance(backend, str):
        raise ValueError(f"rate_limit_backend must be a string, got {type(backend).__name__}")
    text = backend.strip()
    if text == "" or text.lower() == MEMORY:
        return text.lower()
    if is_redis(text):
        try:
            urlsplit(text).port  # noqa: B018 - parsing the port is the check
        except ValueError:
            raise ValueError(f"rate_limit_backend has an unusable host or port: {redact_url(text)!r}") from None
        return text
    raise ValueError(
        "rate_limit_backend must be empty (shared by the processes of this host), 'memory' "
        f"(this process only) or a redis://host:port/db or rediss:// URL, got {redact_url(text)!r}"
    )


def is_redis(spec: str) -> bool:
    """Whether a backend setting is a Redis URL."""
    return spec.lower().startswith(_REDIS_SCHEMES)


def describe(spec: str) -> str:
    """``"host"``, ``"memory"`` or the redis URL with its credentials redacted (safe to log)."""
    if spec in ("", MEMORY):
        return spec or "host"
    return redact_url(spec)


# -- the per-host directory ---------------------------------------------------------------------------------


def owned_by_current_user(info: os.stat_result) -> bool:
    """Whether ``info`` (an ``lstat``/``fstat``) belongs to this process's user (always true without uids)."""
    getuid = getattr(os, "getuid", None)
    return getuid is None or info.st_uid == getuid()


def _current_user_tag() -> str:
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        return str(getuid())
    import getpass  # Windows: no uid; lazily imported, rarely needed

    return hashlib.sha256(getpass.getuser().encode("utf-8")).hexdigest()[:12]


def rate_limit_dir_path() -> tuple[Path, bool]:
    """The directory of the per-host state (no I/O), and whether it is the shared-tempdir default."""
    configured = os.environ.get(RATE_LIMIT_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser(), False
    return rate_limit_dir_default(), True


def rate_limit_dir_default() -> Path:
    """The per-host directory when ``$SNOVIO_RATE_LIMIT_DIR`` is unset (no I/O)."""
    return Path(tempfile.gettempdir()) / f"airflow-provider-snovio-{_current_user_tag()}"


def rate_limit_dir() -> Path:
    """Directory of the per-host state, created if missing.

    ``$SNOVIO_RATE_LIMIT_DIR`` wins; otherwise ``<tempdir>/airflow-provider-snovio-<uid>``. The default
    lives in a world-writable directory, so it is created private (0700) and refused if another user owns
    it or it is a symlink: someone else must not be able to read, fill or replace our admission log.
    """
    path, is_default = rate_limit_dir_path()
    if not is_default:
        path.mkdir(parents=True, exist_ok=True)
        return path
    path.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not owned_by_current_user(info):
        raise PermissionError(
            f"{path} is not a directory owned by the current user; set {RATE_LIMIT_DIR_ENV} to a private "
            "directory for the Snov.io rate-limit state"
        )
    return path


# -- Redis ----------------------------------------------------------------------------------------------------


def redis_client(url: str) -> redis.Redis:
    """A client of the Redis at ``url`` (no I/O until its first command; needs the ``redis`` extra).

    Bounded socket timeouts, so a Redis that stops answering fails a request instead of hanging it, and a
    health check of connections idle for 30 s, so one dropped by a proxy or a failover is replaced first.
    """
    import redis

    return redis.Redis.from_url(
        url,
        socket_timeout=_REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


# -- failures ---------------------------------------------------------------------------------------------------


def is_backend_failure(exc: BaseException, spec: str) -> bool:
    """Whether ``exc``, raised while using the backend ``spec``, means the backend is unusable."""
    if isinstance(exc, (sqlite3.Error, OSError)):
        return True
    if is_redis(spec):
        import redis

        # ValueError, TypeError: redis-py refusing an option of the URL's query (an unknown value or
        # name, found only when it connects).
        return isinstance(exc, (redis.RedisError, ValueError, TypeError))
    return False


def raise_backend_error(exc: BaseException, spec: str) -> NoReturn:
    """One builtin exception type for "the shared log is unusable", whatever the library said.

    A Redis library text may echo the URL or parts of it, so it is scrubbed of the URL's credentials,
    and the original exception is not chained (a traceback would print its unscrubbed text).
    """
    if is_redis(spec):
        detail = scrub_url_secrets(f"{type(exc).__name__}: {exc}", spec)
        raise RateLimitBackendError(f"rate_limit_backend {describe(spec)} failed: {detail}") from None
    where = "memory" if spec == MEMORY else f"per-host log in {rate_limit_dir_path()[0]}"
    raise RateLimitBackendError(f"rate_limit_backend ({where}) failed: {type(exc).__name__}: {exc}") from exc
