"""Every knob of the sandbox, in one dataclass.

Why one dataclass: the CLI flags, the ``/_sandbox/config`` endpoint, ``SandboxServer.configure()`` and the
pytest fixture all derive their knobs from these fields, so a knob is declared exactly once. Field
metadata ``help`` feeds the CLI; ``DATA_KNOBS`` names the fields that shape the seeded data set (changing
one at runtime regenerates the data).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

FAULT_PHASES = ("before", "after")
#: Snov.io documents the message of a spent hourly quota, not its HTTP status: both readings are served.
QUOTA_ANSWERS = ("429", "200")
#: Snov.io does not document what a deleted campaign's endpoints answer: each plausible reading is served.
DELETED_CAMPAIGN_ANSWERS = ("404", "200-empty", "200-success-false")
#: Snov.io's 2026 doc names a sender connection's status two ways (#53 vs #54/#55): both are served.
SENDER_CONNECTION_WORDS = ("valid", "connected")


def _knob(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass
class SandboxConfig:
    """Runtime configuration of one sandbox app. All fields are plain JSON scalars."""

    # --- server and account ---
    host: str = _knob("127.0.0.1", "interface to bind (loopback only unless --allow-remote)")
    port: int = _knob(8765, "TCP port (0 = any free port)")
    client_id: str = _knob("sandbox-client-id", "OAuth client id accepted by /v1/oauth/access_token")
    client_secret: str = _knob("sandbox-client-secret", "OAuth client secret")
    seed: int = _knob(42, "seed of the deterministic data set and of the fault RNG")
    token_ttl: float = _knob(3600.0, "access-token lifetime in seconds (expires_in)")
    # --- limits ---
    requests_per_minute: int = _knob(60, "max authenticated requests per rate window (the token call counts)")
    rate_window_seconds: float = _knob(60.0, "length of the sliding rate-limit window in seconds")
    finder_hourly_limit: int = _knob(200, "email-finder requests per sliding hour")
    verifier_hourly_limit: int = _knob(500, "emails submitted to the verifier per sliding hour")
    hourly_window_seconds: float = _knob(
        3600.0, "length of the finder/verifier quota window in seconds (shorter: tests run 'hours' in seconds)"
    )
    quota_answer: str = _knob(
        "429", "how a spent hourly quota is answered: 429 (with Retry-After) or 200 ({success: false}, no Retry-After)"
    )
    deleted_campaign_answer: str = _knob(
        "404",
        "what the endpoints of a campaign deleted via DELETE /_sandbox/campaigns/{id} answer: 404 (the "
        "documented not-found body), 200-empty (an empty list) or 200-success-false ({success: false})",
    )
    # --- credits ---
    initial_balance: float = _knob(25000.0, "credit balance after start/reset")
    # --- async tasks ---
    task_delay_seconds: float = _knob(0.0, "an async task stays in_progress at least this long")
    task_polls_pending: int = _knob(1, "... and for at least this many result polls")
    greylisted_share: float = _knob(0.1, "share of verified emails answered greylisted")
    task_hash_ttl_seconds: float = _knob(
        0.0, "a v2 task_hash answers 404 this long after its task completed (0 = never expires)"
    )
    greylist_seconds: float = _knob(
        0.0,
        "a greylisted email answers greylisted this long before its real verdict (0: in_progress again, "
        "then the verdict after the usual task delay/polls)",
    )
    status_error_every: int = _knob(
        0,
        "every Nth v1 status read (#12, #17; counted per route from when the knob is set) answers 503 "
        "before it counts or changes anything (0 = off)",
    )
    # --- data sizes (DATA_KNOBS) ---
    campaigns: int = _knob(6, "number of campaigns (>= 3: a big one, an exactly-10k one, small ones)")
    big_campaign_replies: int = _knob(25500, "replies of the big campaign (> 25,000 exercises offset paging)")
    exact_campaign_replies: int = _knob(10000, "replies of the campaign with exactly one full page")
    small_campaign_events: int = _knob(60, "approx. events of each small campaign")
    lists: int = _knob(4, "number of prospect lists")
    list_prospects: int = _knob(230, "prospects in the big list (the others hold a few)")
    do_not_email_lists: int = _knob(2, "number of do-not-email lists")
    webhooks: int = _knob(3, "webhooks present after reset")
    max_webhooks: int = _knob(50, "webhook limit of the account")
    # --- event order and identity (Snov.io documents neither; off = the sandbox's default reading) ---
    newest_first_events: bool = _knob(
        False, "serve replies/opens/clicks/sent newest first (offset 0 = the newest event) instead of oldest first"
    )
    shared_event_ids: bool = _knob(
        False, "repeated opens/clicks of one recipient share one id (with different event times)"
    )
    # --- 2026 enrichment v2 and database search (#42-#51): readings of ambiguous docs; off = the default ---
    enrichment_charge_unique: bool = _knob(
        False, "#42/#44 charge a name or URL once ever ('1 per domain found' read per unique input), not per start"
    )
    database_free_account: bool = _knob(
        False, "the account is a free one: #46 refuses page > 1 (400 naming page; 'free accounts get page 1 only')"
    )
    database_results_charged: bool = _knob(
        False, "the first completed read of a non-empty #47 page costs 1 credit (#47's credits are 'not stated')"
    )
    # --- 2026 sender accounts and warm-up (#52-#61): readings of ambiguous docs; off = the default reading ---
    sender_connection_words: str = _knob(
        "valid",
        "connection status words of #52-#55: valid (pending|valid|invalid, as #54/#55 say) or connected "
        "(pending|connected|error, as #53 says)",
    )
    warm_up_per_day_max: int = _knob(
        1000, "the plan's per_day cap of #56/#59 ('1-1000 depending on plan'); above it answers 422 naming per_day"
    )
    # --- 2026 recipients endpoints (#72/#73; Snov.io's text is ambiguous, off = the sandbox's default reading) ---
    activity_window_inclusive: bool = _knob(
        False,
        "#72 counts its 31-day window inclusively (dateTo - dateFrom <= 30) instead of as the difference (<= 31)",
    )
    activity_date_to_exclusive: bool = _knob(
        False, "#72 serves the events before dateTo's first second (dateTo excluded) instead of through its last"
    )
    activity_iso_event_time: bool = _knob(
        False, "#72 serves event_time as ISO 8601 UTC ('2025-12-15T10:58:52Z', as described) instead of the sample's"
    )
    all_replies_page_size: int = _knob(100, "records per #73 all-replies page (undocumented; >= 1)")
    # --- 2026 campaigns v2 and step content (#62-#71; Snov.io's text is ambiguous, off = the default reading) ---
    campaign_state_refusal_status: int = _knob(
        200, "HTTP status of a refused #66 state change ({success: false, errors[]}): 200, 400 or 422"
    )
    campaign_state_noop_succeeds: bool = _knob(
        False, "#66 answers success for an action whose state the campaign is already in (instead of errors)"
    )
    campaign_archive_any_state: bool = _knob(
        False, "#66 archives a campaign in any stopped state (new, paused, completed), not only a completed one"
    )
    campaign_start_with_empty_content: bool = _knob(
        False, "#66 starts a campaign whose email steps still have empty message blocks (instead of refusing)"
    )
    campaign_unknown_schedule_404: bool = _knob(
        False, "#62/#64 answer an unknown schedule_id with 404 (the documented not-found body) instead of 422"
    )
    step_content_id_index: bool = _knob(
        False, "#68-#71 content_id is the block's 1-based slot number (the #68 sample) instead of its #63 slot id"
    )
    # --- 2026 §3 changes to existing endpoints (off = the older edition's behaviour) ---
    analytics_dates_required: bool = _knob(
        False, "#19 refuses a request without both date_from and date_to (2026 marks them required; off: all time)"
    )
    capitalised_statuses: bool = _knob(
        False,
        "finder/verifier answer statuses capitalised, as the 2026 prose writes them (Valid, Not_valid, Unknown, "
        "Greylisted; unknown_status_reason Greylist, Catchall...) instead of the samples' lowercase",
    )
    v2_task_hash_in_meta: bool = _knob(
        False, "the v2 finder/verifier starts (#12v2/#17v2) put task_hash in meta (older text) instead of data (2026)"
    )
    # --- faults (random from a seeded RNG; all off by default) ---
    error_rate: float = _knob(0.0, "share of API requests answered 500/502/503")
    burst_429_every: int = _knob(0, "after every N API requests ...")
    burst_429_length: int = _knob(0, "... answer M consecutive requests 429")
    latency_ms: int = _knob(0, "extra latency added to every API request")
    truncate_rate: float = _knob(0.0, "share of API responses whose body is cut mid-JSON")
    drop_rate: float = _knob(0.0, "share of API requests whose connection is closed mid-answer")
    nul_rate: float = _knob(0.0, "share of API responses with stray NUL bytes inserted in the body")
    fault_phase: str = _knob(
        "before", "before: a fault replaces the request (no effect); after: request takes effect, then fault"
    )
    fault_routes: str = _knob(
        "",
        "comma-separated path prefixes, each optionally after a method ('POST /v1/lists'), to which the "
        "random faults apply (empty = every API route)",
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError on a value the sandbox cannot honour."""
        if self.fault_phase not in FAULT_PHASES:
            raise ValueError(f"fault_phase must be one of {FAULT_PHASES}, got {self.fault_phase!r}")
        if self.quota_answer not in QUOTA_ANSWERS:
            raise ValueError(f"quota_answer must be one of {QUOTA_ANSWERS}, got {self.quota_answer!r}")
        if self.deleted_campaign_answer not in DELETED_CAMPAIGN_ANSWERS:
            raise ValueError(
                f"deleted_campaign_answer must be one of {DELETED_CAMPAIGN_ANSWERS}, "
                f"got {self.deleted_campaign_answer!r}"
            )
        for name in ("error_rate", "truncate_rate", "drop_rate", "nul_rate", "greylisted_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value!r}")
        if self.error_rate + self.truncate_rate + self.drop_rate > 1.0:
            raise ValueError("error_rate + truncate_rate + drop_rate must not exceed 1")
        for name in ("requests_per_minute", "finder_hourly_limit", "verifier_hourly_limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.rate_window_seconds <= 0 or self.token_ttl <= 0 or self.hourly_window_seconds <= 0:
            raise ValueError("rate_window_seconds, token_ttl and hourly_window_seconds must be > 0")
        if self.sender_connection_words not in SENDER_CONNECTION_WORDS:
            raise ValueError(f"sender_connection_words must be one of {SENDER_CONNECTION_WORDS}")
        if self.campaign_state_refusal_status not in (200, 400, 422):
            raise ValueError("campaign_state_refusal_status must be 200, 400 or 422")
        if not 1 <= self.warm_up_per_day_max <= 1000:
            raise ValueError("warm_up_per_day_max must be from 1 to 1000")
        if self.campaigns < 3:
            raise ValueError("campaigns must be >= 3")
        if self.all_replies_page_size < 1:
            raise ValueError("all_replies_page_size must be >= 1")
        if self.lists < 1 or self.do_not_email_lists < 1:
            raise ValueError("lists and do_not_email_lists must be >= 1")
        for name in (
            "port",
            "burst_429_every",
            "burst_429_length",
            "latency_ms",
            "task_polls_pending",
            "big_campaign_replies",
            "exact_campaign_replies",
            "small_campaign_events",
            "list_prospects",
            "webhooks",
            "max_webhooks",
            "task_delay_seconds",
            "task_hash_ttl_seconds",
            "greylist_seconds",
            "status_error_every",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")

    # --- helpers shared by the CLI, /_sandbox/config and SandboxServer.configure ---

    @classmethod
    def knob_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def knob_types(cls) -> dict[str, type]:
        return {f.name: type(f.default) for f in dataclasses.fields(cls)}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def with_changes(self, changes: dict[str, Any]) -> SandboxConfig:
        """A validated copy with ``changes`` applied; unknown names or wrong types raise ValueError."""
        types = self.knob_types()
        unknown = sorted(set(changes) - set(types))
        if unknown:
            raise ValueError(f"unknown config knob(s): {', '.join(unknown)}")
        coerced: dict[str, Any] = {}
        for name, value in changes.items():
            coerced[name] = coerce_knob(name, types[name], value)
        return dataclasses.replace(self, **coerced)


#: Fields that shape the seeded data: changing one regenerates the data set.
DATA_KNOBS = frozenset(
    {
        "seed",
        "campaigns",
        "big_campaign_replies",
        "exact_campaign_replies",
        "small_campaign_events",
        "lists",
        "list_prospects",
        "do_not_email_lists",
        "webhooks",
    }
)


def coerce_knob(name: str, kind: type, value: Any) -> Any:
    """Convert a JSON/CLI value to the knob's type, refusing lossy or nonsensical conversions."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{name} must be a boolean")
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"{name} must be an integer")
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{name} must be an integer") from None
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"{name} must be a number")
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number") from None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value
