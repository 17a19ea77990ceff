"""The load bench's setup, run once per run in the bench database (a Django process of its own).

    BENCH_DATABASE_URL=… python bench/load/setup.py --children 100000 --out users.json

- the population (bench/population.py: a director per village, a supervisor per town, civil
  affairs for the district), built or reused (as built: see `fits`);
- the load users are those real accounts, plus four more civil-affairs staff of the district
  (five district users, each signing in with a two-factor device of its own: django-otp refuses
  a code used once, so two load users cannot share one account's device);
- one bench password for all of them: hashed once and written with one UPDATE (set_password
  per row costs a PBKDF2 hash each); a phone and an e-mail address each, so their
  notifications have deliveries (SMS through the configured provider, mail through the
  configured backend: the edge);
- directors and supervisors certified (training.TrainingStatus written set-based: the
  certification gate lets them log work), district staff with a confirmed TOTP device whose
  secret the locustfile reads to compute its codes (RFC 6238, as the phone's app does);
- one inspection with a rectification item in two villages of each town, through
  visits.inspections.inspection_record (idempotent: client ids derived from the village), so
  the supervisors have inspection pages and the directors a notification;
- what each load user works on: a director's children (a sample of her village's active
  children), a supervisor's town, a report and inspections of it, the district's code.

The output (JSON) is the locustfile's input. The accounts and secrets are synthetic, in the
bench's own database.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))

PASSWORD = os.environ.get("BENCH_LOAD_PASSWORD", "Bench-load-2026!")
DISTRICT_STAFF = 5
CHILDREN_PER_DIRECTOR = 40
INSPECTION_NAMESPACE = uuid.UUID("6f3a9b52-0c1e-4d7a-9b8e-3c2d1a0f5e47")


def _setup_django() -> None:
    """The bench database with the environment the driver gives (production settings)."""
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    import django

    django.setup()


def district_staff(district: Any) -> list[Any]:
    """The district's civil-affairs staff of the population and the bench's extra ones."""
    from org.models import Assignment, Role, User

    users = []
    for n in range(1, DISTRICT_STAFF + 1):
        username = (
            f"bench_{Role.CIVIL_AFFAIRS}_{district.code}" if n == 1 else f"bench_load_civil_{n}"
        )
        user, _created = User.objects.get_or_create(
            username=username, defaults={"real_name": f"基准民政{n}"}
        )
        if user.managing_district_id != district.pk:
            User.objects.filter(pk=user.pk).update(managing_district=district)
        Assignment.objects.get_or_create(
            user=user,
            region=district,
            role=Role.CIVIL_AFFAIRS,
            defaults={"start_date": datetime.date(2020, 1, 1)},
        )
        users.append(user)
    return users


def passwords_and_addresses(skip: str, prefix: str = "bench_") -> int:
    """One hash for every bench account but `skip`, with a phone and an address each (one
    UPDATE)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE org_user SET password = %s, is_active = TRUE, status = 'active', "
            "must_change_password = FALSE, "
            "phone = '139' || LPAD(CAST(id AS text), 8, '0'), "
            "email = username || '@bench.invalid' WHERE username LIKE %s AND username <> %s",
            [make_password(PASSWORD), prefix + "%", skip],
        )
        return int(cursor.rowcount)


def certify(user_ids: list[int], today: datetime.date) -> None:
    """Directors and supervisors certified 100 days ago (the gate lets them work)."""
    from training.models import Rotation, TrainingStatus

    passed = today - datetime.timedelta(days=100)
    TrainingStatus.objects.bulk_create(
        [
            TrainingStatus(
                user_id=pk,
                certified_on=passed,
                last_passed_on=passed,
                renewal_due_on=passed + datetime.timedelta(days=365),
                renewal_flag_on=passed + datetime.timedelta(days=335),
                rotation=Rotation.CURRENT,
            )
            for pk in user_ids
        ],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["certified_on", "last_passed_on", "renewal_due_on", "renewal_flag_on"],
    )


def totp_secret(user: Any) -> str:
    """A confirmed TOTP device of the user's (one, kept between runs); its key in hex."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from org.two_factor import DEVICE_NAME

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    return str(device.key)


def inspections(supervisor: Any, villages: list[Any], today: datetime.date) -> list[int]:
    from visits.inspections import RectificationInput, inspection_record

    ids = []
    for village in villages:
        inspection, _created = inspection_record(
            by=supervisor,
            village=village,
            inspected_on=today - datetime.timedelta(days=3),
            checklist={"visits_done": True, "data_current": True},
            findings="基准：台账基本完整，个别走访记录缺照片。",
            rectifications=[
                RectificationInput("补齐走访照片", today + datetime.timedelta(days=14))
            ],
            client_uuid=uuid.uuid5(INSPECTION_NAMESPACE, village.code),
        )
        ids.append(inspection.pk)
    return ids


def fits(children: int, today: datetime.date) -> str | None:
    """The district whose population was built for `children` within the week, if any.

    The children a load run registers are active children beyond the population's count;
    ensure_population would close them as a surplus and rebuild every visit. The load
    reuses the population as built instead (a run adds a few dozen children)."""
    from django.db import connection
    from django.db.utils import ProgrammingError
    from population import DEFAULT_DISTRICT

    from core.regions import district_prefix

    district = district_prefix(os.environ.get("BENCH_DISTRICT", DEFAULT_DISTRICT))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT children, visits_per_child, built_on FROM bench_population "
                "WHERE district = %s",
                [district],
            )
            row = cursor.fetchone()
    except ProgrammingError:  # no population yet
        return None
    if row is None or row[0] != children or row[1] != 12 or (today - row[2]).days > 7:
        return None
    return district


def build(children: int) -> dict[str, Any]:
    from bench_children import USERNAME, prepare
    from population import ensure_population, staff

    from children.models import Child, Status
    from core import clock
    from core.regions import Level, district_code, district_prefix, prefix_range, town_prefix
    from org.models import Assignment, Region, Role
    from reports.models import MandatoryReport

    today = clock.today()
    built = fits(children, today)
    if built:
        prepare(built, 0)  # migrations, regions
        staff(built)
        district = Region.objects.get(code=district_code(built))
        print(f"population of {built}: reused as built for {children:,} children", flush=True)
    else:
        info = ensure_population(children=children)
        print(info.summary(), flush=True)
        district = Region.objects.get(code=district_code(info.district))
    civil = district_staff(district)
    passwords_and_addresses(skip=USERNAME)
    assignments = Assignment.objects.filter(
        user__username__startswith="bench_",
        region__code__range=prefix_range(district_prefix(district.code)),
    ).select_related("user", "region")
    directors = [a for a in assignments if a.role == Role.CHILD_DIRECTOR]
    supervisors = [a for a in assignments if a.role == Role.SUPERVISOR]
    certify([a.user_id for a in directors + supervisors], today)

    out: dict[str, Any] = {
        "today": today.isoformat(),
        "password": PASSWORD,
        "district": district.code,
        "directors": [],
        "supervisors": [],
        "district_staff": [],
    }
    for a in directors:
        sample = list(
            Child.objects.filter(region_code=a.region.code, status=Status.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)[:CHILDREN_PER_DIRECTOR]
        )
        if sample:
            out["directors"].append(
                {"username": a.user.username, "village": a.region.code, "children": sample}
            )
    villages = Region.objects.filter(
        level=Level.VILLAGE, code__range=prefix_range(district_prefix(district.code))
    )
    for a in supervisors:
        town = a.region
        in_town = list(villages.filter(code__startswith=town_prefix(town.code)).order_by("code"))
        reports = list(
            MandatoryReport.objects.filter(
                region_code__range=prefix_range(town_prefix(town.code))
            ).values_list("pk", flat=True)[:10]
        )
        out["supervisors"].append(
            {
                "username": a.user.username,
                "town": town.code,
                "reports": reports,
                "inspections": inspections(a.user, in_town[:2], today),
            }
        )
    out["district_staff"] = [
        {"username": user.username, "totp_key": totp_secret(user)} for user in civil
    ]
    # The bench's own civil-affairs user (bench_children) is no load user: untouched.
    out["district_staff"] = [u for u in out["district_staff"] if u["username"] != USERNAME]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--children", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    _setup_django()
    users = build(args.children)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(users, ensure_ascii=False, indent=1))
    print(
        f"load users: {len(users['directors'])} directors, {len(users['supervisors'])} "
        f"supervisors, {len(users['district_staff'])} district staff → {args.out}",
        flush=True,
    )


if __name__ == "__main__":
    main()
