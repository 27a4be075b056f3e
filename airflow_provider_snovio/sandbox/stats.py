"""Counters the sandbox keeps about the traffic it served, exposed by ``GET /_sandbox/stats``.

Why: benchmarks and tests assert on what the *server* saw (requests per minute achieved, 429s sent, tokens
issued, credits spent) rather than on what a client believes it sent. ``as_dict`` defines the stats JSON keys.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class SandboxStats:
    total_requests: int = 0
    requests: Counter[str] = field(default_factory=Counter)  # "METHOD /path-template" -> count
    status_counts: Counter[str] = field(default_factory=Counter)  # "200" -> count
    responses_429: int = 0  # every 429 sent: limiter + injected bursts + hourly limits
    rate_limited: int = 0  # 429s from the per-minute sliding window
    injected_429: int = 0  # 429s from the burst_429_* fault knobs
    too_many_processing: int = 0  # hourly finder/verifier limit hits
    unauthorized: int = 0  # 401s (bad credentials or token)
    faults: Counter[str] = field(default_factory=Counter)  # "error", "truncate", "nul", "latency"
    credits_spent: float = 0.0
    credits_by_endpoint: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    tokens_issued: int = 0
    #: Answered v1 status reads per item: "verifier:<email>" (#17), "finder:<first>|<last>|<domain>" (#12).
    item_reads: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_requests": self.total_requests,
            "requests": dict(sorted(self.requests.items())),
            "status_counts": dict(sorted(self.status_counts.items())),
            "responses_429": self.responses_429,
            "rate_limited": self.rate_limited,
            "injected_429": self.injected_429,
            "too_many_processing": self.too_many_processing,
            "unauthorized": self.unauthorized,
            "faults": dict(sorted(self.faults.items())),
            "credits_spent": round(self.credits_spent, 4),
            "credits_by_endpoint": {k: round(v, 4) for k, v in sorted(self.credits_by_endpoint.items())},
            "tokens_issued": self.tokens_issued,
            "item_reads": dict(sorted(self.item_reads.items())),
        }


class StatsMiddleware:
    """Counts every API request (not ``/_sandbox/*``) by route template and final status.

    Outermost middleware, so it sees the status the client really got (including injected faults). The
    route template is resolved by matching the app's routes, so a request that a fault replaced before
    routing is still attributed to its endpoint.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        key = f"{scope['method']} {route_template(app, scope)}"
        counted = False
        state = app.state.sandbox
        with state.lock:
            # A request is counted in the stats of the period it arrived in: one that is still held by a
            # fault delay when a test resets the sandbox must not appear in the next test's counts.
            stats = state.stats

        def count(status: int) -> None:
            nonlocal counted
            counted = True
            with state.lock:
                stats.total_requests += 1
                stats.requests[key] += 1
                stats.status_counts[str(status)] += 1
                if status == 429:
                    stats.responses_429 += 1
                elif status == 401:
                    stats.unauthorized += 1

        async def counting_send(message: Message) -> None:
            # count BEFORE the client can see the response, so stats read right after a call include it
            if message["type"] == "http.response.start" and not counted:
                count(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except Exception:
            if not counted:
                count(500)  # Starlette's ServerErrorMiddleware (outside us) answers 500
            raise
        if not counted:
            count(499)  # no response: the client left during a fault delay (nginx's "client closed request")


def route_template(app: Any, scope: Scope) -> str:
    """The path template of the route that serves ``scope`` ("/v2/webhooks/{webhook_id}"), or "<unknown>"."""
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", scope["path"]))
    return "<unknown>"
