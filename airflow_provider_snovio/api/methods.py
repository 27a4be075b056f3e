"""The public Snov.io methods, one per catalogue row, plus iterators and task waiters.

:class:`SnovioMethods` is a mixin: a class that provides ``call(row, **arguments)`` (the sync
client, and the hook by delegation) gets every method here with its documented name, arguments and
docstring. Each method hands its own catalogue row (``ENDPOINTS.get_balance``) and its arguments to
``call``; what goes where on the wire is in the row. No method looks an endpoint up by name.

Each method's return type is the ``TypedDict`` of its documented answer (:mod:`api.answers`), cast from
``call``'s parsed JSON: nothing is checked or dropped at run time, a type checker reads the keys.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from airflow_provider_snovio.api import answers as a
from airflow_provider_snovio.api.catalogue import (
    ACTIVITY_LIMIT_MAX,
    ACTIVITY_WINDOW_DAYS,
    ENDPOINTS,
    Endpoint,
    Task,
    endpoint,
)
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import (
    SnovioError,
    SnovioResponseError,
    SnovioTaskTimeoutError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.paging import (
    Page,
    iter_cursor,
    iter_has_more,
    iter_offset,
    iter_offset_to_empty,
    iter_pages,
)
from airflow_provider_snovio.api.status import TaskState, task_hash_of, task_state
from airflow_provider_snovio.api.validation import iso_date

#: Defaults for polling asynchronous results (seconds). Snov.io tasks usually finish in seconds.
DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_TASK_TIMEOUT = 600.0


def check_wait_times(poll_interval: float, timeout: float) -> None:
    """Refuse a NaN, infinite or non-positive ``poll_interval`` and a NaN, infinite or negative ``timeout``.

    Checked before a task is started (and paid for): a NaN deadline never passes, so the wait would
    never end, and a zero interval would poll as fast as the rate limit allows.
    """
    for name, value, least in (("poll_interval", poll_interval, "positive"), ("timeout", timeout, "non-negative")):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SnovioValidationError(name, f"must be a number of seconds, got {type(value).__name__}")
        if not math.isfinite(value) or value < 0 or (value == 0 and least == "positive"):
            raise SnovioValidationError(name, f"must be a finite, {least} number of seconds, got {value!r}")


#: Rows per page when iterating prospects in a list (#34) unless the caller asks for more (up to
#: :data:`LIST_PAGE_MAX`, 5000 in the 2026 text): 100, the older edition's cap, which both editions accept.
LIST_PAGE_SIZE = 100
#: Warm-ups per page of #57 (the largest of the allowed 20, 50, 100).
WARM_UP_PAGE_SIZE = 100


class SnovioMethods:
    """Every Snov.io endpoint as a method. Subclasses implement :meth:`call`."""

    #: Injected by tests; real code sleeps and reads the monotonic clock.
    _sleep: Callable[[float], None] = staticmethod(time.sleep)
    _clock: Callable[[], float] = staticmethod(time.monotonic)

    def call(self, endpoint: Endpoint | str, /, **arguments: Any) -> Any:  # pragma: no cover - abstract
        """Send ``endpoint`` (a row of :data:`ENDPOINTS`; a name is looked up) with ``arguments``."""
        raise NotImplementedError

    # 1a. Domain search (v2, asynchronous) ------------------------------------------------------
    def start_domain_search(self, domain: str) -> a.TaskStarted:
        """Start a company-info search (#1). Returns the start answer; see :func:`task_hash_of`."""
        return cast(a.TaskStarted, self.call(ENDPOINTS.start_domain_search, domain=domain))

    def get_domain_search_result(self, task_hash: str) -> a.CompanyInfoResult:
        """Company info of a started search (#2)."""
        return cast(a.CompanyInfoResult, self.call(ENDPOINTS.get_domain_search_result, task_hash=task_hash))

    def start_prospects_search(
        self, domain: str, positions: Sequence[str] | None = None, page: int = 1
    ) -> a.TaskStarted:
        """Start a prospects search (#3): 20 per page, up to 10 ``positions``."""
        return cast(
            "a.TaskStarted", self.call(ENDPOINTS.start_prospects_search, domain=domain, positions=positions, page=page)
        )

    def get_prospects_result(self, task_hash: str) -> a.ProspectsResult:
        """Prospects of a started search (#4)."""
        return cast(a.ProspectsResult, self.call(ENDPOINTS.get_prospects_result, task_hash=task_hash))

    def start_prospect_email_search(self, prospect_hash: str) -> a.TaskStarted:
        """Start finding one prospect's emails (#5); ``prospect_hash`` ends its ``search_emails_start`` URL."""
        return cast(a.TaskStarted, self.call(ENDPOINTS.start_prospect_email_search, prospect_hash=prospect_hash))

    def get_prospect_email_search_result(self, task_hash: str) -> a.ProspectEmailsResult:
        """A prospect's emails (#6)."""
        return cast(
            "a.ProspectEmailsResult", self.call(ENDPOINTS.get_prospect_email_search_result, task_hash=task_hash)
        )

    def start_domain_emails_search(self, domain: str, next_cursor: str | None = None) -> a.TaskStarted:
        """Start a domain-emails search (#7); ``next_cursor`` is the previous result's ``meta.next``."""
        return cast(
            "a.TaskStarted", self.call(ENDPOINTS.start_domain_emails_search, domain=domain, next_cursor=next_cursor)
        )

    def get_domain_emails_result(self, task_hash: str) -> a.DomainEmailsResult:
        """Domain emails (#8)."""
        return cast(a.DomainEmailsResult, self.call(ENDPOINTS.get_domain_emails_result, task_hash=task_hash))

    def start_generic_contacts_search(self, domain: str, next_cursor: str | None = None) -> a.TaskStarted:
        """Start a generic-contacts search (#9)."""
        return cast(
            "a.TaskStarted", self.call(ENDPOINTS.start_generic_contacts_search, domain=domain, next_cursor=next_cursor)
        )

    def get_generic_contacts_result(self, task_hash: str) -> a.DomainEmailsResult:
        """Generic contacts (#10)."""
        return cast(a.DomainEmailsResult, self.call(ENDPOINTS.get_generic_contacts_result, task_hash=task_hash))

    # 1b. Finder and enrichment (v1) ------------------------------------------------------------
    def get_domain_emails_count(self, domain: str) -> dict[str, Any]:
        """How many emails Snov.io has for ``domain`` (#11, free)."""
        return cast(dict[str, Any], self.call(ENDPOINTS.get_domain_emails_count, domain=domain))

    def get_emails_from_names(self, first_name: str, last_name: str, domain: str) -> a.FinderAnswer:
        """Email finder (#12): ``status.identifier`` complete | in_progress | not_found."""
        return cast(
            "a.FinderAnswer",
            self.call(ENDPOINTS.get_emails_from_names, first_name=first_name, last_name=last_name, domain=domain),
        )

    def add_names_to_find_emails(self, first_name: str, last_name: str, domain: str) -> a.NameQueued:
        """Queue a name for the finder (#13, 1 credit); ask :meth:`get_emails_from_names` later."""
        return cast(
            "a.NameQueued",
            self.call(ENDPOINTS.add_names_to_find_emails, first_name=first_name, last_name=last_name, domain=domain),
        )

    def add_url_for_search(self, url: str) -> dict[str, Any]:
        """Queue a LinkedIn/X profile URL (#14, 1 credit)."""
        return cast(dict[str, Any], self.call(ENDPOINTS.add_url_for_search, url=url))

    def get_emails_from_url(self, url: str) -> a.UrlProspects:
        """Prospect found from a profile URL (#15, free)."""
        return cast(a.UrlProspects, self.call(ENDPOINTS.get_emails_from_url, url=url))

    def get_profile_by_email(self, email: str) -> dict[str, Any]:
        """Profile of an email's owner (#16, 1 credit; none if not found)."""
        return cast(dict[str, Any], self.call(ENDPOINTS.get_profile_by_email, email=email))

    # 1c. Email verifier ------------------------------------------------------------------------
    def get_emails_verification_status(self, emails: Iterable[str]) -> a.VerificationStatuses:
        """Verification status keyed by email (#17). Longer lists are sent 10 at a time and merged."""
        return cast(
            "a.VerificationStatuses", self.call(ENDPOINTS.get_emails_verification_status, emails=_listed(emails))
        )

    def add_emails_to_verification(self, emails: Iterable[str]) -> a.VerificationQueued:
        """Queue emails for verification (#18, 1 credit each); duplicates dropped, 10 per request."""
        return cast(a.VerificationQueued, self.call(ENDPOINTS.add_emails_to_verification, emails=_listed(emails)))

    def start_email_verification(self, emails: Iterable[str]) -> a.VerificationStarted:
        """Start a v2 verification of at most 10 emails."""
        return cast(a.VerificationStarted, self.call(ENDPOINTS.start_email_verification, emails=_listed(emails)))

    def get_email_verification_result(self, task_hash: str) -> a.VerificationResult:
        """v2 verification result."""
        return cast(a.VerificationResult, self.call(ENDPOINTS.get_email_verification_result, task_hash=task_hash))

    def start_emails_by_name(self, rows: Sequence[Mapping[str, str]]) -> a.FinderStarted:
        """Start a v2 email finder for at most 10 ``{first_name, last_name, domain}`` rows."""
        return cast(a.FinderStarted, self.call(ENDPOINTS.start_emails_by_name, rows=list(rows)))

    def get_emails_by_name_result(self, task_hash: str) -> a.FinderResult:
        """v2 email finder result."""
        return cast(a.FinderResult, self.call(ENDPOINTS.get_emails_by_name_result, task_hash=task_hash))

    # 1d. Campaigns -----------------------------------------------------------------------------
    def get_campaign_analytics(
        self,
        campaign_ids: Iterable[int | str] | None = None,
        date_from: Any = None,
        date_to: Any = None,
        sender_emails: Iterable[int | str] | None = None,
        sender_linkedin: Iterable[int | str] | None = None,
        campaign_owners: Iterable[str] | None = None,
    ) -> a.CampaignAnalytics:
        """Campaign statistics (#19) between ``date_from`` and ``date_to`` (inclusive, yyyy-mm-dd or dates).

        Leave both out for all-time statistics: both are still sent (the 2026 text makes them required),
        as ``date_from`` 2000-01-01 (:data:`~.validation.ANALYTICS_ALL_TIME_FROM`) and ``date_to`` today
        (UTC). One without the other is refused, as is a range that runs backwards. The id filters are
        sent comma-joined.
        """
        return cast(
            "a.CampaignAnalytics",
            self.call(
                ENDPOINTS.get_campaign_analytics,
                campaign_ids=_listed(campaign_ids),
                date_from=date_from,
                date_to=date_to,
                sender_emails=_listed(sender_emails),
                sender_linkedin=_listed(sender_linkedin),
                campaign_owners=_listed(campaign_owners),
            ),
        )

    def get_campaign_progress(self, campaign_id: int | str) -> a.CampaignProgress:
        """Status, unfinished recipients and progress of a campaign (#20)."""
        return cast(a.CampaignProgress, self.call(ENDPOINTS.get_campaign_progress, campaign_id=campaign_id))

    def change_recipient_status(self, campaign_id: int | str, email: str, status: str) -> dict[str, Any]:
        """Set a recipient Active, Paused or Unsubscribed (#21)."""
        return cast(
            "dict[str, Any]",
            self.call(ENDPOINTS.change_recipient_status, campaign_id=campaign_id, email=email, status=status),
        )

    def get_finished_prospects(self, campaign_id: int | str) -> list[a.FinishedProspect]:
        """Prospects who finished the campaign (#22)."""
        return cast(list[a.FinishedProspect], self.call(ENDPOINTS.get_finished_prospects, campaign_id=campaign_id))

    def get_campaign_replies(self, campaign_id: int | str, offset: int | None = None) -> list[a.CampaignEvent]:
        """Up to 10,000 replies (#23). Without ``offset`` Snov.io returns the LAST 10,000."""
        return cast(
            "list[a.CampaignEvent]", self.call(ENDPOINTS.get_campaign_replies, campaign_id=campaign_id, offset=offset)
        )

    def get_campaign_opens(self, campaign_id: int | str, offset: int | None = None) -> list[a.CampaignEvent]:
        """Up to 10,000 opens (#24)."""
        return cast(
            "list[a.CampaignEvent]", self.call(ENDPOINTS.get_campaign_opens, campaign_id=campaign_id, offset=offset)
        )

    def get_campaign_clicks(self, campaign_id: int | str, offset: int | None = None) -> list[a.CampaignEvent]:
        """Up to 10,000 link clicks (#25)."""
        return cast(
            "list[a.CampaignEvent]", self.call(ENDPOINTS.get_campaign_clicks, campaign_id=campaign_id, offset=offset)
        )

    def get_emails_sent(self, campaign_id: int | str, offset: int | None = None) -> list[a.SentEmail]:
        """Up to 10,000 sent emails (#26)."""
        return cast(list[a.SentEmail], self.call(ENDPOINTS.get_emails_sent, campaign_id=campaign_id, offset=offset))

    def get_user_campaigns(self) -> list[a.Campaign]:
        """All campaigns (#27)."""
        return cast(list[a.Campaign], self.call(ENDPOINTS.get_user_campaigns))

    def add_to_do_not_email_list(self, list_id: int | str, items: Iterable[str]) -> list[a.DoNotEmailAnswer]:
        """Add emails or domains to a do-not-email list (#28)."""
        return cast(
            "list[a.DoNotEmailAnswer]",
            self.call(ENDPOINTS.add_to_do_not_email_list, list_id=list_id, items=_listed(items)),
        )

    # 1e. Prospects and lists -------------------------------------------------------------------
    def add_prospect_to_list(self, list_id: int | str, email: str | None = None, **fields: Any) -> a.ProspectAdded:
        """Add or update a prospect (#29). ``fields``: full_name, first_name, last_name, phones,
        country, locality, position, company_name, company_site, update_contact, create_duplicates,
        custom_fields (mapping), social_links (mapping); Snov.io's camelCase names are accepted too.

        2026: ``email`` may be left out when ``social_links`` has a ``linkedIn`` URL; ``create_duplicates``
        adds a second prospect when the email already exists, and may not be true with ``update_contact``.
        A call with ``create_duplicates`` is not resent when its answer is lost (a resend would duplicate again).
        """
        return cast(
            "a.ProspectAdded", self.call(ENDPOINTS.add_prospect_to_list, list_id=list_id, email=email, **fields)
        )

    def get_prospect_by_id(self, prospect_id: str) -> a.ProspectById:
        """A prospect by id (#30)."""
        return cast(a.ProspectById, self.call(ENDPOINTS.get_prospect_by_id, prospect_id=prospect_id))

    def get_prospects_by_email(self, email: str) -> a.ProspectsByEmail:
        """Prospects with this email (#31)."""
        return cast(a.ProspectsByEmail, self.call(ENDPOINTS.get_prospects_by_email, email=email))

    def get_prospect_custom_fields(self) -> list[dict[str, Any]]:
        """Custom prospect fields (#32)."""
        return cast(list[dict[str, Any]], self.call(ENDPOINTS.get_prospect_custom_fields))

    def get_user_lists(self) -> list[a.UserList]:
        """Prospect lists (#33)."""
        return cast(list[a.UserList], self.call(ENDPOINTS.get_user_lists))

    def get_list_prospects(self, list_id: int | str, page: int = 1, per_page: int = LIST_PAGE_SIZE) -> a.ListProspects:
        """One page of a list's prospects, newest first (#34); ``per_page`` is at most 5000 (2026 cap; 100 before)."""
        return cast(
            "a.ListProspects", self.call(ENDPOINTS.get_list_prospects, list_id=list_id, page=page, per_page=per_page)
        )

    def create_prospect_list(self, name: str) -> list[a.CreatedList]:
        """Create a prospect list (#35)."""
        return cast(list[a.CreatedList], self.call(ENDPOINTS.create_prospect_list, name=name))

    def get_balance(self) -> a.Balance:
        """Credit balance (#36); ``data.balance`` is a string such as ``"25000.00"``."""
        return cast(a.Balance, self.call(ENDPOINTS.get_balance))

    # 1f. Webhooks ------------------------------------------------------------------------------
    def list_webhooks(self) -> a.WebhookList:
        """Registered webhooks (#37)."""
        return cast(a.WebhookList, self.call(ENDPOINTS.list_webhooks))

    def add_webhook(self, event_object: str, event_action: str, endpoint_url: str) -> a.WebhookAnswer:
        """Register a webhook (#38)."""
        return cast(
            "a.WebhookAnswer",
            self.call(
                ENDPOINTS.add_webhook, event_object=event_object, event_action=event_action, endpoint_url=endpoint_url
            ),
        )

    def change_webhook_status(self, webhook_id: int | str, status: str) -> a.WebhookAnswer:
        """Set a webhook ``active`` or ``deactivated`` (#39)."""
        return cast(a.WebhookAnswer, self.call(ENDPOINTS.change_webhook_status, webhook_id=webhook_id, status=status))

    def delete_webhook(self, webhook_id: int | str) -> a.WebhookDeleted:
        """Delete a webhook (#40)."""
        return cast(a.WebhookDeleted, self.call(ENDPOINTS.delete_webhook, webhook_id=webhook_id))

    # 1g. Legacy --------------------------------------------------------------------------------
    def get_domain_emails_with_info(
        self, domain: str, type: str = "all", limit: int = 100, last_id: int = 0, positions: Sequence[str] | None = None
    ) -> a.LegacyDomainEmails:
        """Legacy domain search (#41, older edition): up to 100 emails from after ``last_id``.

        ``lastId`` is required by the docs: 0 for the first page, then the previous answer's ``lastId``.
        Costs 1 credit per 10 emails returned, none when nothing is found.
        """
        return cast(
            "a.LegacyDomainEmails",
            self.call(
                ENDPOINTS.get_domain_emails_with_info,
                domain=domain,
                type=type,
                limit=limit,
                last_id=last_id,
                positions=positions,
            ),
        )

    # 2026 §1a. Enrichment (#42-#45) ------------------------------------------------------------
    def start_company_domain_by_name(
        self, names: Iterable[str], webhook_url: str | None = None
    ) -> a.CompanyDomainStarted:
        """Start finding the domains of at most 10 company names (#42; 1 credit per domain found)."""
        return cast(
            "a.CompanyDomainStarted",
            self.call(ENDPOINTS.start_company_domain_by_name, names=_listed(names), webhook_url=webhook_url),
        )

    def get_company_domain_by_name_result(self, task_hash: str) -> a.CompanyDomainResult:
        """Domains found by #42 (#43)."""
        return cast(
            "a.CompanyDomainResult", self.call(ENDPOINTS.get_company_domain_by_name_result, task_hash=task_hash)
        )

    def start_li_profiles_by_urls(self, urls: Iterable[str], webhook_url: str | None = None) -> a.LiProfilesStarted:
        """Start reading at most 10 LinkedIn profiles by URL (#44; 1 credit per profile returned)."""
        return cast(
            "a.LiProfilesStarted",
            self.call(ENDPOINTS.start_li_profiles_by_urls, urls=_listed(urls), webhook_url=webhook_url),
        )

    def get_li_profiles_by_urls_result(self, task_hash: str) -> a.LiProfilesResult:
        """Profiles read by #44 (#45); a URL nobody was found for has ``result: []``."""
        return cast("a.LiProfilesResult", self.call(ENDPOINTS.get_li_profiles_by_urls_result, task_hash=task_hash))

    # 2026 §1b. Database search (#46-#51) -------------------------------------------------------
    def start_database_prospects_search(
        self, filters: Mapping[str, Any], page: int = 1, webhook_url: str | None = None
    ) -> a.DatabaseSearchStarted:
        """Start one page of a prospect database search (#46; free; free accounts get page 1 only)."""
        return cast(
            "a.DatabaseSearchStarted",
            self.call(ENDPOINTS.start_database_prospects_search, filters=filters, page=page, webhook_url=webhook_url),
        )

    def get_database_prospects_result(self, task_hash: str) -> a.DatabaseProspectsResult:
        """A page of prospects (#47)."""
        return cast(
            "a.DatabaseProspectsResult", self.call(ENDPOINTS.get_database_prospects_result, task_hash=task_hash)
        )

    def start_database_prospect_email_search(self, reveal_hash: str) -> a.DatabaseEmailStarted:
        """Start revealing one database prospect (#48; 1 credit per prospect with an email, once).

        ``reveal_hash`` is the last path segment of the prospect's ``email_and_hidden_info_reveal`` URL, as
        returned (see :func:`reveal_hash_of`): the docs do not say whose hash it is, so it is never built.
        """
        return cast(
            "a.DatabaseEmailStarted",
            self.call(ENDPOINTS.start_database_prospect_email_search, reveal_hash=reveal_hash),
        )

    def get_database_prospect_email_result(self, task_hash: str) -> a.DatabaseProspectEmailResult:
        """A revealed prospect and its emails (#49)."""
        return cast(
            "a.DatabaseProspectEmailResult",
            self.call(ENDPOINTS.get_database_prospect_email_result, task_hash=task_hash),
        )

    def start_database_companies_search(
        self, filters: Mapping[str, Any], page: int = 1, webhook_url: str | None = None
    ) -> a.DatabaseSearchStarted:
        """Start one page of a company database search (#50; 1 credit per unique request with a result)."""
        return cast(
            "a.DatabaseSearchStarted",
            self.call(ENDPOINTS.start_database_companies_search, filters=filters, page=page, webhook_url=webhook_url),
        )

    def get_database_companies_result(self, task_hash: str) -> a.DatabaseCompaniesResult:
        """A page of companies (#51)."""
        return cast(
            "a.DatabaseCompaniesResult", self.call(ENDPOINTS.get_database_companies_result, task_hash=task_hash)
        )

    # 2026 §1c. Sender (email) accounts (#52-#55) ------------------------------------------------
    def list_email_accounts(self) -> a.EmailAccountList:
        """Every sender (email) account (#52); an account's ``id`` is what ``sender_emails`` of #19 takes."""
        return cast(a.EmailAccountList, self.call(ENDPOINTS.list_email_accounts))

    def create_email_account(
        self,
        sender_name: str,
        email_from: str,
        password: str,
        smtp: Mapping[str, Any],
        imap: Mapping[str, Any] | None = None,
        **settings: Any,
    ) -> a.EmailAccountAnswer:
        """Add an SMTP/IMAP sender account (#53, JSON body). ``smtp``/``imap``: ``{host, port, encryption}``
        (the port fixes the encryption). ``settings``: reply_to, limitation, delay_type, delay_fixed,
        delay_from, delay_to, signature, bcc_email, tags, timezone_id (``timezoneId`` accepted too).

        Not idempotent: a second call adds a second account, so a lost answer is not resent."""
        return cast(
            "a.EmailAccountAnswer",
            self.call(
                ENDPOINTS.create_email_account,
                sender_name=sender_name,
                email_from=email_from,
                password=password,
                smtp=smtp,
                imap=imap,
                **settings,
            ),
        )

    def update_email_account(self, account_id: int | str, **fields: Any) -> a.EmailAccountAnswer:
        """Change only the ``fields`` given (#54, PATCH); at least one. ``reply_to``, ``signature``,
        ``bcc_email`` and ``tags`` are cleared with :data:`~airflow_provider_snovio.api.validation.CLEAR`;
        ``tags`` replaces the account's tags."""
        return cast("a.EmailAccountAnswer", self.call(ENDPOINTS.update_email_account, account_id=account_id, **fields))

    def get_sender_status(self, sender_account_id: int | str) -> a.SenderStatus:
        """SMTP/IMAP connection check of a sender account (#55); ``pending`` until the check finishes."""
        return cast(a.SenderStatus, self.call(ENDPOINTS.get_sender_status, sender_account_id=sender_account_id))

    # 2026 §1d. Warm-up (#56-#61) ----------------------------------------------------------------
    def create_warm_up(self, email_account_id: int | str, per_day: int, **settings: Any) -> a.WarmUpChanged:
        """Start warming up a sender account (#56, JSON body). ``settings``: strategy, from_ (``from``),
        increase, email_content, subject, body, reply_rate, campaign_deadline, providers,
        send_to_paid_domain, enable_ctd, enable_proxy, schedule_id, template_name. A progressive warm-up
        (the default) needs ``from_`` and ``increase``; ``email_content="specific"`` needs subject and body."""
        return cast(
            "a.WarmUpChanged",
            self.call(ENDPOINTS.create_warm_up, email_account_id=email_account_id, per_day=per_day, **settings),
        )

    def list_warm_ups(
        self, page: int = 1, per_page: int = WARM_UP_PAGE_SIZE, status: str | None = None
    ) -> a.WarmUpList:
        """One page of warm-ups (#57); ``per_page`` is 20, 50 or 100, ``status`` active, paused, completed
        or error."""
        return cast("a.WarmUpList", self.call(ENDPOINTS.list_warm_ups, page=page, per_page=per_page, status=status))

    def iter_warm_ups(self, status: str | None = None) -> Iterator[a.WarmUpItem]:
        """Every warm-up (#57), 100 a page, until ``meta.total_pages``."""
        row = ENDPOINTS.list_warm_ups
        prepare(row, {"page": 1, "per_page": WARM_UP_PAGE_SIZE, "status": status})  # fail early

        def fetch(cursor: str | None) -> Page:
            page = int(cursor or 1)
            body = self.list_warm_ups(page=page, per_page=WARM_UP_PAGE_SIZE, status=status)
            meta = body.get("meta") or {}
            following = str(page + 1) if page < int(meta.get("total_pages") or 0) else None
            return Page(list(body.get("data") or []), following, meta.get("total_items"))

        return iter_cursor(fetch, row.name, page_size=WARM_UP_PAGE_SIZE)

    def get_warm_up(self, warm_up_id: int | str) -> a.WarmUpAnswer:
        """One warm-up (#58)."""
        return cast(a.WarmUpAnswer, self.call(ENDPOINTS.get_warm_up, warm_up_id=warm_up_id))

    def update_warm_up(self, warm_up_id: int | str, **fields: Any) -> a.WarmUpChanged:
        """Change only the ``fields`` given (#59, PATCH): any create setting but ``email_account_id``
        (``from_`` up to 10 here), ``status`` (active, paused, completed, deleted) and ``make_endless``."""
        return cast(a.WarmUpChanged, self.call(ENDPOINTS.update_warm_up, warm_up_id=warm_up_id, **fields))

    def delete_warm_up(self, warm_up_id: int | str) -> a.WarmUpChanged:
        """Delete a warm-up and its statistics (#60)."""
        return cast(a.WarmUpChanged, self.call(ENDPOINTS.delete_warm_up, warm_up_id=warm_up_id))

    def get_warm_up_statistics(
        self, warm_up_id: int | str, period: str | None = None, date_from: Any = None, date_to: Any = None
    ) -> a.WarmUpStatistics:
        """Daily, per-provider and overall statistics (#61) for ``period`` (two_weeks, month) or from
        ``date_from`` to ``date_to``; ``data.is_calculated`` false means ask again later."""
        return cast(
            "a.WarmUpStatistics",
            self.call(
                ENDPOINTS.get_warm_up_statistics,
                warm_up_id=warm_up_id,
                period=period,
                date_from=date_from,
                date_to=date_to,
            ),
        )

    # 2026 §1e. Campaigns v2 (#62-#67) ---------------------------------------------------------
    def create_campaign(self, body: Mapping[str, Any]) -> a.CampaignV2Answer:
        """Create a campaign from its JSON ``body`` (#62): title, priority, recipients, sequence,
        complete_campaign_after_last_step and archive_in_months are required (email steps also need
        email_accounts, tracking, sending_settings and provider_matching). Every §4 limit is checked first.
        The campaign starts in status ``new`` with empty message blocks (fill them with #68).

        Not idempotent: a second call makes a second campaign, so a lost answer is not resent."""
        if not isinstance(body, Mapping):
            raise SnovioValidationError("body", f"expected a mapping, got {type(body).__name__}")
        return cast("a.CampaignV2Answer", self.call(ENDPOINTS.create_campaign, **body))

    def get_campaign(self, campaign_id: int | str) -> a.CampaignV2Answer:
        """A campaign's settings and sequence (#63); email steps list their message blocks in ``content``."""
        return cast("a.CampaignV2Answer", self.call(ENDPOINTS.get_campaign, campaign_id=campaign_id))

    def update_campaign(self, campaign_id: int | str, **fields: Any) -> a.CampaignV2Answer:
        """Change only the ``fields`` given (#64, PATCH; nested objects are merged, ``sequence`` replaces the
        flow); at least one. ``deals=CLEAR`` removes deal creation."""
        return cast("a.CampaignV2Answer", self.call(ENDPOINTS.update_campaign, campaign_id=campaign_id, **fields))

    def delete_campaign(self, campaign_id: int | str) -> a.CampaignDeleted:
        """Delete a campaign (#65): only in status new, completed or archived."""
        return cast("a.CampaignDeleted", self.call(ENDPOINTS.delete_campaign, campaign_id=campaign_id))

    def change_campaign_state(self, campaign_id: int | str, action: str) -> a.CampaignStateChanged:
        """Start, pause, resume, complete or archive (``archived``; ``archive`` is accepted) a campaign (#66).

        A refused change (``success`` false with ``errors``, e.g. the campaign is already there or an email
        step is still empty) raises :class:`~airflow_provider_snovio.api.errors.SnovioApiError` carrying the
        first error. Idempotent (repeating a change moves nothing further), so a lost answer is resent; the
        resent call may then be refused as "already" there although the first one took effect: a caller that
        needs "done" reads the status with :meth:`get_campaign`."""
        return cast(
            "a.CampaignStateChanged",
            self.call(ENDPOINTS.change_campaign_state, campaign_id=campaign_id, action=action),
        )

    def list_campaign_schedules(self) -> a.CampaignSchedules:
        """Sending schedules (#67); an ``id`` is what ``schedule_id`` of #62/#64 takes."""
        return cast("a.CampaignSchedules", self.call(ENDPOINTS.list_campaign_schedules))

    # 2026 §1f. Email step content (#68-#71) -----------------------------------------------------
    def create_email_step_content(
        self,
        campaign_id: int | str,
        step_id: int | str,
        content_id: int,
        subject: str,
        body: str,
        plain_text: bool = False,
        usage: str = "active",
    ) -> a.StepContentChanged:
        """Write message block ``content_id`` of email step ``step_id`` (#68); an existing block is
        overwritten, so sending it twice has the effect of once. Only while the campaign is new, paused or
        scheduled."""
        return cast(
            "a.StepContentChanged",
            self.call(
                ENDPOINTS.create_email_step_content,
                campaign_id=campaign_id,
                step_id=step_id,
                content_id=content_id,
                subject=subject,
                body=body,
                plain_text=plain_text,
                usage=usage,
            ),
        )

    def get_email_step_content(
        self, campaign_id: int | str, step_id: int | str, content_id: int | str
    ) -> a.StepContentAnswer:
        """One message block of an email step (#69)."""
        return cast(
            "a.StepContentAnswer",
            self.call(
                ENDPOINTS.get_email_step_content, campaign_id=campaign_id, step_id=step_id, content_id=content_id
            ),
        )

    def update_email_step_content(
        self, campaign_id: int | str, step_id: int | str, content_id: int | str, **fields: Any
    ) -> a.StepContentChanged:
        """Change only the ``fields`` given (#70): subject, body, plain_text, usage; at least one."""
        return cast(
            "a.StepContentChanged",
            self.call(
                ENDPOINTS.update_email_step_content,
                campaign_id=campaign_id,
                step_id=step_id,
                content_id=content_id,
                **fields,
            ),
        )

    def delete_email_step_content(
        self, campaign_id: int | str, step_id: int | str, content_id: int | str
    ) -> a.StepContentDeleted:
        """Delete a message block (#71); a step's last block cannot be deleted."""
        return cast(
            "a.StepContentDeleted",
            self.call(
                ENDPOINTS.delete_email_step_content, campaign_id=campaign_id, step_id=step_id, content_id=content_id
            ),
        )

    # 2026 §1g. Recipients, replies, do-not-email lists (#72-#75) -------------------------------
    def get_campaign_recipients_activity(
        self, campaign_id: int | str, date_from: Any, date_to: Any, offset: int = 0, limit: int = ACTIVITY_LIMIT_MAX
    ) -> a.RecipientsActivity:
        """Campaign events between ``date_from`` and ``date_to`` (#72, UTC days, at most 31 days apart).

        Sent, open, click, reply, bounce and unsubscribe events, ``limit`` (at most 1000) from ``offset``;
        ``pagination.has_more`` says whether more follow. Sent as the camelCase ``dateFrom``/``dateTo``.
        """
        return cast(
            "a.RecipientsActivity",
            self.call(
                ENDPOINTS.get_campaign_recipients_activity,
                campaign_id=campaign_id,
                date_from=date_from,
                date_to=date_to,
                offset=offset,
                limit=limit,
            ),
        )

    def get_campaign_all_replies(self, campaign_id: int | str, offset: int = 0) -> a.AllReplies:
        """E-mail and LinkedIn replies of a campaign (#73): one record per contact and reply type."""
        return cast(a.AllReplies, self.call(ENDPOINTS.get_campaign_all_replies, campaign_id=campaign_id, offset=offset))

    def get_recipients_status(self, campaign_id: int | str, emails: Iterable[str]) -> a.RecipientsStatus:
        """Whether each e-mail is a recipient of the campaign and its status (#74); duplicates dropped,
        100 per request, the answers' ``data`` joined."""
        return cast(
            "a.RecipientsStatus",
            self.call(ENDPOINTS.get_recipients_status, campaign_id=campaign_id, emails=_listed(emails)),
        )

    def list_do_not_email_lists(self) -> a.DoNotEmailLists:
        """Do-not-email lists (#75); an ``id`` is the ``list_id`` of :meth:`add_to_do_not_email_list`."""
        return cast(a.DoNotEmailLists, self.call(ENDPOINTS.list_do_not_email_lists))

    # 2026 §1h. CRM (#76-#77) -------------------------------------------------------------------
    def list_pipelines(self) -> a.Pipelines:
        """CRM pipelines with their deal counts and values (#76)."""
        return cast(a.Pipelines, self.call(ENDPOINTS.list_pipelines))

    def list_pipeline_stages(self, pipeline_id: int | str) -> a.PipelineStages:
        """Stages of a CRM pipeline, with their order and deals (#77)."""
        return cast(a.PipelineStages, self.call(ENDPOINTS.list_pipeline_stages, pipeline_id=pipeline_id))

    # Asynchronous tasks ------------------------------------------------------------------------
    def wait_for_task(
        self,
        result_method: Endpoint | str,
        task_hash: str,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TASK_TIMEOUT,
    ) -> Any:
        """Poll ``result_method`` (e.g. ``ENDPOINTS.get_domain_search_result``, or its name) until the task
        completes.

        ``in_progress`` / ``in progress`` mean wait; ``not_enough_credits`` raises
        :class:`SnovioOutOfCreditsError`; past ``timeout`` seconds raises
        :class:`SnovioTaskTimeoutError`. Every poll goes through the rate limiter, so waiting never
        costs more than ``timeout / poll_interval + 1`` calls.

        Any error raised once polling has begun carries ``task_hash`` and ``result_method`` (the row's
        name): the task was paid for, so the caller can wait on it again rather than start (and pay for) a
        new one.
        """
        row = endpoint(result_method, "result_method")
        if row.task is not Task.RESULT:
            raise SnovioValidationError("result_method", f"{row.name!r} is not a task result method")
        check_wait_times(poll_interval, timeout)
        deadline = self._clock() + timeout
        while True:
            try:
                body = self.call(row, task_hash=task_hash)
                done = task_state(body) is TaskState.DONE
            except SnovioValidationError:
                raise
            except SnovioError as error:
                if error.task_hash is None:
                    error.task_hash, error.result_method = task_hash, row.name
                raise
            if done:
                return body
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise SnovioTaskTimeoutError(
                    f"task {task_hash} still in progress after {timeout:g} s",
                    endpoint=row.path,
                    task_hash=task_hash,
                    result_method=row.name,
                )
            self._sleep(min(poll_interval, remaining))

    def run_task(
        self,
        start_method: Endpoint | str,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TASK_TIMEOUT,
        **arguments: Any,
    ) -> Any:
        """Start a v2 task with ``arguments`` and return its completed result.

        A :class:`SnovioTaskTimeoutError` (or any error while waiting) carries the started task's
        ``task_hash`` and ``result_method``: keep waiting with :meth:`wait_for_task` instead of paying again.
        """
        row = endpoint(start_method, "start_method")
        if row.result is None:
            raise SnovioValidationError("start_method", f"{row.name!r} does not start a task")
        check_wait_times(poll_interval, timeout)  # before the task is started and paid for
        started = self.call(row, **arguments)
        return self.wait_for_task(row.result, task_hash_of(started), poll_interval=poll_interval, timeout=timeout)

    # Iterators (one page in memory at a time) --------------------------------------------------
    # Each validates its arguments when called, so bad input fails before the first row is asked for
    # and before any request; each page size comes from the catalogue row (see paging.py for why the
    # loops are finite).
    def iter_campaign_replies(self, campaign_id: int | str) -> Iterator[dict[str, Any]]:
        """Every reply of a campaign, oldest first, however many there are."""
        return self._iter_events(ENDPOINTS.get_campaign_replies, campaign_id)

    def iter_campaign_opens(self, campaign_id: int | str) -> Iterator[dict[str, Any]]:
        """Every open of a campaign."""
        return self._iter_events(ENDPOINTS.get_campaign_opens, campaign_id)

    def iter_campaign_clicks(self, campaign_id: int | str) -> Iterator[dict[str, Any]]:
        """Every link click of a campaign."""
        return self._iter_events(ENDPOINTS.get_campaign_clicks, campaign_id)

    def iter_emails_sent(self, campaign_id: int | str) -> Iterator[dict[str, Any]]:
        """Every sent email of a campaign."""
        return self._iter_events(ENDPOINTS.get_emails_sent, campaign_id)

    def _iter_events(self, row: Endpoint, campaign_id: int | str) -> Iterator[dict[str, Any]]:
        prepare(row, {"campaign_id": campaign_id, "offset": 0})  # fail early
        return iter_offset(
            lambda offset: self.call(row, campaign_id=campaign_id, offset=offset), _page_size(row), row.name
        )

    def iter_list_prospects(self, list_id: int | str, per_page: int = LIST_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every prospect of a list, newest first (#34, page/perPage) until a page shorter than ``per_page``;
        ``per_page`` at most 5000 (the 2026 cap). The default stays 100, which the older edition's cap allows
        too: a server still clamping ``perPage`` to 100 would otherwise end the iteration after one page."""
        row = ENDPOINTS.get_list_prospects
        prepare(row, {"list_id": list_id, "page": 1, "per_page": per_page})  # per_page > 5000 fails here
        return iter_pages(
            lambda page: self.get_list_prospects(list_id, page=page, per_page=per_page),
            int(per_page),
            row.name,
            key="prospects",
            cap=_page_size(row),
        )

    def iter_prospects(
        self,
        domain: str,
        positions: Sequence[str] | None = None,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TASK_TIMEOUT,
    ) -> Iterator[dict[str, Any]]:
        """Every prospect of a domain (#3/#4): one task per 20-prospect page, until ``links.next`` is empty.

        Each page is a paid task, so no more pages are started than ``meta.total_count`` allows.
        """
        row = ENDPOINTS.start_prospects_search
        positions = _listed(positions)
        prepare(row, {"domain": domain, "positions": positions, "page": 1})  # fail early

        def fetch(cursor: str | None) -> Page:
            page = int(cursor or 1)
            body = self.run_task(
                row, domain=domain, positions=positions, page=page, poll_interval=poll_interval, timeout=timeout
            )
            links, meta = body.get("links") or {}, body.get("meta") or {}
            return Page(
                list(body.get("data") or []), str(page + 1) if links.get("next") else None, meta.get("total_count")
            )

        return iter_cursor(fetch, "iter_prospects", page_size=_page_size(row))

    def iter_domain_emails(self, domain: str, **wait: float) -> Iterator[dict[str, Any]]:
        """Every email of a domain (#7/#8), following the ``next`` cursor."""
        return self._iter_next_cursor(ENDPOINTS.start_domain_emails_search, domain, wait)

    def iter_generic_contacts(self, domain: str, **wait: float) -> Iterator[dict[str, Any]]:
        """Every generic contact of a domain (#9/#10)."""
        return self._iter_next_cursor(ENDPOINTS.start_generic_contacts_search, domain, wait)

    def _iter_next_cursor(self, row: Endpoint, domain: str, wait: Mapping[str, float]) -> Iterator[dict[str, Any]]:
        prepare(row, {"domain": domain})  # fail early

        def fetch(cursor: str | None) -> Page:
            body = self.run_task(row, domain=domain, next_cursor=cursor, **wait)
            meta = body.get("meta") or {}
            return Page(list(body.get("data") or []), meta.get("next"), meta.get("total_count"))

        return iter_cursor(fetch, row.name, page_size=_page_size(row))

    def iter_domain_emails_with_info(
        self, domain: str, type: str = "all", limit: int = 100, positions: Sequence[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every email of the legacy search (#41), following ``lastId`` from 0; ``limit`` at most 100."""
        row = ENDPOINTS.get_domain_emails_with_info
        positions = _listed(positions)
        prepare(row, {"domain": domain, "type": type, "limit": limit, "last_id": 0, "positions": positions})
        full = int(limit)

        def fetch(cursor: str | None) -> Page:
            body = self.get_domain_emails_with_info(
                domain, type=type, limit=limit, last_id=int(cursor or 0), positions=positions
            )
            rows = list(body.get("emails") or [])
            if len(rows) >= full and body.get("lastId") in (None, ""):
                raise SnovioResponseError(f"{row.name}: a full page came without lastId")
            return Page(rows, str(body.get("lastId")) if len(rows) >= full else None)

        return iter_cursor(fetch, row.name)

    # 2026 iterators (#72, #73) -----------------------------------------------------------------
    def iter_campaign_recipients_activity(
        self, campaign_id: int | str, date_from: Any, date_to: Any
    ) -> Iterator[dict[str, Any]]:
        """Every event of a campaign from ``date_from`` to ``date_to`` (#72), any length of range.

        The range is split into consecutive windows of 31 calendar days (``dateTo - dateFrom`` = 30, inside
        the documented limit however the server counts it), each read with offset/limit until
        ``pagination.has_more`` is false. Windows share no day, so no event is read twice.
        """
        row = ENDPOINTS.get_campaign_recipients_activity
        windows = activity_windows(date_from, date_to)
        for start, end in windows:  # every window validated before the first request
            prepare(row, {"campaign_id": campaign_id, "date_from": start, "date_to": end, "offset": 0})
        size = _page_size(row)

        def window(start: str, end: str) -> Iterator[dict[str, Any]]:
            def fetch(offset: int) -> Any:
                return self.get_campaign_recipients_activity(campaign_id, start, end, offset=offset, limit=size)

            return iter_has_more(fetch, size, f"{row.name} {start}..{end}")

        return (event for start, end in windows for event in window(start, end))

    def iter_campaign_all_replies(self, campaign_id: int | str) -> Iterator[dict[str, Any]]:
        """Every reply record of a campaign (#73), advancing ``offset`` by the rows received until an empty page."""
        row = ENDPOINTS.get_campaign_all_replies
        prepare(row, {"campaign_id": campaign_id, "offset": 0})  # fail early
        return iter_offset_to_empty(lambda offset: self.get_campaign_all_replies(campaign_id, offset=offset), row.name)


#: Calendar days per window of :meth:`SnovioMethods.iter_campaign_recipients_activity`: 31 days counted
#: inclusively (a difference of 30), accepted whether a server reads "<= 31 days" as the difference or the span.
ACTIVITY_WINDOW_SPAN = ACTIVITY_WINDOW_DAYS


def activity_windows(date_from: Any, date_to: Any) -> list[tuple[str, str]]:
    """``[(from, to), ...]``: consecutive yyyy-mm-dd windows of at most 31 calendar days covering the range.

    Both dates are required and validated (``date_from`` not after ``date_to``) before any request.
    """
    start_text = iso_date("date_from", date_from) if date_from is not None else None
    end_text = iso_date("date_to", date_to) if date_to is not None else None
    if start_text is None:
        raise SnovioValidationError("date_from", "is required")
    if end_text is None:
        raise SnovioValidationError("date_to", "is required")
    start, end = dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text)
    if start > end:
        raise SnovioValidationError("date_to", f"{end_text} is before date_from {start_text}")
    windows = []
    while start <= end:
        stop = min(end, start + dt.timedelta(days=ACTIVITY_WINDOW_SPAN - 1))
        windows.append((start.isoformat(), stop.isoformat()))
        start = stop + dt.timedelta(days=1)
    return windows


def _page_size(row: Endpoint) -> int:
    """A paged row's documented page size (every paged row has one; see the catalogue)."""
    if row.page_size is None:  # pragma: no cover - a catalogue mistake, caught by the catalogue tests
        raise TypeError(f"catalogue row {row.name} has no page_size")
    return row.page_size


def _listed(values: Iterable[Any] | None) -> list[Any] | None:
    """Materialise an iterable argument (a generator can only be validated once)."""
    if values is None or isinstance(values, str) or not isinstance(values, Iterable):
        return values  # type: ignore[return-value]  # the validator names the field
    return list(values)


def reveal_hash_of(prospect: Mapping[str, Any]) -> str:
    """The #48 path value of a #47 prospect: the last segment of its ``email_and_hidden_info_reveal`` URL."""
    link = prospect.get("email_and_hidden_info_reveal") if isinstance(prospect, Mapping) else None
    segment = str(link or "").split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not segment or segment == "{task_hash}":
        raise SnovioResponseError("prospect carries no email_and_hidden_info_reveal URL to call")
    return segment
