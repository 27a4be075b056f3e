"""Word pools the seeded generators draw from.

Why a module of constants: people, companies and subjects in every generated record come from the same
small pools, so the data looks plausible and stays deterministic for a given seed.
"""

from __future__ import annotations

FIRST_NAMES = (
    "John",
    "Jane",
    "Gavin",
    "Olena",
    "Andrew",
    "Maria",
    "Zach",
    "Priya",
    "Lucas",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sofia",
    "Liam",
    "Chloe",
    "Ethan",
    "Mila",
    "Oliver",
    "Yuki",
    "Omar",
    "Ines",
    "Felix",
    "Nora",
)
LAST_NAMES = (
    "Doe",
    "Smith",
    "Vanrooyen",
    "Kovalenko",
    "Garfield",
    "Garcia",
    "Jones",
    "Patel",
    "Silva",
    "Muller",
    "Brown",
    "Rossi",
    "Novak",
    "Tanaka",
    "Haddad",
    "Dubois",
    "Nielsen",
    "Wong",
    "Okafor",
    "Kim",
)
COMPANIES = (
    ("Octagon", "octagon.com"),
    ("GoldenRule", "goldenrule.com"),
    ("Northwind", "northwind.io"),
    ("Acme Corp", "acme.example"),
    ("Globex", "globex.example"),
    ("Initech", "initech.example"),
    ("Umbrella Labs", "umbrella-labs.example"),
    ("Hooli", "hooli.example"),
    ("Stark Analytics", "stark.example"),
    ("Wayne Logistics", "wayne-logistics.example"),
)
INDUSTRIES = (
    "Airlines/Aviation",
    "Entertainment",
    "Computer Software",
    "Logistics and Supply Chain",
    "Marketing",
    "Financial Services",
    "Hospital & Health Care",
    "Retail",
    None,
)
COUNTRIES = ("United States", "Ukraine", "Germany", "United Kingdom", "Brazil", "India", None)
LOCALITIES = ("Greater Atlanta Area", "Kyiv", "Berlin", "London", "Sao Paulo", "Bengaluru", None)
POSITIONS = (
    "Vice President of Sales",
    "Senior Brand Director",
    "Head of Marketing",
    "CTO",
    "Software Engineer",
    "Data Engineer",
    "Account Executive",
    "Founder",
    "Operations Manager",
)
SOURCES = ("copy", "linkedin", "import", "api")
SUBJECTS = (
    "Special content for you",
    "Quick question",
    "Following up",
    "Can we talk next week?",
    "Ideas for {company}",
)
CAMPAIGN_NAMES = (
    "Q1 Outbound - Enterprise",
    "Exactly Ten Thousand",
    "Zipari - Salesforce Developer",
    "My top campaign",
    "Webinar follow-up",
    "Partner outreach",
    "Reactivation",
    "Test campaign",
    "New Campaign",
)
CUSTOM_FIELD_LABELS = ("company", "Project name", "SEO", "specialization")
