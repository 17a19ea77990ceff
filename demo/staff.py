"""The demo district's workers beyond the demo accounts: a child director for most villages of
北碚区 and a supervisor for most of its towns (R1), so that the supervisor's and the district's
first screens look like a working district, with a few gaps left on purpose:

- 静观镇 (the demo supervisor's town) has a director in every village but one (中华村);
- elsewhere every STRIDE-th village (in code order) has no director;
- one town has no supervisor;
- a few villages have a director appointed NEW_DAYS ago, not yet trained (R6): they have not
  started their visits.

Fictional people (names from demo.people), real-name records (R3) without a password: they
cannot sign in (the demo accounts of load_demo can). Set-based: a handful of queries.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from core.regions import Level, town_prefix
from core.roles import Role
from demo.people import ADULT_FEMALE_CHARS, ADULT_MALE_CHARS, Names, phone
from org.models import Assignment, Region, User

JINGGUAN = "500109110000"
VACANT_IN_JINGGUAN = "500109110258"  # 中华村村民委员会: no director (R1 gap, on purpose)
TOWN_WITHOUT_SUPERVISOR = "500109104000"  # a town whose supervisor post is vacant
STRIDE = 15  # every 15th village outside 静观镇 has no director
NEW_EVERY = 23  # every 23rd village has a new director, not yet trained
NEW_DAYS = 45


@dataclass
class Appointed:
    directors: int = 0
    supervisors: int = 0
    vacant_villages: int = 0
    new_directors: int = 0


def _plan(villages: list[Region]) -> tuple[list[Region], list[Region], list[Region]]:
    """The villages that get a director appointed with the demo, those that get a new one,
    and the vacant ones."""
    staffed: list[Region] = []
    new: list[Region] = []
    vacant: list[Region] = []
    outside = 0
    for index, village in enumerate(villages):
        if village.code == VACANT_IN_JINGGUAN:
            vacant.append(village)
            continue
        if town_prefix(village.code) != town_prefix(JINGGUAN):
            outside += 1
            if outside % STRIDE == 0:
                vacant.append(village)
                continue
        if index % NEW_EVERY == NEW_EVERY - 1 and town_prefix(village.code) != town_prefix(
            JINGGUAN
        ):
            new.append(village)
        else:
            staffed.append(village)
    return staffed, new, vacant


def appoint_district_staff(
    district: Region, appointed: datetime.date, today: datetime.date, *, seed: int = 2026
) -> Appointed:
    """Once (regions already held are left alone): directors and supervisors for the regions
    of `district` that have none, appointed on `appointed` (or NEW_DAYS before `today`)."""
    rng = random.Random(seed)  # noqa: S311 - fictional demo people, not a secret
    names = Names(rng)
    held = set(
        Assignment.objects.filter(
            region__code__startswith=district.prefix,
            role__in=(Role.CHILD_DIRECTOR, Role.SUPERVISOR),
            end_date__isnull=True,
        ).values_list("region__code", "role")
    )
    regions = list(
        Region.objects.filter(
            code__startswith=district.prefix, level__in=(Level.TOWN, Level.VILLAGE)
        ).order_by("code")
    )
    towns = [r for r in regions if r.level == Level.TOWN]
    villages = [r for r in regions if r.level == Level.VILLAGE]
    staffed, new, vacant = _plan(villages)
    result = Appointed(vacant_villages=len(vacant), new_directors=len(new))

    posts: list[tuple[Region, str, datetime.date, str]] = [
        (town, Role.SUPERVISOR, appointed, f"{town.name}儿童督导员")
        for town in towns
        if town.code != TOWN_WITHOUT_SUPERVISOR and (town.code, Role.SUPERVISOR) not in held
    ]
    recently = today - datetime.timedelta(days=NEW_DAYS)
    for village, start in [*((v, appointed) for v in staffed), *((v, recently) for v in new)]:
        if (village.code, Role.CHILD_DIRECTOR) not in held:
            posts.append((village, Role.CHILD_DIRECTOR, start, f"{village.name}儿童主任"))
    if not posts:
        return Appointed()

    users = []
    for region, role, start, position in posts:
        surname = names.surname()
        chars = ADULT_FEMALE_CHARS if rng.random() < 0.6 else ADULT_MALE_CHARS
        user = User(
            username=f"{'bb_dd' if role == Role.SUPERVISOR else 'bb_zr'}_{region.code}",
            real_name=surname + names.given(chars),
            phone=phone(rng),
            position=position,
            appointed_on=start,
            managing_district=district,
        )
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, ignore_conflicts=True)
    by_username = {
        u.username: u for u in User.objects.filter(username__in=[u.username for u in users])
    }
    Assignment.objects.bulk_create(
        [
            Assignment(user=by_username[user.username], region=region, role=role, start_date=start)
            for user, (region, role, start, _position) in zip(users, posts, strict=True)
        ]
    )
    result.supervisors = sum(1 for p in posts if p[1] == Role.SUPERVISOR)
    result.directors = len(posts) - result.supervisors
    return result
