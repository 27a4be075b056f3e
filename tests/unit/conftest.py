"""Test doubles for the unit tests of the API core: a scripted HTTP server, a counting limiter, fake time.

``FakeSession`` is the handler of an ``httpx.MockTransport`` (httpx's public way to answer requests without
a network): the client sends real ``httpx.Request`` objects through its real ``httpx.Client``
(:meth:`FakeSession.client`); the fake records each one and answers from a per-path script (a queue of
responses or exceptions), falling back to a sticky default per path and finally to ``200
{"success": true}``. The token endpoint answers with a fresh, recognisable token on every request unless a
script says otherwise. An exception in a script (``httpx.ReadTimeout(...)``) is raised where httpx's own
transport would raise it.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
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
    """A scripted answer: ``status_code``, ``headers`` and the raw ``content`` (sent as an ``httpx.Response``)."""

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

    def to_httpx(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(self.status_code, headers=self.headers, content=self.content, request=request)


def ok(body: Any = None, **headers: str) -> FakeResponse:
    return FakeResponse(200, {"success": True} if body is None else body, headers)


def status(code: int, body: Any = None, headers: dict[str, str] | None = None) -> FakeResponse:
    return FakeResponse(code, body, headers)


@dataclass
class RecordedCall:
    """One request as it went on the wire, decoded: ``url`` without its query string, the query as ``params``
    (pairs, None when empty), a form body as ``data`` (pairs; ``[]`` for an empty POST/PUT body), a JSON body
    as ``json``, the headers (case-insensitive) and the ``(connect, read)`` timeouts in seconds."""

    method: str
    url: str
    params: list[tuple[str, str]] | None = None
    data: Any = None
    json: Any = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    timeout: Any = None

    @classmethod
    def of(cls, request: httpx.Request) -> RecordedCall:
        body = request.read()
        kind = request.headers.get("Content-Type", "")
        data: Any = None
        payload: Any = None
        if kind.startswith("application/json"):
            payload = json.loads(body)
        elif kind.startswith("application/x-www-form-urlencoded") or (not body and request.method in ("POST", "PUT")):
            data = parse_qsl(body.decode(), keep_blank_values=True)
        elif body:
            raise AssertionError(f"unexpected body of type {kind!r}: {body[:80]!r}")
        timeout = request.extensions.get("timeout") or {}
        return cls(
            method=request.method,
            url=str(request.url.copy_with(query=None)),
            params=request.url.params.multi_items() or None,
            data=data,
            json=payload,
            headers=request.headers,
            timeout=(timeout.get("connect"), timeout.get("read")) if timeout else None,
        )

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return list(self.params or [])

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
    """Records requests and answers them from scripts; thread-safe. Hand :meth:`client` to ``SnovioClient``."""

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

    # the transport ------------------------------------------------------------------------------------
    def client(self, **options: Any) -> httpx.Client:
        """A real ``httpx.Client`` whose requests this fake answers; its ``close()`` is recorded.

        ``options`` override the client's production options (``transport.client_options``)."""
        from airflow_provider_snovio.api.transport import client_options

        fake = self

        class Recording(httpx.MockTransport):
            def close(self) -> None:
                fake.closed = True

        return httpx.Client(**{**client_options(), **options, "transport": Recording(self)})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return self.answer(RecordedCall.of(request)).to_httpx(request)

    def answer(self, call: RecordedCall) -> FakeResponse:
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
            http=session.client(),
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
