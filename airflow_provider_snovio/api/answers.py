"""The shapes of Snov.io's answers, as ``TypedDict``s: what the hook's typed methods return.

Why: a type checker then catches a mistyped key (``answer["data"]["balanse"]``) or a forgotten case (a
v2 result's ``data`` is an empty list while the task is in progress) before the code runs, instead of a
``KeyError`` in a nightly DAG. Nothing is checked at run time: the hook still returns the parsed JSON
as is, so a field Snov.io adds later is there too, just not declared (Snov.io's answers gain fields over
time, and the provider never fails on one it does not know).

Where the shapes come from: ``docs/api-reference.md`` (the numbers ``#36`` are its endpoint rows) and
the sandbox (``airflow_provider_snovio/sandbox/``), which serves them over HTTP.
``tests/integration/test_answers.py`` keeps the two in step: every key the sandbox serves at a level a
``TypedDict`` here describes must be declared, every required key must be served, and every declared key
must be served by at least one answer. A key that Snov.io documents as sometimes absent (or that the
sandbox serves only in some answers: a task still in progress, a "not found" answer) is ``NotRequired``
(or the whole ``TypedDict`` is ``total=False``); every other key is required.

No ``from __future__ import annotations`` here: with string annotations ``NotRequired`` is not seen at
run time and ``__required_keys__`` would be wrong (CPython issue 97727); the test reads them.
"""

import sys
from typing import Any, Literal

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required, TypedDict
else:  # pragma: no cover - Python 3.10: typing_extensions comes with Airflow (apache-airflow-core needs it)
    from typing_extensions import NotRequired, Required, TypedDict

#: The ``status`` of a v2 result (#2, #4, #6, #8, #10, v2 verification and finder). The docs' prose also
#: says "in progress"; :func:`~airflow_provider_snovio.api.status.task_state` accepts both. A
#: ``not_enough_credits`` answer is raised as an error by the client, never returned.
TaskStatus = Literal["completed", "in_progress", "in progress"]


# --------------------------------------------------------------------------------------------------
# Shared pieces


class PhpDateTime(TypedDict):
    """A PHP ``DateTime`` as Snov.io's v1 answers spell a timestamp (see :mod:`api.records`)."""

    date: str  # "2020-07-14 13:10:46.000000"
    timezone_type: int
    timezone: str


# --------------------------------------------------------------------------------------------------
# 1a. Domain search (v2, asynchronous)


class TaskStartMeta(TypedDict, total=False):
    """``meta`` of a v2 domain-search start (#1, #3, #5, #7, #9): the task_hash and the request echoed."""

    task_hash: Required[str]
    domain: str
    tab: str  # "prospects", "emails", "service"
    page: int  # #3
    positions: list[str]  # #3
    next: str  # #7, #9: the cursor sent


class TaskStartLinks(TypedDict):
    result: str  # the full result URL


class TaskStarted(TypedDict):
    """A v2 domain-search start (#1, #3, #5, #7, #9): ``{"data": [], "meta": {..., "task_hash"}, "links"}``.

    Read with :func:`~airflow_provider_snovio.api.status.task_hash_of`, which also accepts ``data.task_hash``.
    """

    data: list[Any]
    meta: TaskStartMeta
    links: TaskStartLinks


class CompanyInfo(TypedDict):
    company_name: str
    city: str
    founded: str
    website: str
    hq_phone: str
    industry: str
    size: str
    related_domains: list[str]


class CompanyInfoMeta(TypedDict):
    """The counts come with the finished result; while in progress ``meta`` is the start's."""

    domain: str
    task_hash: str
    prospects_count: NotRequired[int]
    emails_count: NotRequired[int]
    generic_contacts_count: NotRequired[int]


class CompanyInfoLinks(TypedDict):
    prospects: str
    domain_emails: str
    generic_contacts: str


class CompanyInfoResult(TypedDict):
    """#2. ``data`` is an empty list while in progress and when the domain is unknown; ``links`` is an
    empty list while in progress."""

    status: TaskStatus
    data: CompanyInfo | list[Any]
    meta: CompanyInfoMeta
    links: CompanyInfoLinks | list[Any]


class Prospect(TypedDict):
    """One prospect of #4; ``search_emails_start`` ends with the prospect_hash #5 takes."""

    first_name: str
    last_name: str
    position: str | None
    source_page: str | None
    search_emails_start: str


class ProspectsMeta(TypedDict):
    domain: str
    tab: str
    task_hash: str
    page: int
    positions: list[str]
    total_count: NotRequired[int]  # with the finished result


class NextLink(TypedDict):
    next: str  # "" on the last page


class ProspectsResult(TypedDict):
    """#4: 20 prospects per page; ``links.next`` empty on the last page (``links`` is ``[]`` in progress)."""

    status: TaskStatus
    data: list[Prospect]
    meta: ProspectsMeta
    links: NextLink | list[Any]


class FoundEmail(TypedDict):
    email: str
    smtp_status: str  # valid | unknown


class ProspectEmails(TypedDict):
    searching_date: str
    emails: list[FoundEmail]


class TaskHashMeta(TypedDict):
    task_hash: str


class ProspectEmailsResult(TypedDict):
    """#6; ``data`` is an empty list while in progress."""

    status: TaskStatus
    data: ProspectEmails | list[Any]
    meta: TaskHashMeta
    links: list[Any]


class DomainEmail(TypedDict):
    email: str


class DomainEmailsMeta(TypedDict):
    domain: str
    tab: str
    task_hash: str
    next: str  # the cursor of the next page ("" on the last); while in progress, the one sent
    total_count: NotRequired[int]  # with the finished result


class DomainEmailsResult(TypedDict):
    """#8 domain emails and #10 generic contacts: 50 per page, ``meta.next`` is the next cursor."""

    status: TaskStatus
    data: list[DomainEmail]
    meta: DomainEmailsMeta
    links: NextLink | list[Any]


class LegacyDomainEmails(TypedDict):
    """#41 (older edition): up to ``limit`` emails after ``lastId``; ``result`` is the total count.

    An ``emails`` item is a prospect (``type: "prospect"``, with names and position) or a generic address
    (``type: "email"``), so items stay plain dicts."""

    success: bool
    domain: str
    webmail: bool
    result: int
    lastId: int | str  # the cursor: the sandbox sends a number; read as text, never compared as a number
    limit: int
    companyName: str
    emails: list[dict[str, Any]]


# --------------------------------------------------------------------------------------------------
# 1b. Finder and enrichment (v1)


class FinderStatus(TypedDict):
    identifier: Literal["complete", "in_progress", "not_found"]
    description: str


class FinderEmail(TypedDict):
    email: str
    emailStatus: str  # valid | unknown


class FinderData(TypedDict):
    firstName: str
    lastName: str
    emails: list[FinderEmail]


class FinderParams(TypedDict):
    firstName: str
    lastName: str
    domain: str


class FinderAnswer(TypedDict):
    """#12 ``status.identifier`` complete | in_progress | not_found (see
    :func:`~airflow_provider_snovio.api.status.finder_state`); ``params`` echoes the request."""

    success: bool
    params: NotRequired[FinderParams]
    data: FinderData
    status: FinderStatus


class NameQueued(TypedDict):
    """#13 ``"sent": true`` once queued; the request and the account id are echoed."""

    success: bool
    sent: bool
    firstName: NotRequired[str]
    lastName: NotRequired[str]
    domain: NotRequired[str]
    userId: NotRequired[int]


class UrlProspects(TypedDict):
    """#15: ``data`` (one prospect) once found; a "couldn't find" ``message`` while the URL queued with
    #14 is still searched. Read with :func:`~airflow_provider_snovio.api.status.url_prospect`."""

    success: bool
    data: NotRequired[list[dict[str, Any]]]
    message: NotRequired[str]


# --------------------------------------------------------------------------------------------------
# 1c. Email verifier


class VerificationStatus(TypedDict):
    identifier: Literal["complete", "in_progress", "not_verified"]
    description: str


class VerificationData(TypedDict):
    email: str
    isValidFormat: bool
    isDisposable: bool
    isWebmail: bool
    isGibberish: bool
    smtpStatus: str  # valid | not_valid | greylisted | unknown
    isCatchall: bool
    isGreylist: bool
    isBannedError: bool
    isConnectionError: bool


class VerificationEntry(TypedDict):
    """One e-mail of #17; ``data`` is an empty list unless ``complete`` (see
    :func:`~airflow_provider_snovio.api.status.verification_state`)."""

    status: VerificationStatus
    data: VerificationData | list[Any]


#: #17: an object keyed by e-mail, beside ``"success": true`` (so a value is an entry or that bool).
VerificationStatuses = dict[str, VerificationEntry | bool]


class Queued(TypedDict):
    sent: bool


#: #18: ``{"<email>": {"sent": true}}`` beside ``"success": true``.
VerificationQueued = dict[str, Queued | bool]


class TaskRef(TypedDict):
    task_hash: str


class VerificationStartMeta(TypedDict):
    emails: list[str]


class VerificationStarted(TypedDict):
    """v2 verification start: the task_hash under ``data`` (2026; ``meta`` in the older text: read it with
    ``task_hash_of``, which accepts both)."""

    data: TaskRef
    meta: VerificationStartMeta


class V2Verdict(TypedDict):
    """One address as the v2 verifier and finder report it (2026 docs)."""

    smtp_status: str  # valid | not_valid | unknown, any case (compare with api.status.status_word)
    is_valid_format: bool
    is_disposable: bool
    is_webmail: bool
    is_gibberish: bool
    #: only with smtp_status "unknown": banned | catchall | connection_error | greylist | hidden_by_owner
    #: (the verifier's), any case
    unknown_status_reason: NotRequired[str]


class V2VerifiedEmail(TypedDict):
    email: str
    result: V2Verdict


class VerificationResultMeta(TypedDict):
    emails: list[str]
    task_hash: str


class VerificationResult(TypedDict):
    """v2 verification result; ``data`` is empty until ``completed``."""

    status: TaskStatus
    data: list[V2VerifiedEmail]
    meta: VerificationResultMeta


class FinderRow(TypedDict):
    first_name: str
    last_name: str
    domain: str


class FinderStartMeta(TypedDict):
    rows: list[FinderRow]


class FinderStarted(TypedDict):
    """v2 finder start: the task_hash under ``data`` (2026; the older text put it in ``meta``): read it with
    :func:`~airflow_provider_snovio.api.status.task_hash_of`, which accepts both."""

    data: TaskRef
    meta: FinderStartMeta


class V2FoundEmail(V2Verdict):
    email: str


class V2FinderPerson(TypedDict):
    """One row of the v2 finder result, in the order the rows were sent."""

    people: str  # "First Last"
    result: list[V2FoundEmail]


class FinderResultMeta(TypedDict):
    rows: list[FinderRow]
    task_hash: str


class FinderResult(TypedDict):
    """v2 finder result; ``data`` is empty until ``completed``."""

    status: TaskStatus
    data: list[V2FinderPerson]
    meta: FinderResultMeta


# --------------------------------------------------------------------------------------------------
# 1d. Campaigns


class CampaignAnalytics(TypedDict):
    """#19: one flat object of counts and rate strings (``"77%"``; read with ``records.rate``)."""

    total_contacted: int
    emails_sent: int
    first_emails: int
    first_emails_rate: str
    follow_ups: int
    follow_ups_rate: str
    delivered: int
    delivered_rate: str
    bounced: int
    bounced_rate: str
    contacted_by_email: int
    email_opens: int
    email_opens_rate: str
    link_clicks: int
    link_clicks_rate: str
    email_replies: int
    email_replies_rate: str
    unsubscribed: int
    unsubscribed_rate: str
    auto_replied: int
    auto_replied_rate: str
    contacted_by_linkedin: int
    linkedin_total_replies: int
    linkedin_total_replies_rate: str
    connection_request_replies: int
    connection_request_replies_rate: str
    message_replies: int
    message_replies_rate: str
    in_mail_replies: int
    in_mail_replies_rate: str
    connection_requests: int
    accepted_requests: int
    accepted_requests_rate: str
    failed_connection_requests: int
    messages_sent: int
    linkedin_views: int
    linkedin_likes: int
    linkedin_follows: int
    in_mail_sent: int
    interested: int
    interested_rate: str
    maybe: int
    maybe_rate: str
    not_interested: int
    not_interested_rate: str


class CampaignProgress(TypedDict):
    """#20 ``{"status": "Active", "unfinished": 1, "progress": "90%"}``."""

    status: str
    unfinished: int
    progress: str


class FinishedProspect(TypedDict):
    """A row of #22."""

    id: str
    prospectId: str
    userName: str
    userEmail: str
    campaign: str
    hash: str


class CampaignEvent(TypedDict):
    """A row of #23 replies, #24 opens, #25 clicks.

    Snov.io adds one ``customField_<name>`` key per custom field of the prospect: those keys cannot be
    declared, so read them with ``row.get(...)`` after a cast, or through
    :mod:`~airflow_provider_snovio.api.resources`."""

    id: str
    visitedAt: PhpDateTime
    campaignId: int
    campaign: str
    prospectId: str
    prospectFirstName: str
    prospectLastName: str
    prospectName: str
    sourcePage: str | None
    source: str | None
    locality: str | None
    industry: str | None
    country: str | None
    prospectEmail: str
    hash: str
    emailSubject: str
    emailBody: str
    skills: Any
    links: Any
    customFields: Any


#: The prefix of the per-custom-field keys of a :class:`CampaignEvent`.
CUSTOM_FIELD_KEY_PREFIX = "customField_"


class SentEmail(TypedDict):
    """A row of #26."""

    id: str
    sentDate: PhpDateTime
    userName: str
    userEmail: str
    campaign: str
    hash: str


class Campaign(TypedDict):
    """A row of #27; ``started_at`` is unix seconds, or None for a campaign never started."""

    id: int
    campaign: str
    list_id: int
    status: str
    created_at: int
    updated_at: int
    started_at: int | None
    hash: str


class Duplicates(TypedDict):
    duplicates: list[str]


class DoNotEmailAnswer(TypedDict):
    """The one item of #28's array-wrapped answer ``[{"success": true, "data": {"duplicates": []}}]``."""

    success: bool
    data: Duplicates


# --------------------------------------------------------------------------------------------------
# 1e. Prospects and lists


class ProspectAdded(TypedDict):
    """#29 ``{success, id, added, updated}``; with ``createDuplicates`` a new ``id`` even for a known e-mail."""

    success: bool
    id: str
    added: bool
    updated: bool


class ListRef(TypedDict):
    id: int
    name: str


class FullProspect(TypedDict):
    """A prospect of #30 / #31. The job and social entries stay plain dicts (many optional fields)."""

    id: str
    name: str | None
    firstName: str | None
    lastName: str | None
    industry: str | None
    country: str | None
    locality: str | None
    social: list[dict[str, Any]]
    lastUpdateDate: PhpDateTime
    currentJob: list[dict[str, Any]]
    previousJob: list[dict[str, Any]]
    lists: list[ListRef]
    campaigns: list[dict[str, Any]]


class ProspectById(TypedDict):
    """#30."""

    success: bool
    data: FullProspect


class ProspectsByEmail(TypedDict):
    """#31: every prospect with this e-mail (an empty list when none)."""

    success: bool
    data: list[FullProspect]


class UserList(TypedDict):
    """A row of #33; deleted lists are listed too (``isDeleted``)."""

    id: int
    name: str
    contacts: int
    isDeleted: bool
    creationDate: PhpDateTime
    deletionDate: PhpDateTime | None


class ListProspect(TypedDict):
    """A ``prospects[]`` row of #34; each of ``emails`` is a dict with ``email`` and verification flags."""

    id: str
    name: str | None
    firstName: str | None
    lastName: str | None
    emails: list[dict[str, Any]]


class ListInfo(TypedDict):
    name: str
    contacts: int
    creationDate: PhpDateTime
    emailsCount: Any


class ListProspects(TypedDict):
    """#34: one page, newest first; a page shorter than ``perPage`` is the last."""

    success: bool
    prospects: list[ListProspect]
    list: ListInfo


class CreatedListData(TypedDict):
    id: int


class CreatedList(TypedDict):
    """The one item of #35's array-wrapped answer ``[{"success": true, "data": {"id": 1234567}}]``."""

    success: bool
    data: CreatedListData


class BalanceData(TypedDict):
    balance: str
    teamwork: bool
    unique_recipients_used: int
    limit_resets_in: int
    expires_in: int


class Balance(TypedDict):
    """#36; ``data.balance`` is a string such as ``"25000.00"``."""

    success: bool
    data: BalanceData


# --------------------------------------------------------------------------------------------------
# 1f. Webhooks


class Webhook(TypedDict):
    id: int
    end_point: str
    event_object: str
    event_action: str
    status: str  # active | deactivated
    created_at: int


class WebhookItem(TypedDict):
    """#37 wraps each webhook in its own ``data``."""

    data: Webhook


class WebhooksMeta(TypedDict):
    webhooks_count: int
    user_id: int


class WebhookList(TypedDict):
    """#37."""

    data: list[WebhookItem]
    meta: WebhooksMeta


class UserMeta(TypedDict):
    user_id: int


class WebhookAnswer(TypedDict):
    """#38 (created) and #39 (status changed): the webhook as it now is."""

    data: Webhook
    meta: UserMeta


class Success(TypedDict):
    success: bool


class WebhookDeleted(TypedDict):
    """#40 ``{"data": {"success": true}}``."""

    data: Success


# --------------------------------------------------------------------------------------------------
# 2026 §1a. Enrichment (#42-#45): v2 tasks with the task_hash in the query, ``data.task_hash`` on start.


class CompanyNamesMeta(TypedDict):
    names: list[str]


class CompanyDomainStarted(TypedDict):
    """#42: ``{data{task_hash}, meta{names[]}}`` (read with ``task_hash_of``)."""

    data: TaskRef
    meta: CompanyNamesMeta


class CompanyDomain(TypedDict):
    domain: str


class CompanyDomainItem(TypedDict):
    """One name of #43; ``result`` is an empty list when no domain was found (sandbox reading, like #45)."""

    name: str
    result: CompanyDomain | list[Any]


class CompanyNamesResultMeta(TypedDict):
    names: list[str]
    task_hash: str


class CompanyDomainResult(TypedDict):
    """#43; ``data`` is an empty list while in progress."""

    status: TaskStatus
    data: list[CompanyDomainItem]
    meta: CompanyNamesResultMeta


class ProfileUrlsMeta(TypedDict):
    urls: list[str]


class LiProfilesStarted(TypedDict):
    """#44: ``{data{task_hash}, meta{urls[]}}``."""

    data: TaskRef
    meta: ProfileUrlsMeta


class LiPosition(TypedDict, total=False):
    """One position of a LinkedIn profile (#45); fields present only when known; ``url`` is the company site."""

    name: str
    title: str
    linkedin_url: str
    url: str
    industry: str
    country: str
    location: str
    specializations: list[str]


class LiProfile(TypedDict, total=False):
    """A LinkedIn profile (#45); fields present only when known."""

    name: str
    first_name: str
    last_name: str
    industry: str
    location: str
    country: str
    skills: list[str]
    positions: list[LiPosition]


class LiProfileItem(TypedDict):
    """One URL of #45: ``result`` is the profile, or ``[]`` when nothing was found (no credit)."""

    url: str
    result: LiProfile | list[Any]


class ProfileUrlsResultMeta(TypedDict):
    urls: list[str]
    task_hash: str


class LiProfilesResult(TypedDict):
    """#45; ``data`` is an empty list while in progress."""

    status: TaskStatus
    data: list[LiProfileItem]
    meta: ProfileUrlsResultMeta


# --------------------------------------------------------------------------------------------------
# 2026 §1b. Database search (#46-#51): v2 tasks with the task_hash in the path.


class DatabaseStartMeta(TypedDict):
    task_hash: str
    page: int


class DatabaseSearchStarted(TypedDict):
    """#46 / #50: ``{data: [], meta{task_hash, page}, links{result}}``."""

    data: list[Any]
    meta: DatabaseStartMeta
    links: TaskStartLinks


class DatabaseProspectCompany(TypedDict):
    name: str
    domain: str
    location: str
    industry: str
    size: str


class DatabaseProspect(TypedDict):
    """One prospect of #47: names and LinkedIn URL partly masked (``"Sm***"``) until revealed with #48."""

    first_name: str
    last_name: str
    job_title: str
    location: str
    linkedin_url: str
    industry: str
    list_id: NotRequired[int]  # only when the prospect is already in one of your lists
    email_and_hidden_info_reveal: str  # the #48 URL: call it as returned
    company: DatabaseProspectCompany


class DatabaseProspectsPage(TypedDict):
    total: int
    page: int
    total_pages: int
    prospects: list[DatabaseProspect]


class DatabaseProspectsResult(TypedDict):
    """#47; ``data`` is an empty list while in progress."""

    data: DatabaseProspectsPage | list[Any]
    meta: DatabaseStartMeta
    links: list[Any]
    status: TaskStatus


class DatabaseEmailStarted(TypedDict):
    """#48: ``{data: [], meta{task_hash}, links{result}}``."""

    data: list[Any]
    meta: TaskHashMeta
    links: TaskStartLinks


class DatabaseEmail(TypedDict):
    email: str
    smtp_status: str  # valid | unknown


class DatabaseProspectEmails(TypedDict):
    searching_date: str
    first_name: str
    last_name: str
    linkedin_url: str
    emails: list[DatabaseEmail]


class DatabaseProspectEmailResult(TypedDict):
    """#49; ``data`` is an empty list while in progress."""

    data: DatabaseProspectEmails | list[Any]
    meta: TaskHashMeta
    links: list[Any]
    status: TaskStatus


class DatabaseRevenue(TypedDict):
    min: int | None
    max: int | None
    reported: int | None


class DatabaseCompany(TypedDict):
    name: str
    domain: str
    location: str
    industry: str
    size: str
    revenue: DatabaseRevenue
    logo_url: str


class DatabaseCompaniesPage(TypedDict):
    total: int
    page: int
    total_pages: int
    companies: list[DatabaseCompany]


class DatabaseCompaniesResult(TypedDict):
    """#51; ``data`` is an empty list while in progress."""

    data: DatabaseCompaniesPage | list[Any]
    meta: DatabaseStartMeta
    links: list[Any]
    status: TaskStatus


# --------------------------------------------------------------------------------------------------
# 2026 §1c. Sender (email) accounts (#52-#55): ``{"data": ...}`` with no ``success``.

#: A connection's status: #53 says pending | connected | error, #54 and #55 say pending | valid | invalid
#: (the 2026 doc is inconsistent); accept all five.
ConnectionStatus = Literal["pending", "connected", "error", "valid", "invalid"]


class EmailAccountImap(TypedDict):
    """#52 ``imap``: the mailbox that collects replies; ``valid`` false = IMAP off."""

    username: str | None
    valid: bool


class EmailAccountSummary(TypedDict):
    """An item of #52; its ``id`` is what campaign analytics' ``sender_emails`` filter (#19) takes."""

    id: int
    sender_name: str
    email_from: str
    valid: bool
    suspended: bool  # true = sending is suspended
    limitation: int
    provider: str  # e.g. hostinger, godaddy, other
    tags: list[str]
    imap: EmailAccountImap


class EmailAccountList(TypedDict):
    """#52: every sender account at once (no paging)."""

    data: list[EmailAccountSummary]


class MailServer(TypedDict):
    host: str
    port: int
    encryption: str  # none | ssl | tls
    status: ConnectionStatus


class EmailAccount(TypedDict):
    """#53/#54: delays are ``delay_from``/``delay_to`` (random) or ``delay_fixed`` (fixed); ``imap``,
    ``signature`` and ``timezoneId`` only when set; ``created_at`` on #53, ``updated_at`` on #54 (ISO 8601)."""

    id: int
    sender_name: str
    email_from: str
    smtp: MailServer
    imap: NotRequired[MailServer]
    limitation: int
    delay_type: str  # fixed | random
    delay_from: NotRequired[int]
    delay_to: NotRequired[int]
    delay_fixed: NotRequired[int]
    reply_to: str | None
    signature: NotRequired[str | None]
    bcc_email: str | None
    tags: list[str]
    timezoneId: NotRequired[int]
    created_at: NotRequired[str]
    updated_at: NotRequired[str]


class EmailAccountAnswer(TypedDict):
    """#53 (created) and #54 (updated)."""

    data: EmailAccount


class ConnectionCheck(TypedDict):
    """``errors`` (e.g. "Connection refused") only when ``status`` is invalid."""

    status: ConnectionStatus
    errors: NotRequired[list[str]]


class SenderStatusData(TypedDict):
    smtp: ConnectionCheck
    imap: ConnectionCheck | None  # null when IMAP was never configured


class SenderStatus(TypedDict):
    """#55."""

    data: SenderStatusData


# --------------------------------------------------------------------------------------------------
# 2026 §1d. Warm-up (#56-#61): ``{"success": bool, "data": ...}``.

#: #58 says active | pending | paused | completed | error; #59 can also set deleted (then it is gone).
WarmUpStatus = Literal["active", "pending", "paused", "completed", "error"]


class WarmUpEmailAccount(TypedDict):
    id: int
    email_from: str
    type: str
    delay: int  # seconds between e-mails (sandbox: the fixed delay or the shortest random one)
    limit: int
    per_day: int
    schedule_required: bool
    provider: str  # gmail, microsoft, hostinger, zoho, titan, godaddy, other
    custom_tracking_domain: str | None


#: A warm-up as #57 lists it and #58 returns it. Functional form: ``from`` (the starting daily volume) is a
#: Python keyword, so it cannot be a class-body name; read it as ``warm_up["from"]``.
WarmUpItem = TypedDict(
    "WarmUpItem",
    {
        "id": int,
        "status": WarmUpStatus,
        "reply_rate": int,
        "send_to_paid_domain": bool,
        "start_date": str,  # YYYY-MM-DD
        "campaign_deadline": str | None,  # null = no end
        "strategy": str,  # progressive | steady
        "per_day": int,
        "from": int,
        "increase": int,
        "subject": str | None,
        "body": str | None,
        "template_name": str | None,
        "enable_ctd": bool,
        "schedule": dict[str, Any] | None,
        "enable_proxy": bool,
        "sent_today": int,
        "daily_limit": int,
        "total_saved_from_spam": int,
        "deliverability": float,  # inbox %
        "warm_up_error": str | None,
        "email_account": WarmUpEmailAccount,
    },
)


class WarmUpId(TypedDict):
    id: int


class WarmUpChanged(TypedDict):
    """#56 (created), #59 (updated) and #60 (deleted): ``{data{id}, success}``."""

    data: WarmUpId
    success: bool


class WarmUpAnswer(TypedDict):
    """#58."""

    data: WarmUpItem
    success: bool


class WarmUpPageMeta(TypedDict):
    total_items: int
    page: int
    per_page: int
    total_pages: int


class WarmUpList(TypedDict):
    """#57: one page of warm-ups."""

    data: list[WarmUpItem]
    success: bool
    meta: WarmUpPageMeta


class WarmUpDay(TypedDict):
    emails_sent: int
    replies: int
    bounces: int
    spam_emails: int
    inbox_emails: int
    categories_emails: int
    scheduled: int


class WarmUpProviderStatistics(TypedDict):
    """Keys seen: google, outlook, hostinger, other (not the gmail/microsoft of ``providers``)."""

    id: int
    count: int
    spam: int
    percent: float
    categories: NotRequired[int]


class WarmUpShare(TypedDict):
    count: int
    percent: float


class WarmUpDeliverability(TypedDict):
    inbox: WarmUpShare
    spam: WarmUpShare
    categories: WarmUpShare


class WarmUpStatisticsData(TypedDict):
    """``is_calculated`` false = still being computed: ask again later."""

    daily_statistics: dict[str, WarmUpDay]  # keyed "YYYY-MM-DD"
    provider_statistics: dict[str, WarmUpProviderStatistics]
    deliverability: WarmUpDeliverability
    is_calculated: bool


class WarmUpStatistics(TypedDict):
    """#61."""

    data: WarmUpStatisticsData
    success: bool


# 2026 §1e. Campaigns v2 (#62-#67): ``{"success": bool, "data": ...}``; schedules ``{"data": [...]}``.

#: A campaign's v2 status (the v2 text also writes pause/complete; compare case-insensitively).
CampaignV2Status = Literal["new", "active", "paused", "scheduled", "completed", "archived"]


class CampaignSequence(TypedDict):
    """``entry`` and ``steps``: each step a mapping with ``_ref`` (numeric once created), ``type`` and the
    keys of its type (``next``, ``yes``/``no``, ``waiting_type``/``waiting_val``, ``action``, ``goal_name``,
    ``content_slots``, ``subject``, ``body``, ``value``); email steps carry ``content``, their message
    blocks ``{id, plain_text, usage}`` (one per slot), which #64 wants back when it keeps a step."""

    entry: int
    steps: list[dict[str, Any]]


class CampaignRecipients(TypedDict):
    list_id: int
    black_list_id: int | None


class CampaignV2(TypedDict):
    """A campaign as #62/#63/#64 return it; ``deals`` only when configured."""

    id: int
    status: CampaignV2Status
    title: str
    email_accounts: list[int]
    linkedin_accounts: list[int]
    priority: Literal["low", "medium", "high"]
    tracking: dict[str, bool]
    sending_settings: dict[str, Any]
    recipients: CampaignRecipients
    schedule_id: int | None
    start_campaign_at: str | None  # YYYY-MM-DD HH:MM:SS
    complete_campaign_at: str | None
    timezone: str | None  # IANA name
    complete_campaign_after_last_step: bool
    archive_in_months: int
    provider_matching: bool
    sequence: CampaignSequence
    deals: NotRequired[dict[str, Any]]


class CampaignV2Answer(TypedDict):
    success: bool
    data: CampaignV2


class CampaignDeleted(TypedDict):
    success: bool


class CampaignStateChanged(TypedDict):
    """#66 when the change is made. A refusal (``{"success": false, "errors": [...]}``) is raised as a
    :class:`~airflow_provider_snovio.api.errors.SnovioApiError` whose message is the first error, like every
    2xx answer that says it failed, so it is never returned."""

    success: bool


class ScheduleDay(TypedDict):
    day: Literal["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
    enabled: bool
    start_time: str  # HH:MM
    end_time: str


class CampaignSchedule(TypedDict):
    id: int
    name: str
    timezone: str
    days: list[ScheduleDay]


class CampaignSchedules(TypedDict):
    data: list[CampaignSchedule]


# 2026 §1f. Email step content (#68-#71).


class StepContent(TypedDict):
    id: int
    subject: str
    body: str  # HTML
    plain_text: bool
    usage: Literal["active", "pause"]


class StepContentChanged(TypedDict):
    """#68/#70."""

    success: bool
    data: StepContent


class StepContentAnswer(TypedDict):
    """#69: the block without ``success``."""

    data: StepContent


class StepContentDeletedData(TypedDict):
    success: bool


class StepContentDeleted(TypedDict):
    """#71: ``{"data": {"success": true}}``."""

    data: StepContentDeletedData


# 2026 §1g. Recipients, replies, do-not-email lists (#72-#75)

#: ``event_type`` of a recipients-activity event (#72).
ActivityEventType = Literal["sent", "open", "click", "reply", "bounce", "unsubscribe"]


class RecipientActivityEvent(TypedDict):
    """One event of #72. ``event_time`` is documented as ISO 8601 UTC, sampled as "2025-12-15 10:58:52"
    (:func:`~airflow_provider_snovio.api.records.timestamp` parses both); phone numbers are strings."""

    event_time: str
    event_type: ActivityEventType
    sender_email: str
    email_subject: str
    recipient_email: str
    recipient_name: str
    phone: str | None
    industry: str | None
    country: str | None
    location: str | None
    company: str | None
    job_position: str | None
    hq_phone: str | None
    website: str | None


class ActivityPagination(TypedDict):
    total: int
    offset: int
    limit: int
    has_more: bool


class RecipientsActivity(TypedDict):
    """#72: ``{"data": [...], "pagination": {total, offset, limit, has_more}}``."""

    data: list[RecipientActivityEvent]
    pagination: ActivityPagination


#: ``replyType`` of an all-replies record (#73).
ReplyType = Literal["email", "linkedinMessage", "linkedinInvite", "linkedinInMail"]


class ReplyMessage(TypedDict):
    subject: str  # "" for LinkedIn replies
    message: str
    receivedAt: str  # "YYYY-MM-DD HH:MM:SS", zone not stated


class ReplyThread(TypedDict):
    """One record of #73: a contact's replies of one type, oldest first; ``receivedAt`` is the oldest's."""

    campaignId: int
    campaign: str
    prospectId: str
    prospectName: str
    prospectEmail: str | None
    linkedInProfile: str | None
    replyType: ReplyType
    receivedAt: str
    replies: list[ReplyMessage]


class AllReplies(TypedDict):
    """#73: ``{"data": [...]}`` (no ``success``, no pagination object)."""

    data: list[ReplyThread]


class RecipientCheck(TypedDict):
    """#74: ``status`` (tocheck, active, finished, unsubscribe, moved... not exhaustive) is null when
    ``exist`` is false."""

    email: str
    exist: bool
    status: str | None


class RecipientsStatus(TypedDict):
    data: list[RecipientCheck]


class DoNotEmailListInfo(TypedDict):
    """#75: ``id`` is the ``listId`` of #28; ``total`` counts e-mails plus domains."""

    id: int
    name: str
    owner: str
    total: int


class DoNotEmailLists(TypedDict):
    data: list[DoNotEmailListInfo]


# --------------------------------------------------------------------------------------------------
# 2026 §1h. CRM (#76-#77)


class Pipeline(TypedDict):
    id: int
    name: str
    deals_count: int
    deals_value: float
    created_at: str  # ISO 8601


class Pipelines(TypedDict):
    data: list[Pipeline]


class PipelineStage(TypedDict):
    id: int
    pipeline_id: int
    name: str
    order: int
    deals_count: int
    deals_value: float


class PipelineStages(TypedDict):
    data: list[PipelineStage]
