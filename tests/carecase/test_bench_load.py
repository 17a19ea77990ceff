"""The load bench's own parts that could be wrong without the bench noticing (bench/load/):
the codes its district staff compute, the ID numbers its directors register, and the checks
that decide whether a run lost a visit or left a due date unlike the rule."""

from __future__ import annotations

import datetime
import json
import random
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db.models import F
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from children import idnumber
from children.models import Child
from core import clock
from tests.factories import make_child
from tests.visits.conftest import registered
from visits import services

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "load"))

import checks
from codes import id_number, totp

pytestmark = pytest.mark.django_db


def test_the_code_the_bench_computes_is_the_one_django_otp_accepts(people):
    device = TOTPDevice.objects.create(user=people["civil"], name="CareCase", confirmed=True)
    for at in (time.time(), 1_800_000_000.0, 1_800_000_029.0):
        expected = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        expected.time = at
        assert totp(device.key, at=at) == f"{expected.token():06d}"
    assert totp(device.key, at=1_800_000_000.0) != totp(device.key, at=1_800_000_030.0)


def test_the_registered_id_numbers_are_valid():
    rng = random.Random(7)
    for _ in range(50):
        number = id_number(rng)
        facts = idnumber.parse(number)  # raises on an invalid number
        assert number.startswith("500241"), facts


def logged(director, child) -> int:
    visit, _created = services.visit_record(
        by=director,
        child=child,
        values={"kind": "in_person", "visit_date": clock.today(), "seen": ""},
        client_uuid=uuid.uuid4(),
    )
    return int(visit.pk)


def test_a_due_date_unlike_the_rule_is_found(people):
    child = registered(make_child(people["director"]))
    logged(people["director"], child)
    assert checks.due_dates_check("500109")["differ"] == 0
    Child.objects.filter(pk=child.pk).update(
        next_contact_due=F("next_contact_due") + datetime.timedelta(days=1)
    )
    found = checks.due_dates_check("500109")
    assert (found["differ"], found["examples"]) == (1, [child.pk])


def test_a_lost_and_a_mismatched_visit_are_found(people, tmp_path):
    child = registered(make_child(people["director"]))
    first = logged(people["director"], child)
    second = logged(people["director"], child)
    stored = {str(v.client_uuid): v.pk for v in child.visits.filter(pk__in=[first, second])}
    (kept, other) = sorted(stored, key=stored.__getitem__)
    lost = str(uuid.uuid4())
    rows = [
        {"client_uuid": kept, "child": child.pk, "ack": 1, "visit": first},
        {"client_uuid": other, "child": child.pk, "ack": 1, "visit": first},  # not its visit
        {"client_uuid": lost, "child": child.pk, "ack": 1, "visit": first + 100},
        {"client_uuid": str(uuid.uuid4()), "child": child.pk, "ack": 0},  # still in an outbox
    ]
    (tmp_path / "sent-1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = checks.visits_check(tmp_path)
    assert {k: result[k] for k in ("acknowledged", "outbox_at_end", "lost", "doubled")} == {
        "acknowledged": 3,
        "outbox_at_end": 1,
        "lost": 1,
        "doubled": 0,
    }
    assert result["not_the_answered_visit"] == 1
    assert set(result["examples"]) == {lost, other}
