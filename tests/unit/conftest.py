"""Test doubles for the unit tests of the API core: a scripted HTTP session, a counting limiter, fake time.

``FakeSession`` stands in for ``requests.Session``: ``request(method, url, **kwargs)`` records the call and
answers from a per-path script (a queue of responses or exceptions), falling back to a sticky default per
path and finally to ``200 {"success": true}``. The token endpoint answers with a fresh, recognisable token
on every request unless a script says otherwise.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_provider_snovio.api.catalogue import TOKEN_PATH
from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
from airflow_provider_snovio.api.retry import RetryPolicy
from airflow_provider_snovio.api.token import TokenCache

BASE_URL = "https://api.snov.io"
CLIENT_ID = "client-id-4711"
CLIENT_SECRET = "CLIENT-SECRET-s3cr3t-never-log-me"
TOKEN_PREFIX = "TOKEN-bearer-value-"


class FakeResponse:
    """What the client reads from a ``requests.Response``: ``status_code``, ``headers``, ``content``."""

    def __init__(self, status_code: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.headers = headers or {}
        if isinstance(body, bytes):
            self.content = body
        elif isinstance(body, str):
            self.content = body.encode()
        elif body is None:
            self.content = b""
        else:
            self.content = json.dumps(body).encode()

    def __repr__(self) -> str:
        return f"FakeResponse({self.status_code}, {self.content[:60]!r})"


def ok(body: Any = None, **headers: str) -> FakeResponse:
    return FakeResponse(200, {"success": True} if body is None else body, headers)


def status(code: int, body: Any = None, headers: dict[str, str] | None = None) -> FakeResponse:
    return FakeResponse(code, body, headers)


@dataclass
class RecordedCall:
    """One request as the session saw it."""

    method: str
    url: str
    params: list[tuple[str, str]] | None = None
    data: Any = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout: Any = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    @property
    def form(self) -> list[tuple[str, str]]:
        """The form body as pairs, whichever shape (dict or pairs) the client passed."""
        if self.data is None:
            return []
        if isinstance(self.data, dict):
            return [(str(k), str(v)) for k, v in self.data.items()]
        return [(str(k), str(v)) for k, v in self.data]

    def values(self) -> list[str]:
        """Every string that travelled outside the headers: URL, query values, form values, JSON."""
        out = [self.url]
        out += [f"{k}={v}" for k, v in (self.params or [])]
        out += [f"{k}={v}" for k, v in self.form]
        if self.json is not None:
            out.append(json.dumps(self.json))
        return out


Script = FakeResponse | BaseException | Callable[[RecordedCall], "FakeResponse | BaseException"]


class FakeSession:
    """Records requests and answers them from scripts; thread-safe."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._queues: dict[str, deque[Script]] = defaultdict(deque)
        self._defaults: dict[str, Script] = {}
        self._lock = threading.Lock()
        self._token_counter = 0
        self.token_lifetime: float = 3600
        self.closed = False

    # scripting ------------------------------------------------------------------------------------
    def queue(self, path: str, *responses: Script) -> FakeSession:
        """Answer the next requests to ``path`` with ``responses``, in order."""
        self._queues[path].extend(responses)
        return self

    def default(self, path: str, response: Script) -> FakeSession:
        """Answer every request to ``path`` with ``response`` once its queue is empty."""
        self._defaults[path] = response
        return self

    def next_token(self) -> str:
        with self._lock:
            self._token_counter += 1
            return f"{TOKEN_PREFIX}{self._token_counter:04d}"

    # the requests.Session surface ------------------------------------------------------------------
    def request(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        call = RecordedCall(
            method=method,
            url=url,
            params=list(kwargs.get("params") or []) or None,
            data=kwargs.get("data"),
            json=kwargs.get("json"),
            headers=dict(kwargs.get("headers") or {}),
            timeout=kwargs.get("timeout"),
        )
        with self._lock:
            self.calls.append(call)
            queue = self._queues.get(call.path)
            script: Script | None = queue.popleft() if queue else self._defaults.get(call.path)
        if script is None:
            if call.path == TOKEN_PATH:
                script = FakeResponse(
                    200, {"access_token": self.next_token(), "token_type": "Bearer", "expires_in": self.token_lifetime}
                )
            else:
                script = ok()
        if callable(script) and not isinstance(script, FakeResponse):
            script = script(call)
        if isinstance(script, BaseException):
            raise script
        return script

    def close(self) -> None:
        self.closed = True

    # views ----------------------------------------------------------------------------------------
    @property
    def api_calls(self) -> list[RecordedCall]:
        return [c for c in self.calls if c.path != TOKEN_PATH]

    @property
    def token_calls(self) -> list[RecordedCall]:
        return [c for c in self.calls if c.path == TOKEN_PATH]

    def calls_to(self, path: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.path == path]


class FakeLimiter:
    """Counts admissions; never waits."""

    def __init__(self) -> None:
        self.acquires = 0
        self._lock = threading.Lock()

    def acquire(self, *quota: object) -> None:
        with self._lock:
            self.acquires += 1

    async def acquire_async(self, *quota: object) -> None:
        self.acquire()


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps (or a test advances it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    """A client wired to fakes, with the fakes at hand."""

    client: SnovioClient
    session: FakeSession
    limiter: FakeLimiter
    time: FakeTime
    tokens: TokenCache


def make_config(**overrides: Any) -> ClientConfig:
    retry = overrides.pop("retry", None) or RetryPolicy(max_retries=overrides.pop("max_retries", 5))
    values: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "base_url": BASE_URL,
        "timeout": 30.0,
        "retry": retry,
    }
    values.update(overrides)
    return ClientConfig(**values)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def limiter() -> FakeLimiter:
    return FakeLimiter()


@pytest.fixture
def tokens(fake_time: FakeTime) -> TokenCache:
    return TokenCache(clock=fake_time.clock)


@pytest.fixture
def make_harness(
    session: FakeSession, limiter: FakeLimiter, fake_time: FakeTime, tokens: TokenCache
) -> Callable[..., Harness]:
    """Build a client on the shared fakes; keyword arguments override the ClientConfig."""

    def build(**overrides: Any) -> Harness:
        client = SnovioClient(
            make_config(**overrides),
            session=session,  # type: ignore[arg-type]
            limiter=limiter,
            tokens=tokens,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
        )
        return Harness(client, session, limiter, fake_time, tokens)

    return build


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    return make_harness()


@pytest.fixture
def client(harness: Harness) -> SnovioClient:
    return harness.client


def assert_nothing_sent(h: Harness) -> None:
    assert h.session.calls == [], f"requests were sent: {h.session.calls}"
    assert h.limiter.acquires == 0, "the rate limiter was acquired"


def pairs_dict(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for key, value in pairs:
        out[key].append(value)
    return dict(out)
