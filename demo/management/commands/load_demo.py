"""Load the demo: the real region tree of 北碚区 and 秀山县, and one account per role.

Passwords are random and printed once, when an account is created. `--reset-passwords`
prints new ones for the existing demo accounts.
"""

from __future__ import annotations

import datetime
import random
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from children.choices import Status
from children.models import Child
from core import clock, permissions
from core.calendar import add_months, quarter_bounds, years_before
from core.roles import Role
from demo.staff import appoint_district_staff
from demo.synthetic import generate
from org import two_factor
from org.importing import import_regions_file
from org.models import Assignment, Region, User
from org.services import generate_password
from providers.models import (
    Consent,
    ProviderKind,
    ProviderStaff,
    ServiceKind,
    ServiceProvider,
    ServiceReferral,
)
from stats.services import snapshot_regions
from training import services
from training.models import Course, OrganiserLevel, Topic
from visits.cadence import apply_rule_to_district
from visits.models import Visit

# The region file of the demo lives with org's data (the tests load it too).
DEMO_CSV = (
    Path(__file__).resolve().parents[3] / "org" / "data" / "regions-chongqing-beibei-xiushan.csv"
)

# The demo is laid out relative to the day it is loaded: the workers appointed two years
# before, the children registered since, visits planned back from today.
DEMO_YEARS = 2
RECENTLY_REGISTERED = 0.03
# How a child stands with its monthly contact today, dealt in turn to the children of each
# demo village so that every village shows the same mix on any day: of every 25, 20 contacted
# this month, 2 due within the week, 3 overdue (a stride coprime with 25 interleaves them).
CONTACT_STATES = ("contacted",) * 20 + ("due_soon",) * 2 + ("overdue",) * 3
STRIDE = 7
# Of every 5 children, 4 are visited at home in the quarter when contacted this month.
HOME_EVERY = 5
# The demo directors' villages (志达社区, 兴城社区) hold a realistic number of children.
DEMO_VILLAGES = ("500109110004", "500109110005")
DEMO_VILLAGE_CHILDREN = 25
REMOTE_KINDS = ("phone", "in_person", "video")
# The months of visits the other villages' directors have on record (the demo directors have
# theirs since each child was registered): enough for this quarter and the two before.
HISTORY_MONTHS = 7


def demo_start(today: datetime.date) -> datetime.date:
    """The day the demo workers were appointed: DEMO_YEARS before `today`."""
    return years_before(today, DEMO_YEARS)


def plan_visits(
    rng: random.Random,
    today: datetime.date,
    registered: datetime.date,
    is_key: bool,
    turn: int,
    since: datetime.date | None = None,
) -> list[tuple[str, datetime.date]]:
    """The visits of the `turn`-th demo child of its village, planned back from `today`: the
    latest contact puts the child in its state of CONTACT_STATES, earlier contacts follow
    monthly back to registration, a home visit this quarter for most of those contacted
    (every contact is one for a key child, R15), and every third contact before the quarter
    at home. Never before registration (nor `since`, when given) or after today."""
    state = CONTACT_STATES[turn * STRIDE % len(CONTACT_STATES)]
    if state == "contacted":  # some day of this month, up to today
        latest = today - datetime.timedelta(days=rng.randint(0, min(today.day - 1, 20)))
    elif state == "due_soon":  # a few days short of a month ago: due within the coming week
        latest = add_months(today, -1) + datetime.timedelta(days=rng.randint(1, 6))
    else:
        latest = today - datetime.timedelta(days=rng.randint(35, 75))
    days = []
    day = latest
    earliest = max(registered, since) if since is not None else registered
    while day >= earliest:
        days.append(day)
        day -= datetime.timedelta(days=rng.randint(24, 31))
    if not days:
        return []
    quarter, _ = quarter_bounds(today)
    home_now = turn * STRIDE % HOME_EVERY != HOME_EVERY - 1
    phase = rng.randint(0, 2)
    planned: list[tuple[str, datetime.date]] = []
    for index, day in enumerate(days):  # newest first
        if is_key:
            home = True
        elif day >= quarter:
            home = index == 0 and home_now
        else:
            home = (index + phase) % 3 == 0
        planned.append(("home_visit" if home else rng.choice(REMOTE_KINDS), day))
    return planned


# username, real name, phone, position, role, region code, managing district
DEMO_ACCOUNTS: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "bb_minzheng",
        "王晓红",
        "13800000001",
        "区民政局儿童福利科",
        Role.CIVIL_AFFAIRS,
        "500109000000",
        "500109000000",
    ),
    (
        "bb_jiuzhu",
        "刘建国",
        "13800000002",
        "区未成年人救助保护中心",
        Role.PROTECTION_CENTRE,
        "500109000000",
        "500109000000",
    ),
    (
        "bb_dudao",
        "陈静",
        "13800000003",
        "静观镇儿童督导员",
        Role.SUPERVISOR,
        "500109110000",
        "500109000000",
    ),
    (
        "bb_zhuren",
        "李小梅",
        "13800000004",
        "志达社区儿童主任",
        Role.CHILD_DIRECTOR,
        "500109110004",
        "500109000000",
    ),
    (
        "bb_zhuren2",
        "张伟",
        "13800000005",
        "兴城社区儿童主任",
        Role.CHILD_DIRECTOR,
        "500109110005",
        "500109000000",
    ),
    (
        "bb_shegong",
        "周慧",
        "13800000006",
        "北碚区阳光社会工作服务中心社工",
        Role.SERVICE_PROVIDER,
        "500109000000",
        "500109000000",
    ),
    (
        "xs_minzheng",
        "杨秀英",
        "13800000011",
        "县民政局儿童福利股",
        Role.CIVIL_AFFAIRS,
        "500241000000",
        "500241000000",
    ),
    (
        "xs_dudao",
        "吴志强",
        "13800000012",
        "溶溪镇儿童督导员",
        Role.SUPERVISOR,
        "500241104000",
        "500241000000",
    ),
    (
        "sys_admin",
        "赵系统",
        "13800000021",
        "系统管理员",
        Role.SYSTEM_ADMIN,
        "500109000000",
        "500109000000",
    ),
    (
        "sec_admin",
        "钱安全",
        "13800000022",
        "安全管理员",
        Role.SECURITY_ADMIN,
        "500109000000",
        "500109000000",
    ),
    (
        "audit_admin",
        "孙审计",
        "13800000023",
        "审计管理员",
        Role.AUDIT_ADMIN,
        "500109000000",
        "500109000000",
    ),
]


# Enough children for every village of 北碚区 to have a few.
DEMO_CHILDREN = 1500


class Command(BaseCommand):
    help = (
        "Load the demo region tree (北碚区, 秀山县), one demo account per role and synthetic "
        "children."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the existing demo accounts new passwords and print them.",
        )

    def handle(self, *args: Any, reset_passwords: bool, **options: Any) -> None:
        result = import_regions_file(DEMO_CSV)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError("The demo region file did not import.")
        self.stdout.write(
            f"Regions: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
        printed = self._accounts(reset_passwords)
        self._staff()
        self._training()
        self._children()
        self._activity()
        self._providers()
        if printed:
            self.stdout.write(self.style.WARNING("Demo accounts (passwords are shown only now):"))
            for username, role, region, password in printed:
                self.stdout.write(f"  {username:<12} {password:<14} {role} · {region}")
            self.stdout.write(
                "The administrators and civil-affairs staff set up an authenticator app "
                f"(TOTP) at their first sign-in, within {settings.TWO_FACTOR_PERMIT_HOURS} hours."
            )
        else:
            self.stdout.write(
                "Demo accounts already exist; run `manage.py load_demo --reset-passwords` "
                "to print new passwords."
            )

    @transaction.atomic
    def _staff(self) -> None:
        """The other workers of 北碚区 (demo/staff.py): a director for most villages and a
        supervisor for most towns, with a few posts vacant on purpose (R1)."""
        district = Region.objects.filter(code="500109000000").first()
        if district is None:
            return
        today = clock.today()
        done = appoint_district_staff(district, demo_start(today), today)
        if done.directors or done.supervisors:
            self.stdout.write(
                f"Staff: {done.directors} directors and {done.supervisors} supervisors in "
                f"{district.name} ({done.vacant_villages} villages left without a director, "
                f"{done.new_directors} directors newly appointed and not yet trained)."
            )

    def _children(self) -> None:
        """Synthetic children (fictional names, valid-looking ID numbers) for the demo districts,
        once; district civil affairs of 北碚区 may see and export full ID numbers."""
        for code, count in (("500109000000", DEMO_CHILDREN), ("500241000000", DEMO_CHILDREN // 3)):
            district = Region.objects.get(code=code)
            if Child.objects.filter(region_code__startswith=district.prefix).exists():
                continue
            created = generate(district, count, seed=2026)
            villages = [code for code in DEMO_VILLAGES if code.startswith(district.prefix)]
            if villages:
                created += generate(
                    district, DEMO_VILLAGE_CHILDREN * len(villages), seed=2027, villages=villages
                )
            self.stdout.write(f"Children: {created} synthetic children in {district.name}.")
        civil = User.objects.filter(username="bb_minzheng").first()
        if civil is not None:
            civil.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="children",
                    codename__in=["view_identifier", "export_identifier"],
                )
            )

    @transaction.atomic
    def _activity(self) -> None:
        """Once: the demo children registered over the two years before today, and the visits
        the demo directors made to the children of their villages, planned back from today
        so that the demo looks alive on whatever day it is loaded (`plan_visits`), their due
        dates recomputed by the cadence rule, and today's statistics snapshot, so "my work",
        compliance and the dashboards have something to show. Fictional, like the children."""
        if Visit.objects.exists():
            return
        rng = random.Random(2026)  # noqa: S311 - fictional demo data, not a secret
        today = clock.today()
        zone = timezone.get_current_timezone()
        children = list(Child.objects.order_by("pk"))
        first_day = demo_start(today)
        for child in children:
            earliest = max(child.birth_date + datetime.timedelta(days=1), first_day)
            # A few registered in the last month (their first home visit still ahead).
            recent = rng.random() < RECENTLY_REGISTERED
            latest = today - datetime.timedelta(days=1 if recent else 120)
            if recent:
                earliest = max(earliest, today - datetime.timedelta(days=25))
            if child.closed_on is not None:  # registered before it was closed
                latest = min(latest, child.closed_on)
            if earliest > latest:  # born since: registered the day after birth (or today)
                earliest = latest = min(child.birth_date + datetime.timedelta(days=1), today)
            day = earliest + datetime.timedelta(days=rng.randint(0, (latest - earliest).days))
            child.created_at = datetime.datetime.combine(day, datetime.time(9), tzinfo=zone)
        Child.objects.bulk_update(children, ["created_at"], batch_size=500)

        # The directors appointed with the demo (those appointed since have not been trained
        # yet, R6, and have not started visiting).
        directors = {
            a.region.code: a.user
            for a in Assignment.objects.filter(
                role=Role.CHILD_DIRECTOR, end_date__isnull=True, start_date__lte=first_day
            )
            .select_related("region", "user")
            .order_by("pk")
        }
        visits = []
        turns: dict[str, int] = {}
        recent_history = add_months(today, -HISTORY_MONTHS)
        for child in children:
            author = directors.get(child.region_code)
            if author is None or child.status != Status.ACTIVE:
                continue
            registered = child.created_at.astimezone(zone).date()
            # The demo villages deal CONTACT_STATES to their own children; the other villages,
            # with a few children each, share their town's deal so each town shows the mix.
            key = child.region_code if child.region_code in DEMO_VILLAGES else child.region_code[:9]
            turn = turns.get(key, 0)
            turns[key] = turn + 1
            # The demo directors' children have their whole history; the other villages' the
            # last months only (what the dashboards read), to keep the load fast.
            since = None if child.region_code in DEMO_VILLAGES else recent_history
            for kind, day in plan_visits(rng, today, registered, child.is_key, turn, since):
                seen = "儿童和祖父母" if kind == "home_visit" else "儿童"
                visits.append(
                    Visit(child=child, author=author, kind=kind, visit_date=day, seen=seen)
                )
        Visit.objects.bulk_create(visits, batch_size=1000)
        for district in Region.objects.filter(code__in=("500109000000", "500241000000")):
            apply_rule_to_district(district)
        snapshot_regions(today=today, now=clock.now())
        self.stdout.write(f"Visits: {len(visits)} demo visits by the village directors.")

    @transaction.atomic
    def _training(self) -> None:
        """Per demo district, organised by its civil affairs: the induction the demo
        supervisors and directors passed when appointed (R6: they are certified and can work)
        and this year's refresher some months ago (R7: their annual training is current).
        Once: an existing course is left alone."""
        today = clock.today()
        sessions = (
            ("新任儿童督导员和儿童主任岗前培训", demo_start(today)),
            ("儿童督导员和儿童主任年度轮训", today - datetime.timedelta(days=100)),
        )
        for civil_name in ("bb_minzheng", "xs_minzheng"):
            civil = User.objects.filter(username=civil_name).first()
            if civil is None or civil.managing_district is None:
                continue
            district = civil.managing_district
            if Course.objects.filter(district=district).exists():
                continue
            for title, day in sessions:
                course = services.course_save(
                    by=civil,
                    title=title,
                    topics=list(Topic.values),
                    description="家庭走访、信息更新、强制报告、政策衔接、家庭监护主体责任、家庭教育。",
                )
                invitees = list(services.eligible_invitees(OrganiserLevel.DISTRICT, district, day))
                session = services.session_save(
                    by=civil,
                    data=services.SessionInput(
                        course=course,
                        organiser_level=OrganiserLevel.DISTRICT,
                        region=district,
                        date=day,
                        place=f"{district.name}民政局会议室",
                        trainer=civil.real_name,
                        invitees=invitees,
                    ),
                    today=today,
                )
                for person in invitees:
                    services.result_record(
                        by=civil,
                        session=session,
                        user=person,
                        score=88,
                        passed=True,
                        assessor=civil.real_name,
                        assessed_on=day,
                    )
            self.stdout.write(
                f"Training: {len(invitees)} workers of {district.name} passed the induction and "
                "this year's training."
            )

    @transaction.atomic
    def _providers(self) -> None:
        """Once: two service providers of 北碚区 (a social-work agency for the whole district,
        with the demo account bb_shegong as its staff, and 静观镇's clinic without accounts),
        and a referral of a child of 志达社区 to the agency, waiting for its answer."""
        district = Region.objects.filter(code="500109000000").first()
        civil = User.objects.filter(username="bb_minzheng").first()
        director = User.objects.filter(username="bb_zhuren").first()
        if district is None or civil is None or ServiceProvider.objects.filter(district=district):
            return
        agency = ServiceProvider.objects.create(
            district=district, name="北碚区阳光社会工作服务中心", kind=ProviderKind.SOCIAL_WORK,
            services=[ServiceKind.PSYCHOLOGICAL, ServiceKind.FAMILY_EDUCATION,
                      ServiceKind.COMPANIONSHIP],
            contact_name="周慧", contact_phone="13800000006", address="北碚区天生路 88 号",
            created_by=civil,
        )  # fmt: skip
        clinic = ServiceProvider.objects.create(
            district=district, name="静观镇中心卫生院", kind=ProviderKind.CLINIC,
            services=[ServiceKind.MEDICAL], contact_phone="023-68220120", created_by=civil,
        )  # fmt: skip
        clinic.areas.set(Region.objects.filter(code="500109110000"))
        staff = User.objects.filter(username="bb_shegong").first()
        if staff is not None:
            ProviderStaff.objects.create(provider=agency, user=staff, added_by=civil)
        child = Child.objects.filter(region_code="500109110004", status=Status.ACTIVE).first()
        if child is not None and director is not None:
            today = clock.today()
            ServiceReferral.objects.create(
                child=child, provider=agency, service=ServiceKind.PSYCHOLOGICAL,
                reason="父母长期在外务工，近期情绪低落、不愿上学，需要心理疏导。",
                consent=Consent.GUARDIAN_AND_CHILD, consent_on=today, referred_on=today,
                respond_by=today + datetime.timedelta(days=7),
                due_on=today + datetime.timedelta(days=30), referred_by=director,
            )  # fmt: skip
        self.stdout.write("Service providers: 2 in 北碚区, with a referral waiting.")

    @transaction.atomic
    def _accounts(self, reset: bool) -> list[tuple[str, str, str, str]]:
        appointed = demo_start(clock.today())
        regions = {
            r.code: r
            for r in Region.objects.filter(
                code__in={a[5] for a in DEMO_ACCOUNTS} | {a[6] for a in DEMO_ACCOUNTS}
            )
        }
        printed: list[tuple[str, str, str, str]] = []
        for username, real_name, phone, position, role, code, district in DEMO_ACCOUNTS:
            user = User.objects.filter(username=username).first()
            created = user is None
            if user is None:
                user = User(
                    username=username,
                    real_name=real_name,
                    phone=phone,
                    position=position,
                    appointed_on=appointed,
                    managing_district=regions[district],
                )
            if created or reset:
                password = generate_password()
                user.set_password(password)
                user.save()
                printed.append((username, str(Role(role).label), regions[code].name, password))
            Assignment.objects.get_or_create(
                user=user,
                region=regions[code],
                role=role,
                defaults={"start_date": appointed},
            )
            # The administrators and district staff sign in with a second factor: with a new
            # password they may set up their authenticator app at their next sign-in.
            needs_permit = (created or reset) and permissions.needs_two_factor(user)
            if needs_permit and not two_factor.has_factor(user):
                two_factor.permit_issue(by=None, user=user)
        return printed
