"""Procore records the size of real ones, every field filled: what a fake project holds for the result tests
and the task benchmark. Deterministic for a seed; the words are made up here."""

from __future__ import annotations

import random
from typing import Any

PEOPLE = [
    ("Alice Architect", "alice@example.com"),
    ("Bob Builder", "bob@example.com"),
    ("Carmen Carpenter", "carmen@example.com"),
    ("Dev Drywall", "dev@example.com"),
    ("Erin Electric", "erin@example.com"),
    ("Frank Framer", "frank@example.com"),
    ("Gia Glazier", "gia@example.com"),
    ("Hal Hvac", "hal@example.com"),
]
VENDORS = ["Summit Steel", "Bayside Electric", "Northwind Mechanical", "Granite Concrete", "Clearview Glazing"]
TRADES = ["Concrete", "Electrical", "Mechanical", "Drywall", "Glazing", "Roofing"]
LOCATIONS = ["Level 1 > Lobby", "Level 2 > Unit 2B", "Level 3 > Corridor", "Roof", "Parking > P1"]
SAMPLE_TEXT = (
    "confirm the embed plate spacing at the curtain wall anchors since the shop drawings disagree with the "
    "structural details and the field crew needs a decision before the pour scheduled for next week"
)
WORDS = SAMPLE_TEXT.split(" ")


def _person(rng: random.Random, number: int) -> dict[str, Any]:
    name, login = PEOPLE[rng.randrange(len(PEOPLE))]
    return {"id": 700 + number, "name": name, "login": login, "company_name": rng.choice(VENDORS)}


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _stamp(day: int, hour: int = 9) -> str:
    return f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T{hour:02d}:15:00Z"


def rfi(number: int, rng: random.Random, status: str = "open") -> dict[str, Any]:
    """An RFI with its people, question and answers: about 3 KB of JSON, like a real one."""
    due = 5 + number % 40
    return {
        "id": 1000 + number,
        "number": str(number),
        "full_number": f"RFI-{number:03d}",
        "subject": f"{_sentence(rng, 6)[:-1]} (item {number})",
        "status": status,
        "private": number % 7 == 0,
        "due_date": f"2026-{1 + due // 28:02d}-{1 + due % 28:02d}",
        "reference": f"Sheet A-{200 + number % 50}",
        "drawing_number": f"A-{200 + number % 50}",
        "rfi_manager": _person(rng, 1),
        "assignees": [_person(rng, 2), _person(rng, 3)],
        "ball_in_court": [_person(rng, 4)],
        "responsible_contractor": {"id": 90 + number % 5, "name": rng.choice(VENDORS)},
        "received_from": _person(rng, 5),
        "location": {"id": 40 + number % 5, "name": rng.choice(LOCATIONS)},
        "cost_code": {"id": 60 + number % 9, "name": f"0{3 + number % 6}-100 {rng.choice(TRADES)}"},
        "schedule_impact": {"status": "yes_known", "value": number % 6},
        "cost_impact": {"status": "tbd", "value": None},
        "questions": [
            {
                "id": 9000 + number,
                "body": _sentence(rng, 150),
                "created_by": _person(rng, 6),
                "created_at": _stamp(number),
                "answers": [
                    {
                        "id": 9500 + number,
                        "body": _sentence(rng, 100),
                        "created_by": _person(rng, 7),
                        "created_at": _stamp(number + 1),
                        "official": True,
                    },
                ],
            }
        ],
        "created_at": _stamp(number),
        "updated_at": _stamp(number + 2, 16),
    }


def rfis(count: int, seed: int = 7, status: str = "open") -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [rfi(number, rng, status if number % 4 else "closed") for number in range(1, count + 1)]


TODAY = "2026-02-01"
"""The day the benchmark's tasks are asked on: overdue means due before it, today's logs are dated it."""
STATUSES = ["Open", "Open", "Pending", "Closed"]


def _attachment(rng: random.Random, number: int) -> dict[str, Any]:
    return {"id": 40000 + number, "name": f"photo-{number}.jpg", "url": f"https://files.test/{number}.jpg",
            "filename": f"photo-{number}.jpg", "content_type": "image/jpeg", "size": rng.randrange(90_000, 900_000)}  # fmt: skip


def punch_item(number: int, rng: random.Random) -> dict[str, Any]:
    """A punch item with its people, comments and attachments: about 2.5 KB."""
    trade = TRADES[number % len(TRADES)]
    return {
        "id": 20000 + number,
        "name": f"{rng.choice(['Touch up', 'Replace', 'Seal', 'Adjust', 'Clean'])} {rng.choice(WORDS)} at "
        f"{rng.choice(LOCATIONS)} ({number})",
        "description": _sentence(rng, 40),
        "status": STATUSES[number % len(STATUSES)],
        "workflow_status": "work_required",
        "priority": rng.choice(["low", "medium", "high"]),
        "due_date": f"2026-02-{1 + number % 27:02d}",
        "closed_at": None,
        "private": False,
        "reference": f"P-{number:04d}",
        "schedule_impact": "no_impact",
        "schedule_impact_days": 0,
        "cost_impact": "no_impact",
        "location": {"id": 40 + number % 5, "name": rng.choice(LOCATIONS)},
        "trade": {"id": 80 + TRADES.index(trade), "name": trade},
        "punch_item_type": {"id": 3, "name": "Finish"},
        "cost_code": {"id": 60 + number % 9, "name": f"09-{100 + number % 9} Finishes"},
        "created_by": _person(rng, 1),
        "punch_item_manager": _person(rng, 2),
        "final_approver": _person(rng, 3),
        "ball_in_court": [_person(rng, 4)],
        "assignments": [{"id": 30000 + number, "assignee": _person(rng, 5), "status": "unresolved"}],
        "comments": [{"id": 31000 + number, "body": _sentence(rng, 30), "created_by": _person(rng, 6)}],
        "attachments": [_attachment(rng, number)],
        "custom_fields": {"area_sf": {"value": rng.randrange(10, 900)}},
        "created_at": _stamp(number),
        "updated_at": _stamp(number + 3, 14),
    }


def manpower_log(number: int, rng: random.Random) -> dict[str, Any]:
    """A manpower entry: a crew on a day, about 1.5 KB."""
    day = 1 + number % 10  # ten days up to TODAY
    date = TODAY if day == 1 else f"2026-01-{32 - day:02d}"
    workers = 2 + number % 9
    return {
        "id": 50000 + number, "date": date, "datetime": f"{date}T07:00:00Z", "num_workers": workers,
        "num_hours": "8.0", "man_hours": f"{workers * 8}.0", "notes": _sentence(rng, 25), "status": "approved",
        "vendor": {"id": 90 + number % 5, "name": VENDORS[number % 5]}, "contact": _person(rng, 1),
        "cost_code": {"id": 60 + number % 9, "name": "03-300 Cast-in-place"},
        "location": {"id": 40 + number % 5, "name": rng.choice(LOCATIONS)},
        "trade": {"id": 80 + number % 6, "name": TRADES[number % 6]}, "created_by": _person(rng, 2),
        "attachments": [_attachment(rng, number)], "permissions": {"can_update": True, "can_delete": False},
        "custom_fields": {}, "created_at": f"{date}T16:00:00Z", "updated_at": f"{date}T16:05:00Z",
    }  # fmt: skip


def submittal(number: int, rng: random.Random) -> dict[str, Any]:
    """A submittal with its people and dates: about 2 KB."""
    state = ["Open", "Open", "Draft", "Closed"][number % 4]
    return {
        "id": 3100 + number, "project_id": 101, "number": f"{23 + number % 9}{1000 + number}-1",
        "formatted_number": f"S-{number:03d}", "revision": "0", "current_revision": True,
        "title": f"{rng.choice(TRADES)} shop drawings, area {number}", "description": _sentence(rng, 35),
        "private": False, "status": {"id": ["Open", "Draft", "Closed"].index(state) + 1, "name": state},
        "type": {"id": 1, "name": "Shop Drawing"},
        "specification_section": {"id": 70 + number % 12, "number": f"0{3 + number % 6} 30 00", "label": "Concrete"},
        "submittal_package": {"id": 5, "title": "Structure package"},
        "responsible_contractor": {"id": 90 + number % 5, "name": VENDORS[number % 5]},
        "received_from": _person(rng, 1), "submittal_manager": _person(rng, 2), "created_by": _person(rng, 3),
        "ball_in_court": [_person(rng, 4)] if state == "Open" and number % 3 else [],
        "due_date": f"2026-02-{1 + number % 27:02d}", "submit_by": "2026-01-20", "issue_date": "2026-01-05",
        "received_date": "2026-01-08", "required_on_site_date": "2026-03-01", "lead_time": 21,
        "distributed_at": None, "closed_at": None, "location_id": 41, "cost_code_id": 61,
        "created_at": _stamp(number), "updated_at": _stamp(number + 4, 11),
    }  # fmt: skip


def change_event(number: int, rng: random.Random) -> dict[str, Any]:
    """A change event with its line items and amounts: about 2 KB."""
    state = ["open", "open", "closed", "pending"][number % 4]
    items = [{"id": 60000 + number * 10 + line, "description": _sentence(rng, 8),
              "latest_cost_values": {"amount": f"{rng.randrange(200, 90000)}.{rng.randrange(0, 99):02d}"},
              "vendor": {"id": 90 + line, "name": VENDORS[line]}} for line in range(1 + number % 3)]  # fmt: skip
    return {
        "id": 800 + number, "number": f"{number:03d}", "title": f"{_sentence(rng, 5)[:-1]} ({number})",
        "description": _sentence(rng, 30), "scope": "in_scope",
        "status": {"id": 1, "name": state.title(), "mapped_to_status": state},
        "change_type": {"id": 2, "name": "Owner change"}, "change_reason": {"id": 4, "name": "Design change"},
        "prime_contract_for_estimates": {"id": 12, "title": "Prime contract"}, "change_items": items,
        "currency_configuration": {"currency_iso_code": "USD"}, "created_by": _person(rng, 1), "project_id": 101,
        "in_recycle_bin": False, "created_at": _stamp(number), "updated_at": _stamp(number + 1), "deleted_at": None,
    }  # fmt: skip


def project_user(number: int, rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(["Ana", "Ben", "Cy", "Dora", "Eli", "Fay"]), rng.choice(["Reyes", "Kim", "Olsen"])
    return {
        "id": 7000 + number, "name": f"{first} {last} {number}", "first_name": first, "last_name": f"{last} {number}",
        "email_address": f"{first.lower()}.{number}@{VENDORS[number % 5].split()[0].lower()}.test",
        "job_title": rng.choice(["Foreman", "Project Engineer", "Superintendent"]),
        "business_phone": "555-0100", "mobile_phone": "555-0199", "is_active": True, "is_employee": number % 5 == 0,
        "employee_id": None, "vendor": {"id": 90 + number % 5, "name": VENDORS[number % 5]},
        "last_login_at": _stamp(number), "origin_id": None, "created_at": _stamp(number), "updated_at": _stamp(number),
    }  # fmt: skip


def project(number: int, rng: random.Random) -> dict[str, Any]:
    names = ["Harbor View Tower", "Maple Street Clinic", "Riverside Lofts", "North Yard Warehouse"]
    name = names[number % len(names)] + ("" if number < len(names) else f" Phase {number}")
    return {
        "id": 101 + number, "name": name, "display_name": name, "project_number": f"P-{number:03d}",
        "active": True, "description": _sentence(rng, 20), "address": "1 Main St", "city": "Springfield",
        "state_code": "OR", "country_code": "US", "zip": "97477", "time_zone": "US/Pacific",
        "stage": "Course of Construction", "total_value": "12000000.00",
        "company": {"id": 1, "name": "Summit Builders"}, "created_at": _stamp(number), "updated_at": _stamp(number),
    }  # fmt: skip


def realistic_project(seed: int = 11) -> dict[str, list[dict[str, Any]]]:
    """A busy job: hundreds of every record the benchmark's tasks read, every field filled."""
    rng = random.Random(seed)
    return {
        "projects": [project(n, rng) for n in range(40)],
        "punch_items": [punch_item(n, rng) for n in range(1, 251)],
        "manpower_logs": [manpower_log(n, rng) for n in range(1, 201)],
        "submittals": [submittal(n, rng) for n in range(1, 201)],
        "change_events": [change_event(n, rng) for n in range(1, 151)],
        "project_users": [project_user(n, rng) for n in range(1, 121)],
    }
