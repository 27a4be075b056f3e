"""The mutable world of one sandbox app: seeded data, credits, tokens, limits, stats, clock.

Why one object behind one lock: uvicorn serves async routes on one loop, but tests (``SandboxServer.state``)
and sync code touch the same state from other threads. Everything a request can change lives here so that
``reset()`` returns the whole world to its seeded start in one step.

Extension point for route families that need their own state (async task registry, domain data): a route
module may define ``init_state(state)``; ``create_app`` registers it with ``state.add_reset_hook`` so it runs
now and after every reset. Store what it builds in ``state.extensions[name]``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from airflow_provider_snovio.sandbox.config import DATA_KNOBS, SandboxConfig
from airflow_provider_snovio.sandbox.data import SandboxData, build_data
from airflow_provider_snovio.sandbox.errors import OutOfCredits
from airflow_provider_snovio.sandbox.limits import SlidingWindowLimiter
from airflow_provider_snovio.sandbox.stats import SandboxStats

ResetHook = Callable[["SandboxState"], None]


class SandboxState:
    """All mutable sandbox state. Hold ``state.lock`` while reading-and-writing several fields."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.lock = threading.RLock()
        self.extensions: dict[str, Any] = {}
        self._reset_hooks: list[ResetHook] = []
        self._clock_offset = 0.0
        self.tokens: dict[str, float] = {}  # token -> expiry (state clock)
        self.started_at = time.time()
        self.reset()

    # --- clock ---

    def now(self) -> float:
        """Wall-clock seconds, shifted by ``advance_clock`` (lets tests skip an hour)."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self._clock_offset += seconds

    # --- lifecycle ---

    def reset(self) -> None:
        """Back to the seeded data, full balance, zeroed stats, empty limiter windows and the real clock.

        Issued tokens stay valid: a client's cached token must survive a test-to-test reset, otherwise
        "one token per lifetime" could not be measured across tests.
        """
        with self.lock:
            self.data: SandboxData = build_data(self.config)
            self.balance: float = float(self.config.initial_balance)
            self.stats = SandboxStats()
            self.rate_limiter = SlidingWindowLimiter()
            self.hourly_limiters = {"finder": SlidingWindowLimiter(), "verifier": SlidingWindowLimiter()}
            self.fault_rng = random.Random(self.config.seed)
            self.fault_counter = 0  # API requests seen by the fault middleware (drives 429 bursts)
            self._clock_offset = 0.0
            self.extensions.clear()
            for hook in self._reset_hooks:
                hook(self)

    def add_reset_hook(self, hook: ResetHook) -> None:
        """Run ``hook(state)`` now and after every reset (route families build their state in it)."""
        with self.lock:
            if hook not in self._reset_hooks:
                self._reset_hooks.append(hook)
                hook(self)

    def update_config(self, changes: dict[str, Any]) -> SandboxConfig:
        """Apply validated knob changes; data knobs regenerate the data set (credits/stats untouched)."""
        with self.lock:
            new = self.config.with_changes(changes)
            data_changed = any(getattr(new, k) != getattr(self.config, k) for k in DATA_KNOBS)
            self.config = new
            if data_changed:
                self.data = build_data(new)
            if "seed" in changes:
                self.fault_rng = random.Random(new.seed)
            return new

    # --- credits ---

    def charge(self, amount: float, endpoint: str) -> None:
        """Spend ``amount`` credits for ``endpoint`` or raise ``OutOfCredits`` (nothing spent)."""
        if amount <= 0:
            return
        with self.lock:
            if self.balance + 1e-9 < amount:
                raise OutOfCredits(amount, self.balance)
            self.balance -= amount
            self.stats.credits_spent += amount
            self.stats.credits_by_endpoint[endpoint] += amount

    # --- tokens ---

    def issue_token(self, token: str) -> float:
        """Register ``token``; returns its lifetime in seconds."""
        with self.lock:
            ttl = float(self.config.token_ttl)
            now = self.now()
            # forget expired tokens so a long-running sandbox does not grow without bound
            for old in [t for t, exp in self.tokens.items() if exp <= now]:
                del self.tokens[old]
            self.tokens[token] = now + ttl
            self.stats.tokens_issued += 1
            return ttl

    def token_valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.tokens.get(token)
            return expiry is not None and expiry > self.now()

    # --- stats ---

    def stats_dict(self) -> dict[str, Any]:
        with self.lock:
            out = self.stats.as_dict()
            out["balance"] = round(self.balance, 2)
            out["peak_requests_in_window"] = self.rate_limiter.peak
            for kind, limiter in self.hourly_limiters.items():  # busiest quota window, in units
                out[f"peak_{kind}_units_in_window"] = limiter.peak
            out["requests_in_window"] = self.rate_limiter.in_window(self.now(), self.config.rate_window_seconds)
            out["uptime_seconds"] = round(time.time() - self.started_at, 3)
            return out


def get_state(request: Request) -> SandboxState:
    """FastAPI dependency: the SandboxState of the app serving ``request``."""
    return request.app.state.sandbox


#: Route parameter annotation: ``state: StateDep``.
StateDep = Annotated[SandboxState, Depends(get_state)]
