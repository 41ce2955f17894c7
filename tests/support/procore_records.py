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
