"""Seeded prospect lists, prospects, custom fields and do-not-email lists, plus their response shapes.

Why separate from campaigns: these are small and *mutable* (add-prospect, create-list, do-not-email), so they
are rebuilt on every reset from the seed (cheap: a few hundred records), while campaign events are cached.
One prospect record can sit in several lists (Snov.io's ``lists[]``); ids are url-safe base64 like
``xusD3-T_K5IktGoaa8Jc8A==`` and the same id is used by every endpoint.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_snovio.sandbox.data import names
from airflow_provider_snovio.sandbox.data.campaigns import EPOCH, php_date

DAY = 86400


@dataclass
class ProspectList:
    id: int
    name: str
    created: float
    deleted: float | None = None
    prospect_ids: list[str] = field(default_factory=list)  # oldest first; served newest first


@dataclass
class DoNotEmailList:
    id: int
    name: str
    items: list[str] = field(default_factory=list)


def new_prospect_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode()


def custom_field_definitions() -> list[dict[str, Any]]:
    """GET /v1/prospect-custom-fields rows."""
    return [
        {"key": f"customFields['{label}']", "label": label, "required": False, "type": "string"}
        for label in names.CUSTOM_FIELD_LABELS
    ]


def make_prospect(
    prospect_id: str,
    email: str | None,
    *,
    first: str | None = None,
    last: str | None = None,
    full: str | None = None,
    updated: float,
    **fields: Any,
) -> dict[str, Any]:
    """The stored prospect record (internal shape; see the row builders for the API shapes)."""
    name = full or " ".join(part for part in (first, last) if part) or None
    return {
        "id": prospect_id,
        "email": email,
        "firstName": first,
        "lastName": last,
        "name": name,
        "industry": fields.get("industry"),
        "country": fields.get("country"),
        "locality": fields.get("locality"),
        "position": fields.get("position"),
        "companyName": fields.get("companyName"),
        "companySite": fields.get("companySite"),
        "phones": list(fields.get("phones") or []),
        "social": dict(fields.get("social") or {}),
        "customFields": dict(fields.get("customFields") or {}),
        "updated": updated,
        "lists": [],
    }


def seed_lists(
    rng: random.Random, count: int, big_size: int
) -> tuple[dict[int, ProspectList], dict[str, dict[str, Any]]]:
    """``count`` lists: list 0 holds ``big_size`` prospects, the others 3-12; the last of >= 3 is deleted."""
    lists: dict[int, ProspectList] = {}
    prospects: dict[str, dict[str, Any]] = {}
    base_names = ("Sandbox leads", "FirstSend", "Webinar attendees", "All prospects", "EMAIL")
    list_id = 1818500
    for i in range(count):
        list_id += 1 + rng.randrange(90)
        name = base_names[i % len(base_names)] + (f" {i}" if i >= len(base_names) else "")
        created = EPOCH - (60 - i) * DAY + rng.randrange(DAY)
        plist = ProspectList(id=list_id, name=name, created=created)
        if count >= 3 and i == count - 1:
            plist.deleted = created + 30 * DAY
        size = big_size if i == 0 else 3 + rng.randrange(10)
        for k in range(size):
            first = names.FIRST_NAMES[rng.randrange(len(names.FIRST_NAMES))]
            last = names.LAST_NAMES[rng.randrange(len(names.LAST_NAMES))]
            company, domain = names.COMPANIES[rng.randrange(len(names.COMPANIES))]
            pid = new_prospect_id(rng)
            record = make_prospect(
                pid,
                f"{first}.{last}.{i}.{k}@{domain}".lower(),
                first=first,
                last=last,
                updated=created + k * 600,
                industry=names.INDUSTRIES[rng.randrange(len(names.INDUSTRIES))],
                country=names.COUNTRIES[rng.randrange(len(names.COUNTRIES))],
                locality=names.LOCALITIES[rng.randrange(len(names.LOCALITIES))],
                position=names.POSITIONS[rng.randrange(len(names.POSITIONS))],
                companyName=company,
                companySite=f"https://{domain}",
                social={"linkedIn": f"https://www.linkedin.com/in/{first}-{last}-{k}".lower()},
                customFields={"company": company},
            )
            record["lists"].append(list_id)
            prospects[pid] = record
            plist.prospect_ids.append(pid)
        lists[list_id] = plist
    return lists, prospects


def seed_do_not_email(rng: random.Random, count: int) -> dict[int, DoNotEmailList]:
    out: dict[int, DoNotEmailList] = {}
    list_id = 52000
    for i in range(count):
        list_id += 1 + rng.randrange(50)
        out[list_id] = DoNotEmailList(
            id=list_id,
            name="Do-not-email list" if i == 0 else f"Do-not-email list {i + 1}",
            items=["blocked@octagon.com", "competitor.example"] if i == 0 else [],
        )
    return out


# --- response shapes ---


def user_list_row(plist: ProspectList) -> dict[str, Any]:
    """GET /v1/get-user-lists row."""
    return {
        "id": plist.id,
        "name": plist.name,
        "contacts": len(plist.prospect_ids),
        "isDeleted": plist.deleted is not None,
        "creationDate": php_date(plist.created),
        "deletionDate": php_date(plist.deleted) if plist.deleted is not None else None,
    }


def _email_row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "email": record["email"],
        "probability": 99,
        "isVerified": None,
        "jobStatus": "any",
        "domainType": "linkedin_email",
        "isValidFormat": True,
        "isDisposable": False,
        "isWebmail": record["email"].endswith(("@gmail.com", "@yahoo.com")),
        "isGibberish": False,
        "smtpStatus": None,
    }


def list_prospect_row(record: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/prospect-list ``prospects[]`` row."""
    return {
        "id": record["id"],
        "name": record["name"],
        "firstName": record["firstName"],
        "lastName": record["lastName"],
        "emails": [_email_row(record)] if record["email"] else [],  # 2026: a prospect may have only a LinkedIn link
    }


def full_prospect(
    record: dict[str, Any], lists: dict[int, ProspectList], campaigns: list[dict[str, Any]]
) -> dict[str, Any]:
    """The #30/#31 prospect object."""
    social = [{"link": link, "type": kind} for kind, link in record["social"].items()]
    current = []
    if record["companyName"] or record["position"]:
        current.append(
            {
                "companyName": record["companyName"],
                "position": record["position"],
                "socialLink": None,
                "site": record["companySite"],
                "locality": record["locality"],
                "state": None,
                "city": None,
                "street": None,
                "street2": None,
                "postal": None,
                "founded": None,
                "startDate": None,
                "endDate": None,
                "size": None,
                "industry": record["industry"],
                "companyType": None,
                "country": record["country"],
            }
        )
    return {
        "id": record["id"],
        "name": record["name"],
        "firstName": record["firstName"],
        "lastName": record["lastName"],
        "industry": record["industry"],
        "country": record["country"],
        "locality": record["locality"],
        "social": social,
        "lastUpdateDate": php_date(record["updated"]),
        "currentJob": current,
        "previousJob": [],
        "lists": [{"id": lid, "name": lists[lid].name} for lid in record["lists"] if lid in lists],
        "campaigns": campaigns,
    }
