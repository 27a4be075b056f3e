"""Seeded companies, people and email addresses behind the sandbox's domain-search, finder, enrichment
and verifier endpoints.

Why one module: domain search (#1-#10, #41), the email finder (#11-#13, v2 finder), enrichment (#14-#16)
and both verifiers read the same people and addresses, so a prospect found by domain search is the one
the finder returns, the one the verifier judges and the one enrichment describes. Nothing here changes
at runtime; what users add (names to find, emails to verify, URLs) lives in the routes' state.

The documentation's own examples are fixed records whatever the seed (octagon.com with Gavin Vanrooyen,
Lizi Hamer, Ben Gillespie and John Doe; snov.io with the documented company info and admin@/test@;
yourdomain.com with John and Jane Doe), so tests and DAG authors can copy the docs' requests verbatim.
A few more domains are generated from ``seed``. Every random choice uses a ``random.Random`` seeded
with a string, so the data set is identical across runs and platforms.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_snovio.sandbox.state import SandboxState

VALID = "valid"
NOT_VALID = "not_valid"
UNKNOWN = "unknown"
#: ``unknown_status_reason`` values documented for the 2026 v2 verifier/finder.
UNKNOWN_REASONS = ("catchall", "banned", "connection_error", "greylist")

WEBMAIL_DOMAINS = frozenset({"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com"})
DISPOSABLE_DOMAINS = frozenset({"mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com"})

EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

FIRST_NAMES = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "Michael",
    "Jennifer",
    "William",
    "Linda",
    "David",
    "Elizabeth",
    "Richard",
    "Barbara",
    "Joseph",
    "Susan",
    "Thomas",
    "Jessica",
    "Charles",
    "Sarah",
    "Daniel",
    "Karen",
    "Matthew",
    "Nancy",
    "Anthony",
    "Lisa",
    "Mark",
    "Betty",
    "Paul",
    "Sandra",
    "Steven",
    "Ashley",
    "Andrew",
    "Emily",
    "Joshua",
    "Donna",
    "Kevin",
    "Michelle",
    "Brian",
    "Carol",
    "George",
    "Amanda",
    "Olena",
    "Taras",
    "Iryna",
    "Dmytro",
    "Sofia",
    "Lucas",
    "Camila",
    "Mateus",
    "Yuki",
    "Hiro",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Kovalenko",
    "Shevchenko",
    "Bondarenko",
    "Silva",
    "Souza",
    "Tanaka",
    "Sato",
    "Novak",
    "Keller",
    "Weber",
)
POSITIONS = (
    "Web developer",
    "QA Engineer",
    "Software Developer",
    "Account Director",
    "Senior Account Executive",
    "Marketing Manager",
    "Brand Director",
    "Sales Manager",
    "Head of Sales",
    "Product Manager",
    "Data Analyst",
    "HR Manager",
    "Chief Executive Officer",
    "Chief Technology Officer",
    "Designer",
    "Project Manager",
    "Recruiter",
    "Customer Success Manager",
    "Office Manager",
    "Content Writer",
    "DevOps Engineer",
    "Financial Analyst",
    "Legal Counsel",
    "Event Coordinator",
    "Creative Director",
)
GENERIC_LOCALS = (
    "info",
    "contact",
    "press",
    "careers",
    "hr",
    "sales",
    "support",
    "marketing",
    "office",
    "hello",
    "media",
    "jobs",
    "billing",
    "partners",
    "admin",
    "team",
    "events",
    "legal",
    "privacy",
    "help",
)
REGIONS = ("us", "uk", "de", "fr", "es", "br", "ua", "jp", "au", "ca", "in", "mx")
PREVIOUS_EMPLOYERS = (
    ("UPS", "Logistics and Supply Chain", "10001+"),
    ("Deloitte", "Accounting", "10001+"),
    ("Nike", "Apparel & Fashion", "10001+"),
    ("Globex", "Computer Software", "201-500"),
    ("Initech", "Information Technology and Services", "51-200"),
    ("Hooli", "Internet", "1001-5000"),
)
COUNTRIES = (
    ("United States", "Greater New York City Area"),
    ("United States", "Greater Atlanta Area"),
    ("United Kingdom", "London"),
    ("Germany", "Berlin"),
    ("Ukraine", "Kyiv"),
    ("Brazil", "Sao Paulo"),
    ("Singapore", "Singapore"),
    ("Canada", "Toronto"),
)
NAME_PARTS = (
    ("north", "wind", "blue", "river", "bright", "iron", "silver", "quick", "green", "stone"),
    ("labs", "works", "logistics", "analytics", "media", "systems", "foods", "health", "capital", "cloud"),
    ("com", "io", "net", "co"),
)
INDUSTRIES = (
    "Computer Software",
    "Marketing and Advertising",
    "Logistics and Supply Chain",
    "Health, Wellness and Fitness",
    "Financial Services",
    "Food & Beverages",
    "Internet",
    "Information Technology and Services",
)
SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000")


def normalize_domain(value: str) -> str:
    """``https://www.Octagon.com/`` -> ``octagon.com``: how the sandbox keys its domains."""
    text = value.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0]
    return text[4:] if text.startswith("www.") else text


def normalize_profile_url(value: str) -> str:
    """A social profile URL reduced to ``host/path`` (no scheme, ``www.``, query or trailing slash);
    twitter.com and x.com are one network."""
    text = value.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("?")[0].split("#")[0].rstrip("/")
    if text.startswith("www."):
        text = text[4:]
    if text.startswith("twitter.com/"):
        text = "x.com/" + text[len("twitter.com/") :]
    return text


def is_valid_email(value: str) -> bool:
    return bool(EMAIL_RE.match(value))


def _digest(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def fraction(*parts: object) -> float:
    """A deterministic number in [0, 1) derived from ``parts`` (same input, same answer, every run)."""
    return int(_digest(*parts)[:12], 16) / float(1 << 48)


def job(company: str, position: str, **fields: Any) -> dict[str, Any]:
    """One ``currentJob(s)``/``previousJob(s)`` entry with every documented key (absent ones null)."""
    keys = (
        "socialLink",
        "site",
        "locality",
        "state",
        "city",
        "street",
        "street2",
        "postal",
        "founded",
        "startDate",
        "endDate",
        "size",
        "industry",
        "companyType",
        "country",
    )
    entry: dict[str, Any] = {"companyName": company, "position": position}
    entry.update({key: fields.get(key) for key in keys})
    return entry


@dataclass(frozen=True)
class Company:
    """The company info of domain search #2."""

    name: str
    city: str
    founded: str
    website: str
    hq_phone: str
    industry: str
    size: str
    related_domains: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Person:
    """A prospect profile: what domain search lists, the finder finds and enrichment describes."""

    first_name: str
    last_name: str
    position: str
    domain: str
    #: ``(address, smtp_status)`` pairs; smtp_status is ``valid`` or ``unknown`` (how finders report them).
    emails: tuple[tuple[str, str], ...]
    source_page: str
    social: tuple[tuple[str, str], ...]  # (type, link): type is linkedIn or twitter
    prospect_hash: str
    profile_id: int
    url_id: str
    industry: str | None
    country: str
    locality: str
    logo: str
    current_jobs: tuple[dict[str, Any], ...]
    previous_jobs: tuple[dict[str, Any], ...]
    last_update_date: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, eq=False)
class EmailRecord:
    """One address of a domain, in the order and with the id the legacy ``lastId`` cursor walks."""

    id: int
    email: str
    kind: str  # "personal" or "generic"
    smtp_status: str  # valid | unknown (verdict of the verifier for this address)
    person: Person | None = None
    unknown_reason: str | None = None
    gibberish: bool = False

    @property
    def verified(self) -> bool:
        return self.smtp_status == VALID


@dataclass(eq=False)
class DomainData:
    """Everything Snov.io knows about one domain."""

    name: str
    company: Company | None
    people: tuple[Person, ...] = ()
    personal: tuple[EmailRecord, ...] = ()
    generic: tuple[EmailRecord, ...] = ()
    webmail: bool = False
    disposable: bool = False
    catchall: bool = False

    @property
    def all_emails(self) -> tuple[EmailRecord, ...]:
        """Personal and generic addresses in ``id`` order (the legacy endpoint's order)."""
        return tuple(sorted(self.personal + self.generic, key=lambda record: record.id))


@dataclass(frozen=True)
class Verdict:
    """What the verifier concludes about one address; v1 and v2 render it differently."""

    email: str
    is_valid_format: bool
    is_disposable: bool
    is_webmail: bool
    is_gibberish: bool
    smtp_status: str  # valid | not_valid | unknown
    unknown_reason: str | None = None


@dataclass(eq=False)
class Dataset:
    """The immutable data set plus its lookup indexes."""

    seed: int
    domains: dict[str, DomainData] = field(default_factory=dict)
    _by_hash: dict[str, Person] = field(default_factory=dict)
    _by_email: dict[str, EmailRecord] = field(default_factory=dict)
    _by_url: dict[str, Person] = field(default_factory=dict)
    _by_name: dict[tuple[str, str, str], Person] = field(default_factory=dict)

    def add(self, domain: DomainData) -> None:
        self.domains[domain.name] = domain
        for person in domain.people:
            self._by_hash[person.prospect_hash] = person
            self._by_name[(person.first_name.lower(), person.last_name.lower(), domain.name)] = person
            for _kind, link in person.social:
                self._by_url[normalize_profile_url(link)] = person
        for record in domain.personal + domain.generic:
            self._by_email[record.email.lower()] = record

    def domain(self, name: str) -> DomainData | None:
        return self.domains.get(normalize_domain(name))

    def person_by_hash(self, prospect_hash: str) -> Person | None:
        return self._by_hash.get(prospect_hash.lower())

    def person_by_name(self, first_name: str, last_name: str, domain: str) -> Person | None:
        key = (first_name.strip().lower(), last_name.strip().lower(), normalize_domain(domain))
        return self._by_name.get(key)

    def person_by_url(self, url: str) -> Person | None:
        return self._by_url.get(normalize_profile_url(url))

    def email_record(self, email: str) -> EmailRecord | None:
        return self._by_email.get(email.strip().lower())

    def person_by_email(self, email: str) -> Person | None:
        record = self.email_record(email)
        return record.person if record else None

    def verdict(self, email: str) -> Verdict:
        """The verifier's deterministic answer for any address (known or not)."""
        address = email.strip()
        lowered = address.lower()
        if not is_valid_email(address):
            return Verdict(address, False, False, False, False, NOT_VALID)
        domain_name = lowered.rsplit("@", 1)[1]
        domain = self.domains.get(domain_name)
        webmail = domain_name in WEBMAIL_DOMAINS
        disposable = domain_name in DISPOSABLE_DOMAINS
        record = self._by_email.get(lowered)
        gibberish = record.gibberish if record else _looks_gibberish(lowered.split("@", 1)[0])
        if record is not None:
            reason = record.unknown_reason
            if record.smtp_status == UNKNOWN and reason is None:
                reason = "catchall" if domain and domain.catchall else _pick(UNKNOWN_REASONS[1:], lowered)
            return Verdict(address, True, disposable, webmail, gibberish, record.smtp_status, reason)
        if domain is not None and domain.catchall:
            return Verdict(address, True, disposable, webmail, gibberish, UNKNOWN, "catchall")
        if domain is not None and domain.company is not None:
            # A company Snov.io knows well: an address it has never seen does not exist.
            return Verdict(address, True, disposable, webmail, gibberish, NOT_VALID)
        roll = fraction(self.seed, "verdict", lowered)
        if roll < 0.6:
            return Verdict(address, True, disposable, webmail, gibberish, VALID)
        if roll < 0.85:
            return Verdict(address, True, disposable, webmail, gibberish, NOT_VALID)
        reason = _pick(UNKNOWN_REASONS[1:], lowered)
        return Verdict(address, True, disposable, webmail, gibberish, UNKNOWN, reason)


def _pick(options: tuple[str, ...], *parts: object) -> str:
    return options[int(fraction("pick", *parts) * len(options))]


def _looks_gibberish(local: str) -> bool:
    letters = re.sub(r"[^a-z0-9]", "", local)
    if len(letters) < 6:
        return False
    digits = sum(ch.isdigit() for ch in letters)
    return digits / len(letters) > 0.4 or bool(re.search(r"[bcdfghjklmnpqrstvwxz]{6,}", letters))


# --------------------------------------------------------------------------------------------------
# builders


class _DomainBuilder:
    """Accumulates one domain's people and addresses, then freezes them into a ``DomainData``."""

    def __init__(self, name: str, company: Company | None, rng_key: str, *, catchall: bool = False) -> None:
        self.name = name
        self.company = company
        self.catchall = catchall
        self.rng = random.Random(rng_key)
        self.people: list[Person] = []
        self.personal: list[tuple[str, str, Person | None, str | None, bool]] = []
        self.generic: list[tuple[str, str, str | None, bool]] = []
        self._taken_names: set[tuple[str, str]] = set()
        self._taken_emails: set[str] = set()

    # -- people
    def person(
        self,
        first: str,
        last: str,
        position: str,
        emails: Iterable[tuple[str, str]] = (),
        *,
        linkedin: str | None = None,
        twitter: str | None = None,
        profile_id: int | None = None,
        url_id: str | None = None,
        **extra: Any,
    ) -> Person:
        rng = self.rng
        self._taken_names.add((first.lower(), last.lower()))
        slug = f"{first}-{last}".lower().replace(" ", "-")
        linkedin = linkedin or f"https://www.linkedin.com/in/{slug}-{rng.getrandbits(24):06x}/"
        social = [("linkedIn", linkedin)]
        if twitter is None and rng.random() < 0.35:
            twitter = f"https://x.com/{first}{last}".lower()
        if twitter:
            social.append(("twitter", twitter))
        country, locality = extra.pop("country_locality", None) or rng.choice(COUNTRIES)
        company = self.company
        current = extra.pop("current_jobs", None) or (
            job(
                company.name if company else self.name,
                position,
                site=company.website if company else None,
                socialLink=f"https://www.linkedin.com/company/{rng.randint(1000, 9999999)}",
                startDate=f"{rng.randint(2012, 2024)}-{rng.randint(1, 12):02d}-28",
                size=company.size if company else None,
                industry=company.industry if company else None,
                country=country,
            ),
        )
        previous = extra.pop("previous_jobs", None)
        if previous is None:
            employer, industry, size = rng.choice(PREVIOUS_EMPLOYERS)
            previous = (
                job(
                    employer,
                    rng.choice(POSITIONS),
                    startDate=f"{rng.randint(2000, 2011)}-{rng.randint(1, 12):02d}-28",
                    endDate=f"{rng.randint(2011, 2015)}-{rng.randint(1, 12):02d}-28",
                    size=size,
                    industry=industry,
                ),
            )
        person = Person(
            first_name=first,
            last_name=last,
            position=position,
            domain=self.name,
            emails=tuple(emails),
            source_page=linkedin,
            social=tuple(social),
            prospect_hash=(_digest("prospect", self.name, first, last) + _digest("p2", first, last))[:100],
            profile_id=profile_id or rng.randint(100000, 99999999),
            url_id=url_id or base64.b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode(),
            industry=extra.pop("industry", company.industry if company else None),
            country=country,
            locality=locality,
            logo=extra.pop("logo", f"https://app.snov.io/img/peoples/{_digest('logo', slug)[:32]}.jpg"),
            current_jobs=tuple(current),
            previous_jobs=tuple(previous),
            last_update_date=extra.pop(
                "last_update_date",
                f"{rng.randint(2018, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:12:28",
            ),
        )
        self.people.append(person)
        for address, status in person.emails:
            self._taken_emails.add(address.lower())
            self.personal.append((address, status, person, None, False))
        return person

    def random_people(self, count: int, email_share: float) -> None:
        rng = self.rng
        while len(self.people) < count:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if (first.lower(), last.lower()) in self._taken_names:
                continue
            emails: list[tuple[str, str]] = []
            if rng.random() < email_share:
                address = f"{first}.{last}@{self.name}".lower()
                if address not in self._taken_emails:
                    status = UNKNOWN if self.catchall or rng.random() < 0.15 else VALID
                    emails.append((address, status))
            self.person(first, last, rng.choice(POSITIONS), emails)

    # -- addresses without a profile
    def orphan_personal(self, total: int) -> None:
        rng = self.rng
        patterns = ("{f}{l}", "{f0}{l}", "{f}_{l}", "{f}{l0}", "{l}.{f}")
        while len(self.personal) < total:
            first, last = rng.choice(FIRST_NAMES).lower(), rng.choice(LAST_NAMES).lower()
            local = rng.choice(patterns).format(f=first, l=last, f0=first[0], l0=last[0])
            address = f"{local}@{self.name}"
            if address in self._taken_emails:
                continue
            self._taken_emails.add(address)
            status = UNKNOWN if self.catchall or rng.random() < 0.2 else VALID
            self.personal.append((address, status, None, None, False))

    def generic_addresses(self, total: int, fixed: Iterable[tuple[str, str, str | None, bool]] = ()) -> None:
        for local, status, reason, gibberish in fixed:
            address = f"{local}@{self.name}"
            self._taken_emails.add(address)
            self.generic.append((address, status, reason, gibberish))
        candidates = [*GENERIC_LOCALS, *(f"{g}.{r}" for r in REGIONS for g in GENERIC_LOCALS)]
        for local in candidates:
            if len(self.generic) >= total:
                break
            address = f"{local}@{self.name}"
            if address in self._taken_emails:
                continue
            self._taken_emails.add(address)
            self.generic.append((address, VALID if self.rng.random() < 0.8 else UNKNOWN, None, False))

    def build(self) -> DomainData:
        rng = self.rng
        entries: list[tuple[str, Any]] = [("personal", item) for item in self.personal]
        entries += [("generic", item) for item in self.generic]
        rng.shuffle(entries)
        next_id = 1823487000 + rng.randint(0, 400)
        personal: list[EmailRecord] = []
        generic: list[EmailRecord] = []
        for kind, item in entries:
            next_id += rng.randint(1, 9)
            if kind == "personal":
                address, status, person, reason, gibberish = item
                personal.append(EmailRecord(next_id, address, kind, status, person, reason, gibberish))
            else:
                address, status, reason, gibberish = item
                generic.append(EmailRecord(next_id, address, kind, status, None, reason, gibberish))
        return DomainData(
            name=self.name,
            company=self.company,
            people=tuple(self.people),
            personal=tuple(personal),
            generic=tuple(generic),
            catchall=self.catchall,
        )


def _octagon() -> DomainData:
    company = Company(
        name="Octagon",
        city="Stamford",
        founded="1983",
        website="https://www.octagon.com",
        hq_phone="12033542400",
        industry="Marketing and Advertising",
        size="1001-5000",
        related_domains=("octagon.net", "octagon.co.uk", "octagon.de"),
    )
    b = _DomainBuilder("octagon.com", company, "fixed:octagon.com")
    b.person(
        "Gavin",
        "Vanrooyen",
        "Senior Brand Director",
        [("gavin.vanrooyen@octagon.com", VALID)],
        linkedin="https://www.linkedin.com/in/gavin-vanrooyen/",
        url_id="xusD3-T_K5IktGoaa8Jc8A==",
        industry="Entertainment",
        country_locality=("United States", "Greater Atlanta Area"),
    )
    b.person(
        "Lizi",
        "Hamer",
        "Regional Creative Director",
        [("lizi.hamer@octagon.com", VALID)],
        linkedin="https://www.linkedin.com/in/lizihamer/",
        twitter="https://twitter.com/LiziHamer",
        profile_id=301592,
        industry=None,
        country_locality=("Singapore", "Singapore"),
        logo="https://app.snov.io/img/peoples/010fcf23c70dfa68d880545ec89a9215.jpg",
        last_update_date="2018-02-07 10:12:28",
        current_jobs=(
            job(
                "Octagon",
                "Regional Creative Director",
                socialLink="https://www.linkedin.com/company/165282",
                site="www.octagon.com",
                locality="Greater New York City Area",
                state="Connecticut",
                city="Stamford",
                street="290 Harbor Dr",
                street2="2nd Floor",
                postal="06902",
                founded="1983",
                startDate="2016-01-31",
                size="1-10",
                industry="Marketing and Advertising",
                companyType="Public Company",
                country="United States",
            ),
            job(
                "SisuGirls",
                "Co Founder",
                socialLink="https://www.linkedin.com/company/3841118",
                site="http://www.sisugirls.org",
                state="SG",
                city="Singapore",
                street="33-03 Hong Leong Building",
                founded="2014",
                startDate="2015-07-31",
                size="1-10",
                industry="Health, Wellness and Fitness",
                country="Singapore",
            ),
        ),
        previous_jobs=(
            job("Fusion Co-innovation Labs", "Creative Entrepreneur", startDate="2013-05-31", endDate="2013-10-31"),
            job("Russell Commission", "Youth Advisory Board Member", startDate="2004-06-30", endDate="2006-06-30"),
        ),
    )
    b.person(
        "Ben",
        "Gillespie",
        "Senior Account Executive",
        [("ben.gillespie@octagon.com", VALID)],
        linkedin="https://www.linkedin.com/pub/ben-gillespie/7/73/809",
    )
    b.person(
        "John",
        "Doe",
        "Senior Brand Director",
        [("johndoe@octagon.com", VALID)],
        linkedin="https://www.linkedin.com/in/john-doe-123456/",
        industry="Entertainment",
        country_locality=("United States", "Greater Atlanta Area"),
        last_update_date="2019-09-11 12:37:58",
        current_jobs=(
            job(
                "Octagon",
                "Senior Brand Director",
                socialLink="https://www.linkedin.com/company/659333",
                site="http://octagon.com",
                locality="United States",
                startDate="2018-07-31",
                size="1-10",
                industry="Entertainment",
                companyType="Public Company",
                country="United States",
            ),
        ),
        previous_jobs=(
            job(
                "UPS",
                "Manager, Sponsorships and Events",
                socialLink="https://www.linkedin.com/company/1523574",
                site="http://www.ups.com/",
                locality="United States",
                state="GA",
                city="Atlanta",
                street="55 Glenlake Parkway, NE",
                postal="30328",
                founded="1907",
                size="10001+",
                industry="Logistics and Supply Chain",
                companyType="Public Company",
                country="United States",
            ),
        ),
    )
    b.random_people(45, email_share=0.8)
    b.orphan_personal(108)
    b.generic_addresses(9)
    return b.build()


def _snovio() -> DomainData:
    company = Company(
        name="Snov.io",
        city="New York",
        founded="2017",
        website="https://snov.io",
        hq_phone="13477050819",
        industry="Computer Software",
        size="51-200",
        related_domains=("snov.com", "snov.net", "snov.org", "snov.co", "snov.app"),
    )
    b = _DomainBuilder("snov.io", company, "fixed:snov.io")
    b.random_people(196, email_share=0.3)
    b.orphan_personal(108)
    b.generic_addresses(
        9,
        fixed=(
            ("admin", VALID, None, False),
            ("help", VALID, None, False),
            ("partnerships", VALID, None, False),
            ("test", UNKNOWN, "banned", True),
        ),
    )
    return b.build()


def _sendpulse() -> DomainData:
    company = Company(
        name="SendPulse",
        city="New York",
        founded="2015",
        website="https://sendpulse.com",
        hq_phone="18002345678",
        industry="Internet",
        size="201-500",
        related_domains=("sendpulse.ua", "sendpulse.com.br"),
    )
    b = _DomainBuilder("sendpulse.com", company, "fixed:sendpulse.com")
    b.random_people(30, email_share=0.7)
    b.orphan_personal(70)
    b.generic_addresses(64)  # two pages of generic contacts
    return b.build()


def _yourdomain() -> DomainData:
    company = Company(
        name="Your Company",
        city="Austin",
        founded="2020",
        website="https://yourdomain.com",
        hq_phone="15125550100",
        industry="Information Technology and Services",
        size="11-50",
    )
    b = _DomainBuilder("yourdomain.com", company, "fixed:yourdomain.com", catchall=True)
    b.person("John", "Doe", "Chief Executive Officer", [("john.doe@yourdomain.com", VALID)])
    b.person("Jane", "Doe", "Chief Technology Officer", [("jane.doe@yourdomain.com", UNKNOWN)])
    b.random_people(8, email_share=0.5)
    b.generic_addresses(3)
    return b.build()


def _generated(seed: int, index: int, taken: set[str]) -> DomainData:
    rng = random.Random(f"generated:{seed}:{index}")
    while True:
        name = f"{rng.choice(NAME_PARTS[0])}{rng.choice(NAME_PARTS[1])}.{rng.choice(NAME_PARTS[2])}"
        if name not in taken:
            taken.add(name)
            break
    label = name.split(".")[0]
    company = Company(
        name=label.capitalize(),
        city=rng.choice(COUNTRIES)[1],
        founded=str(rng.randint(1950, 2022)),
        website=f"https://{name}",
        hq_phone=str(rng.randint(10**10, 10**11 - 1)),
        industry=rng.choice(INDUSTRIES),
        size=rng.choice(SIZES),
    )
    b = _DomainBuilder(name, company, f"generated:{seed}:{index}:people", catchall=rng.random() < 0.2)
    people = rng.randint(0, 70)
    b.random_people(people, email_share=rng.uniform(0.3, 0.9))
    b.orphan_personal(len(b.personal) + rng.randint(0, 80))
    b.generic_addresses(rng.randint(0, 60))
    return b.build()


#: How many extra domains the seed generates besides the documented ones.
GENERATED_DOMAINS = 8


@functools.lru_cache(maxsize=8)
def build_dataset(seed: int) -> Dataset:
    """The complete data set for ``seed`` (cached: it is immutable)."""
    dataset = Dataset(seed=seed)
    for domain in (_octagon(), _snovio(), _sendpulse(), _yourdomain()):
        dataset.add(domain)
    for name in sorted(WEBMAIL_DOMAINS):
        dataset.add(DomainData(name=name, company=None, webmail=True))
    for name in sorted(DISPOSABLE_DOMAINS):
        dataset.add(DomainData(name=name, company=None, disposable=True))
    taken = set(dataset.domains)
    for index in range(GENERATED_DOMAINS):
        dataset.add(_generated(seed, index, taken))
    return dataset


def dataset_of(state: SandboxState) -> Dataset:
    """The data set of the state's current seed (a seed change at runtime takes effect at once)."""
    return build_dataset(state.config.seed)
