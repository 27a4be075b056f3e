"""One Snov.io access token per account, shared by every process that uses the account.

In a real Airflow deployment every task try, every resume after a deferral and the triggerer run in
processes of their own, so a per-process token cache (:mod:`~airflow_provider_snovio.api.token`) fetched
a new token each time: a five-task DAG with three deferrals asked Snov.io for 14 tokens per run, each a
request of the account's 60 per minute. The token is shared the way the rate limiter's log is, chosen by
the same ``rate_limit_backend`` setting, read for both by
:mod:`~airflow_provider_snovio.api.ratelimit.backend` (which also holds their per-host directory and Redis client):

* none (the default): a file per account in the per-host directory of the rate limiter
  (``$SNOVIO_RATE_LIMIT_DIR``, else a private ``0700`` directory under the temp dir), written atomically
  with mode ``0600`` so no other user can read it, next to a lock file whose ``flock`` lets one process
  at a time renew the token;
* ``redis://`` / ``rediss://``: one key per account in that Redis, its value encrypted (Fernet) with a key
  derived (HKDF-SHA256) from the client secret, so whoever reads Redis without the secret learns nothing;
  Redis expires the key when the token stops being usable, by the server's clock. A ``SET NX PX`` lock
  lets one process at a time renew it;
* ``memory``: nothing is shared (each process keeps its own token, as before).

Entries are keyed by :attr:`ClientConfig.token_key`, a digest of the base URL, client id AND secret: a
token issued for one secret is never handed to a connection holding another.

The store only ever saves requests: when it cannot be used (an unwritable directory, Redis down) the
process fetches its own token, with one warning, and the request proceeds. A renewal lock whose holder
takes too long (:data:`RENEWAL_WAIT_SECONDS`) is given up on the same way; its worst outcome is one extra
token request. A token revoked early (a 401) is discarded from the store by whoever sees the 401 first.

This module is pure API layer: it never imports Airflow.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import stat
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from airflow_provider_snovio.api.ratelimit.backend import (
    MEMORY,
    describe,
    normalize_backend,
    owned_by_current_user,
    rate_limit_dir,
    redis_client,
)

if TYPE_CHECKING:
    import redis

__all__ = ["REDIS_TOKEN_PREFIX", "RENEWAL_WAIT_SECONDS", "SharedTokenStore", "shared_token_store"]

log = logging.getLogger(__name__)

#: How long a process waits for another one's renewal before fetching a token itself. A renewal is one
#: token request, which may wait for a slot of the rate limit (up to a window) and be retried.
RENEWAL_WAIT_SECONDS = 120.0
#: Redis renewal locks expire after this long, so a renewer killed while holding one blocks nobody for long.
RENEWAL_LOCK_TTL_MS = 150_000
#: Key prefix in Redis (beside the rate limiter's ``airflow-provider-snovio:ratelimit:``).
REDIS_TOKEN_PREFIX = "airflow-provider-snovio:token:"
#: Salt of the HKDF that turns the client secret into the Redis encryption key.
_KDF_SALT = b"airflow-provider-snovio/token-store/v1"
_POLL_SECONDS = (0.01, 0.2)  # first and longest pause between attempts to take a held renewal lock

#: Compare-and-delete, atomic on the server: remove KEYS[1] only if it still holds ARGV[1].
_DELETE_IF_SAME = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class SharedTokenStore(Protocol):
    """Where the processes of one account find its token; every method may raise on a broken backend."""

    def read(self) -> tuple[str, float] | None:
        """``(token, seconds it stays usable)``, or None if no usable token is stored."""

    def write(self, value: str, usable_seconds: float) -> None:
        """Publish a token just issued, usable for ``usable_seconds`` from now."""

    def discard(self, value: str) -> None:
        """Forget ``value`` (refused with a 401) unless another process already replaced it."""

    def clear(self) -> None:
        """Forget the stored token whatever it is (benchmarks starting from scratch)."""

    def acquire(self, wait_seconds: float) -> Callable[[], None] | None:
        """Take the renewal lock, waiting at most ``wait_seconds``; the release function, or None on timeout."""


def _poll_until(deadline: float, attempt: Callable[[], bool]) -> bool:
    """Call ``attempt`` until it returns True or ``deadline`` (monotonic) passes, pausing more and more."""
    pause = _POLL_SECONDS[0]
    while True:
        if attempt():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, _POLL_SECONDS[1])


class FileTokenStore:
    """A JSON file (mode 0600) and a lock file per account in the rate limiter's per-host directory."""

    def __init__(self, directory: Path, token_key: str) -> None:
        self.path = directory / f"snovio-token-{token_key}.json"
        self.lock_path = directory / f"snovio-token-{token_key}.lock"

    def read(self) -> tuple[str, float] | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not _private(info):  # not ours, or readable by others: never trust (nor extend) it
                log.warning("Snov.io token store: ignoring %s (not a private file of this user)", self.path)
                return None
            try:
                entry = json.loads(handle.read())
                value, usable_until = str(entry["token"]), float(entry["usable_until"])
            except (ValueError, KeyError, TypeError):
                return None  # a torn or foreign file: renew
        remaining = usable_until - time.time()
        return (value, remaining) if value and remaining > 0 else None

    def write(self, value: str, usable_seconds: float) -> None:
        entry = json.dumps({"token": value, "usable_until": time.time() + usable_seconds}).encode()
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.fchmod(fd, 0o600)  # exactly 0600 whatever the umask
            os.write(fd, entry)
        finally:
            os.close(fd)
        try:
            os.replace(temp, self.path)  # atomic: readers see the old token or the new one, never half
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def discard(self, value: str) -> None:
        # Not atomic with a concurrent renewal: at worst a token renewed a moment ago is dropped too, and
        # the next caller renews once more.
        found = self.read()
        if found and found[0] == value:
            self.clear()

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def acquire(self, wait_seconds: float) -> Callable[[], None] | None:
        import fcntl

        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)

        def attempt() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        try:
            taken = _poll_until(time.monotonic() + wait_seconds, attempt)
        except BaseException:
            os.close(fd)
            raise
        if not taken:
            os.close(fd)
            return None

        def release() -> None:
            os.close(fd)  # closing the descriptor releases the flock (also if the process dies)

        return release


def _private(info: os.stat_result) -> bool:
    return owned_by_current_user(info) and stat.S_ISREG(info.st_mode) and not info.st_mode & 0o077


def encryption_key(client_secret: str, token_key: str) -> bytes:
    """The Fernet key of an account's Redis entry: HKDF-SHA256 of the client secret (salted, per entry)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KDF_SALT, info=token_key.encode()).derive(
        client_secret.encode()
    )
    return base64.urlsafe_b64encode(raw)


class RedisTokenStore:
    """An encrypted Redis key per account (expiring with the token) and a ``SET NX PX`` renewal lock."""

    def __init__(self, url: str, token_key: str, client_secret: str) -> None:
        from cryptography.fernet import Fernet

        self._url = url
        self.key = f"{REDIS_TOKEN_PREFIX}{token_key}"
        self.lock_key = f"{REDIS_TOKEN_PREFIX}{token_key}:renewal"
        self._fernet = Fernet(encryption_key(client_secret, token_key))
        self._pid = -1
        self._client_lock = threading.Lock()
        self._redis: redis.Redis | None = None

    def _client(self) -> redis.Redis:
        with self._client_lock:
            if self._redis is None or self._pid != os.getpid():  # sockets must not cross a fork
                self._redis = redis_client(self._url)
                self._pid = os.getpid()
            return self._redis

    def _decrypt(self, ciphertext: bytes | None) -> str | None:
        from cryptography.fernet import InvalidToken

        if not ciphertext:
            return None
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except (InvalidToken, UnicodeDecodeError):
            return None  # written under another secret's key, or damaged: renew

    def read(self) -> tuple[str, float] | None:
        pipe = self._client().pipeline(transaction=True)
        pipe.get(self.key)
        pipe.pttl(self.key)
        ciphertext, ttl_ms = pipe.execute()
        value = self._decrypt(ciphertext)
        return (value, ttl_ms / 1000) if value and ttl_ms and ttl_ms > 0 else None

    def write(self, value: str, usable_seconds: float) -> None:
        ttl_ms = int(usable_seconds * 1000)
        if ttl_ms > 0:
            self._client().set(self.key, self._fernet.encrypt(value.encode()), px=ttl_ms)

    def discard(self, value: str) -> None:
        client = self._client()
        ciphertext = cast("bytes | None", client.get(self.key))  # no decode_responses: bytes
        if ciphertext is not None and self._decrypt(ciphertext) == value:
            client.eval(_DELETE_IF_SAME, 1, self.key, ciphertext)

    def clear(self) -> None:
        self._client().delete(self.key)

    def acquire(self, wait_seconds: float) -> Callable[[], None] | None:
        client = self._client()
        owner = uuid.uuid4().hex
        if not _poll_until(
            time.monotonic() + wait_seconds,
            lambda: bool(client.set(self.lock_key, owner, nx=True, px=RENEWAL_LOCK_TTL_MS)),
        ):
            return None

        def release() -> None:
            client.eval(_DELETE_IF_SAME, 1, self.lock_key, owner)  # never someone else's lock

        return release


class GuardedStore:
    """A :class:`SharedTokenStore` whose failures fall back to "nothing shared", warning once per process.

    The warning names the backend only (a Redis URL redacted) and the exception's type, never its text,
    which a Redis library may fill with parts of the URL.
    """

    def __init__(self, store: SharedTokenStore, where: str) -> None:
        self.store = store
        self.where = where
        self._warned_pid = -1

    def _failed(self, what: str, error: BaseException) -> None:
        if self._warned_pid != os.getpid():
            self._warned_pid = os.getpid()
            log.warning(
                "Snov.io token store (%s) failed to %s (%s); this process fetches its own token",
                self.where,
                what,
                type(error).__name__,
            )

    def read(self) -> tuple[str, float] | None:
        try:
            return self.store.read()
        except Exception as error:
            self._failed("read", error)
            return None

    def write(self, value: str, usable_seconds: float) -> None:
        try:
            self.store.write(value, usable_seconds)
        except Exception as error:
            self._failed("write", error)

    def discard(self, value: str) -> None:
        try:
            self.store.discard(value)
        except Exception as error:
            self._failed("discard", error)

    def clear(self) -> None:
        self.store.clear()

    def acquire(self, wait_seconds: float = RENEWAL_WAIT_SECONDS) -> Callable[[], None]:
        """The release function of the renewal lock; a no-op one when the lock was not taken."""
        try:
            release = self.store.acquire(wait_seconds)
        except Exception as error:
            self._failed("lock", error)
            return _nothing
        if release is None:
            log.warning(
                "Snov.io token store (%s): another process has been renewing the token for %.0f s; fetching one here",
                self.where,
                wait_seconds,
            )
            return _nothing

        def safe_release() -> None:
            try:
                release()
            except Exception as error:
                self._failed("unlock", error)

        return safe_release


def _nothing() -> None:
    pass


_stores: dict[tuple[str, str, str], GuardedStore] = {}
_stores_lock = threading.Lock()


def shared_token_store(backend: str | None, token_key: str, client_secret: str) -> GuardedStore | None:
    """The process-wide shared store of one account's token under ``backend`` (the rate limiter's setting).

    None for ``memory`` (nothing shared) and on a host without ``fcntl`` (no file locks to renew safely).
    """
    spec = normalize_backend(backend)
    if spec == MEMORY:
        return None
    directory = None
    if not spec:
        try:
            import fcntl  # noqa: F401 - POSIX only
        except ImportError:
            return None
        try:
            directory = rate_limit_dir()
        except OSError as error:  # the rate limiter reports this one itself, on its first request
            log.warning("Snov.io token store: no per-host directory (%s); tokens stay per process", error)
            return None
    with _stores_lock:
        store = _stores.get((spec, token_key, str(directory)))
        if store is None:
            if directory is None:
                store = GuardedStore(RedisTokenStore(spec, token_key, client_secret), describe(spec))
            else:
                store = GuardedStore(FileTokenStore(directory, token_key), str(directory))
            _stores[(spec, token_key, str(directory))] = store
        return store
