"""Fault injection: the failures a client of Snov.io must survive, on demand and reproducibly.

Why a raw ASGI middleware: faults must act around the whole request (before routing, auth and limits, or
after the handler ran) and must rewrite bodies byte-for-byte (truncation, NUL bytes), which needs control of
the ``http.response.*`` messages. Decisions come from ``state.fault_rng`` (seeded), so a failing test replays.
``/_sandbox/*`` is never faulted.

Knobs (see ``SandboxConfig``) and what ``fault_phase`` means for each:

- ``error_rate``: answer 500 (JSON), 502 or 503 (HTML, as a proxy would). "before": the request never reaches
  the API (no credits, no writes, no rate-limit slot). "after": it ran, then the answer is replaced.
- ``burst_429_every``/``burst_429_length``: after every N API requests the next M get 429 with
  ``Retry-After: 1``, always before the request runs, whatever the phase: a rate limiter refuses before
  any work is done (clients rely on that to resend a paid call after a 429).
- ``truncate_rate``: a 200 whose body is cut mid-JSON. "after": the real body of a request that took effect.
  "before": the request does not run and the cut body is that of a generic error.
- ``drop_rate``: the connection is closed mid-answer: the status line, the headers (announcing the whole
  body) and part of the body are sent, then the socket closes, as when a proxy or the network fails. The
  client cannot know whether the request ran. "after": it did (the real body is cut); "before": it did not.
- ``latency_ms``: added to every API request; "before": before the handler - a client that disconnects
  during the delay (read timeout) is dropped and its request never runs; "after": after the handler, so a
  client read timeout happens after the request took effect (the case where a retry would spend twice).
- ``nul_rate``: stray NUL bytes inserted in the real body (Snov.io does this). Phase-independent: the body
  is otherwise intact, so stripping ``\\x00`` restores it; the request always runs.
- ``fault_routes``: comma-separated path prefixes; when set, the random faults above (not latency or
  429 bursts) hit only requests whose path starts with one of them (e.g. one paid route).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SANDBOX_PREFIX = "/_sandbox"

_HTML_ERRORS = {
    502: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    503: "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>"
    "503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
}


@dataclass
class FaultPlan:
    """What happens to one request."""

    phase: str
    latency: float = 0.0
    burst_429: bool = False
    error_status: int | None = None
    truncate: bool = False
    drop: bool = False
    nul: bool = False
    seed: int = 0  # drives where a body is cut / NULs go

    @property
    def replaces(self) -> bool:
        return self.burst_429 or self.error_status is not None or self.truncate or self.drop

    @property
    def rewrites_body(self) -> bool:
        return self.replaces or self.nul


def _routed(cfg: Any, path: str | None) -> bool:
    """Whether the random faults apply to ``path`` (``fault_routes``: comma-separated prefixes, '' = all)."""
    prefixes = [p.strip() for p in str(getattr(cfg, "fault_routes", "") or "").split(",") if p.strip()]
    return not prefixes or path is None or any(path.startswith(p) for p in prefixes)


def plan_faults(state: Any, path: str | None = None) -> FaultPlan:
    """Draw this request's faults (same number of RNG draws every time, so runs are reproducible)."""
    with state.lock:
        cfg = state.config
        rng = state.fault_rng
        state.fault_counter += 1
        n = state.fault_counter
        r_main, r_status, r_nul = rng.random(), rng.random(), rng.random()
        if not _routed(cfg, path):
            r_main = r_nul = 1.0  # drawn all the same: the other requests' faults do not shift
        plan = FaultPlan(phase=cfg.fault_phase, latency=max(0, cfg.latency_ms) / 1000.0)
        every, length = cfg.burst_429_every, cfg.burst_429_length
        if every > 0 and length > 0 and (n - 1) % (every + length) >= every:
            plan.burst_429 = True
            state.stats.injected_429 += 1
        elif r_main < cfg.error_rate:
            plan.error_status = (500, 502, 503)[int(r_status * 3) % 3]
            state.stats.faults["error"] += 1
        elif r_main < cfg.error_rate + cfg.truncate_rate:
            plan.truncate = True
            state.stats.faults["truncate"] += 1
        elif r_main < cfg.error_rate + cfg.truncate_rate + cfg.drop_rate:
            plan.drop = True
            state.stats.faults["drop"] += 1
        if r_nul < cfg.nul_rate and not plan.replaces:
            plan.nul = True
            state.stats.faults["nul"] += 1
        if plan.latency:
            state.stats.faults["latency"] += 1
        plan.seed = rng.getrandbits(32)
        return plan


class DroppedConnection(Exception):
    """Raised after part of an answer was sent: the ASGI server then closes the connection mid-body."""


class _QuietDrops(logging.Filter):
    """uvicorn logs every exception escaping the app; a drop injected on purpose is not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def _error_response(status: int) -> tuple[int, bytes, str]:
    if status in _HTML_ERRORS:
        return status, _HTML_ERRORS[status].encode(), "text/html"
    body = {"errors": {"code": status, "title": "Internal Server Error", "source": ""}}
    return status, json.dumps(body).encode(), "application/json"


def truncate_body(body: bytes, seed: int) -> bytes:
    """Cut a JSON body strictly before its end (an object/array cut early never parses)."""
    if len(body) < 2:
        return b""
    low = max(1, len(body) // 4)
    cut = low + seed % max(1, len(body) - 1 - low)
    return body[: min(cut, len(body) - 1)]


def insert_nuls(body: bytes, seed: int) -> bytes:
    """Insert 1-3 NUL bytes at character boundaries (never inside a UTF-8 sequence)."""
    if not body:
        return b"\x00"
    out = bytearray(body)
    count = 1 + seed % 3
    for i in range(count):
        pos = (seed // (i + 1) * 7919 + i * 104729) % (len(out) + 1)
        while 0 < pos < len(out) and 0x80 <= out[pos] <= 0xBF:
            pos -= 1
        out[pos:pos] = b"\x00"
    return bytes(out)


async def _send_simple(send: Send, status: int, body: bytes, content_type: str, headers: list | None = None) -> None:
    raw_headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _replay_first(first: Message, receive: Receive) -> Receive:
    """A ``receive`` that returns ``first`` once, then delegates (we peeked to detect a disconnect)."""
    pending = [first]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


class FaultMiddleware:
    """Applies the fault knobs of ``scope["app"].state.sandbox.config`` to API requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SANDBOX_PREFIX):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state.sandbox
        plan = plan_faults(state, scope["path"])
        seed = plan.seed
        if plan.burst_429:  # refused before any work, in either phase
            await self._send_replacement(plan, send, None, seed)
            return

        if plan.phase == "before":
            if plan.latency:
                await asyncio.sleep(plan.latency)
                first = await receive()
                if first["type"] == "http.disconnect":
                    # the client gave up while the request was "queued": it never runs
                    with state.lock:
                        state.stats.faults["dropped"] += 1
                    return
                receive = _replay_first(first, receive)
            if plan.replaces:
                await self._send_replacement(plan, send, None, seed)
                return
            if not plan.nul:
                await self.app(scope, receive, send)
                return

        start, body = await self._run_buffered(scope, receive, send, plan)
        if plan.phase == "after" and plan.latency:
            await asyncio.sleep(plan.latency)
        if start is None:
            return  # not buffered: already sent
        if plan.replaces:
            await self._send_replacement(plan, send, body, seed, status=int(start.get("status", 200)))
            return
        if plan.nul:
            body = insert_nuls(body, seed)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _run_buffered(
        self, scope: Scope, receive: Receive, send: Send, plan: FaultPlan
    ) -> tuple[Message | None, bytes]:
        # after-phase latency must hold the finished response back, so it is buffered too
        if not plan.rewrites_body and not (plan.phase == "after" and plan.latency):
            await self.app(scope, receive, send)
            return None, b""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        return start or {"type": "http.response.start", "status": 200, "headers": []}, b"".join(chunks)

    async def _send_replacement(
        self, plan: FaultPlan, send: Send, body: bytes | None, seed: int, status: int = 200
    ) -> None:
        if plan.burst_429:
            payload = json.dumps({"success": False, "message": "Too many requests"}).encode()
            await _send_simple(send, 429, payload, "application/json", [(b"retry-after", b"1")])
        elif plan.error_status is not None:
            status, payload, ctype = _error_response(plan.error_status)
            await _send_simple(send, status, payload, ctype)
        elif plan.drop:  # headers announce the whole body; part of it goes out, then the connection closes
            if body is None:
                body = json.dumps({"success": False, "message": "The request was not processed"}).encode()
            raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": raw_headers})
            await send({"type": "http.response.body", "body": truncate_body(body, seed), "more_body": True})
            raise DroppedConnection("connection dropped by fault injection")
        else:  # truncate: the real status (phase "after") with a cut body
            if body is None:
                body = json.dumps({"success": False, "message": "The request was not processed"}).encode()
            await _send_simple(send, status, truncate_body(body, seed), "application/json")
