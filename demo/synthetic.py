"""A synthetic but plausible population of children for a district: load tests, benchmarks
and demonstrations. Never for a production database.

`generate(district, count, seed)` spreads `count` children over every village of the district
(the region tree must be loaded) with valid, unique resident ID numbers of the district's area
code, common Chinese names, a category mix close to the field's (about 60% rural left-behind,
then poverty, single-parent, disability, orphans and the rest), parents whose situations agree
with the categories, guardianship, schooling by age, and the derived key-child reasons of R15
(about 8% key children). Identity numbers are encrypted and hashed exactly as the service does.

Rows are written with `bulk_create` in batches: no history rows, no per-row signals. The same
seed (and the same `today`) gives the same population; ID numbers already in the database are
skipped, so topping up an existing population never collides.

Names, ID numbers and parents come from demo/people.py, villages and addresses from
demo/places.py. What is left (about 540 lines) is one generator drawing every fact of a child
from one random stream in a fixed order, which is what makes a seed reproduce a population;
it stays in one module so that order reads top to bottom.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, reset_queries, transaction

from children import crypto, idnumber, rules
from children.choices import (
    ENTRUSTED,
    ETHNICITIES,
    CarerCapacity,
    Category,
    CloseReason,
    DisabilityGrade,
    DisabilityType,
    GuardianshipQuality,
    GuardianType,
    Health,
    ParentRelation,
    ParentStatus,
    Schooling,
    Status,
)
from children.models import CategoryTag, Child, Parent
from core import clock
from core.calendar import years_before
from core.regions import Level, district_prefix
from demo.people import (
    BOY_CHARS,
    ELDER_CHARS,
    GIRL_CHARS,
    WORK_PLACES,
    Names,
    adult_id,
    date_between,
    phone,
    synthetic_parent,
)
from demo.places import Place, district_places
from org.models import Region, User
from visits.cadence import apply_rule_to_district

BATCH_SIZE = 2000

ILLNESSES = ["先天性心脏病", "白血病", "癫痫", "肾病综合征", "哮喘", "地中海贫血", "脑瘫"]
PSYCH_NOTES = ["情绪低落，少与人交流", "厌学，常逃课", "沉迷手机游戏", "有自伤倾向", "攻击性行为"]
GRADES = {
    Schooling.KINDERGARTEN: ["小班", "中班", "大班"],
    Schooling.PRIMARY: ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"],
    Schooling.JUNIOR: ["初一", "初二", "初三"],
    Schooling.SENIOR: ["高一", "高二", "高三"],
    Schooling.VOCATIONAL: ["一年级", "二年级", "三年级"],
}
# Scenarios and their shares; each decides the parents' situations and the categories.
SCENARIOS: list[tuple[str, float]] = [
    ("left_behind", 0.62),
    ("poverty", 0.10),
    ("single_parent", 0.08),
    ("other", 0.075),
    ("disability", 0.025),
    ("unsupported", 0.03),
    ("orphan", 0.02),
    ("guardianship", 0.03),
    ("prisoner", 0.02),
    ("rehab", 0.01),
]
_UNABLE = [
    ParentStatus.SEVERELY_DISABLED,
    ParentStatus.SERIOUSLY_ILL,
    ParentStatus.IMPRISONED,
    ParentStatus.MISSING,
    ParentStatus.DECEASED,
    ParentStatus.IN_REHAB,
]


class _Generator:
    def __init__(
        self,
        district: Region,
        seed: int,
        created_by: User | None,
        today: datetime.date,
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible by design
        self.names = Names(self.rng)
        self.area = district_prefix(district.code)
        self.today = today
        self.created_by = created_by
        self.places = district_places(district)
        if not self.places:
            raise ValueError(f"{district} has no villages: load the region tree first.")
        # Some villages hold many more children than others.
        self.place_weights = [self.rng.uniform(0.4, 1.6) for _ in self.places]
        self.ethnic_codes, self.ethnic_weights = self._ethnicities(district.name)
        self.scenario_names = [s for s, _ in SCENARIOS]
        self.scenario_weights = [w for _, w in SCENARIOS]
        self.used: set[str] = set()  # first 17 characters of IDs issued in this run
        self.taken: set[str] = {
            digest
            for digest in Child.objects.filter(id_masked__startswith=self.area).values_list(
                "id_hash", flat=True
            )
            if digest
        }
        self.district_name = district.name

    @staticmethod
    def _ethnicities(district_name: str) -> tuple[list[str], list[float]]:
        local = [code for code, name in ETHNICITIES if code != "01" and name in district_name]
        if local:  # an autonomous county: its own peoples are a large share
            codes = ["01", *local]
            return codes, [0.55, *[0.45 / len(local)] * len(local)]
        return ["01", "15", "06", "03"], [0.97, 0.015, 0.01, 0.005]

    # --- one child ------------------------------------------------------------------------

    def _birth(self, min_age: int, max_age: int) -> datetime.date:
        latest = years_before(self.today, min_age)
        earliest = years_before(self.today, max_age + 1) + datetime.timedelta(days=1)
        return date_between(self.rng, earliest, latest)

    def _child_id(self, birth: datetime.date, male: bool) -> tuple[str, str] | None:
        """A fresh ID number for `birth` and its hash, or None when the day is full."""
        for _attempt in range(40):
            seq = self.rng.randrange(500) * 2 + (1 if male else 0)
            first17 = f"{self.area}{birth:%Y%m%d}{seq:03d}"
            if first17 in self.used:
                continue
            number = first17 + idnumber.check_character(first17)
            digest = crypto.lookup_hash(number)
            if digest in self.taken:
                continue
            self.used.add(first17)
            return number, digest
        return None

    def _parents(self, scenario: str, age: int) -> tuple[dict[str, str], list[str]]:
        """Parent situations by relation (a relation left out is not recorded) and the
        categories that follow from the scenario."""
        rng = self.rng
        father, mother = ParentRelation.FATHER.value, ParentRelation.MOTHER.value
        away, home = ParentStatus.WORKING_AWAY.value, ParentStatus.AT_HOME.value
        if scenario == "left_behind":
            categories = [Category.RURAL_LEFT_BEHIND.value]
            if rng.random() < 0.98:
                statuses = {father: away, mother: away}
            else:
                unable = rng.choice(_UNABLE)
                statuses = (
                    {father: away, mother: unable}
                    if rng.random() < 0.6
                    else {father: unable, mother: away}
                )
                if unable == ParentStatus.IMPRISONED:
                    categories.append(Category.PRISONER_CHILD.value)
                elif unable == ParentStatus.IN_REHAB:
                    categories.append(Category.REHAB_CHILD.value)
                elif unable == ParentStatus.DECEASED:
                    categories.append(Category.SINGLE_PARENT.value)
            if rng.random() < 0.1:
                categories.append(Category.POVERTY.value)
            return statuses, categories
        if scenario == "poverty":
            if rng.random() < 0.85:
                return {father: home, mother: home}, [Category.POVERTY.value]
            return {father: home, mother: ParentStatus.SERIOUSLY_ILL.value}, [
                Category.POVERTY.value
            ]
        if scenario == "single_parent":
            kept = rng.choice([father, mother])
            other = mother if kept == father else father
            statuses = {kept: away if rng.random() < 0.15 else home}
            roll = rng.random()
            if roll < 0.4:
                statuses[other] = ParentStatus.DECEASED.value
            elif roll < 0.7:
                statuses[other] = ParentStatus.MISSING.value
            # else: divorced, the other parent is not recorded
            return statuses, [Category.SINGLE_PARENT.value]
        if scenario == "orphan":
            return {father: ParentStatus.DECEASED.value, mother: ParentStatus.DECEASED.value}, [
                Category.ORPHAN.value
            ]
        if scenario == "unsupported":
            first = rng.choice(
                [ParentStatus.IMPRISONED, ParentStatus.MISSING, ParentStatus.SEVERELY_DISABLED]
            ).value
            second = rng.choice(
                [ParentStatus.DECEASED, ParentStatus.MISSING, ParentStatus.SERIOUSLY_ILL]
            ).value
            return {father: first, mother: second}, [Category.UNSUPPORTED.value]
        if scenario == "prisoner":
            return {father: ParentStatus.IMPRISONED.value, mother: home}, [
                Category.PRISONER_CHILD.value
            ]
        if scenario == "rehab":
            return {father: ParentStatus.IN_REHAB.value, mother: home}, [Category.REHAB_CHILD.value]
        if scenario == "guardianship":
            return {father: away, mother: home}, [Category.GUARDIANSHIP.value]
        if scenario == "disability":
            statuses = {father: rng.choice([home, away]), mother: home}
            categories = [Category.DISABILITY_ILLNESS.value]
            if rng.random() < 0.3:
                categories.append(Category.POVERTY.value)
            return statuses, categories
        return {father: rng.choice([home, away]), mother: home}, [Category.OTHER.value]

    def _schooling(self, age: int, place: Place) -> dict[str, Any]:
        rng = self.rng
        town = place.town
        if age < 3:
            schooling = Schooling.PRE_KINDERGARTEN
        elif age < 6:
            schooling = (
                Schooling.KINDERGARTEN if rng.random() < 0.88 else Schooling.PRE_KINDERGARTEN
            )
        elif age < 12:
            schooling = Schooling.PRIMARY
        elif age < 15:
            schooling = Schooling.JUNIOR if rng.random() < 0.995 else Schooling.DROPPED_OUT
        else:
            schooling = rng.choices(
                [Schooling.SENIOR, Schooling.VOCATIONAL, Schooling.DROPPED_OUT,
                 Schooling.NOT_IN_SCHOOL],
                weights=[0.62, 0.28, 0.025, 0.075],
            )[0]  # fmt: skip
        school, grade, boarding = "", "", False
        if schooling == Schooling.KINDERGARTEN:
            school, grade = f"{town}中心幼儿园", GRADES[schooling][min(age - 3, 2)]
        elif schooling == Schooling.PRIMARY:
            school = f"{town}中心小学" if rng.random() < 0.6 else f"{place.village_name}小学"
            grade = GRADES[schooling][min(age - 6, 5)]
        elif schooling == Schooling.JUNIOR:
            school, grade = f"{town}中学", GRADES[schooling][min(age - 12, 2)]
            boarding = rng.random() < 0.35
        elif schooling == Schooling.SENIOR:
            school = f"{self.district_name}第{rng.randint(1, 6)}中学"
            grade = GRADES[schooling][min(age - 15, 2)]
            boarding = rng.random() < 0.7
        elif schooling == Schooling.VOCATIONAL:
            school = f"{self.district_name}职业教育中心"
            grade = GRADES[schooling][min(age - 15, 2)]
            boarding = rng.random() < 0.6
        return {
            "schooling": schooling.value,
            "school_name": school,
            "grade": grade,
            "boarding": boarding,
        }

    def child(self, village_index: int) -> tuple[Child, list[str], list[Parent]] | None:
        rng = self.rng
        place = self.places[village_index]
        scenario = rng.choices(self.scenario_names, weights=self.scenario_weights)[0]
        # Left-behind care ends at 16; the other categories at 18.
        age_limit = 15 if scenario == "left_behind" else 17
        birth = self._birth(0, age_limit)
        age = rules.age_on(birth, self.today)
        male = rng.random() < 0.53
        issued = self._child_id(birth, male)
        if issued is None:
            return None
        number, digest = issued
        statuses, categories = self._parents(scenario, age)
        if scenario == "left_behind" and not place.rural and place.street and rng.random() < 0.2:
            categories[0] = Category.URBAN_LEFT_BEHIND.value

        surname = self.names.surname()
        given = self.names.given(BOY_CHARS if male else GIRL_CHARS)
        name = surname + given
        pinyin, initials = self.names.pinyin(surname, given)
        if place.rural:
            address = f"{place.address_prefix}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
        else:
            room = rng.randint(1, 30) * 100 + rng.randint(1, 6)
            address = f"{place.address_prefix}{rng.randint(1, 40)}栋{room}室"
        # Most children are registered where they live; some elsewhere in the district.
        hukou_place = place if rng.random() < 0.92 else rng.choice(self.places)
        hukou_address = hukou_place.address_prefix

        # Health: disability and illness mostly in their own scenario.
        health = Health.HEALTHY.value
        disability_type = disability_grade = illness = ""
        if scenario == "disability" or rng.random() < 0.003:
            health = rng.choices(
                [Health.DISABLED, Health.ILL, Health.DISABLED_AND_ILL], weights=[0.6, 0.3, 0.1]
            )[0].value
            if Category.DISABILITY_ILLNESS.value not in categories:
                categories.append(Category.DISABILITY_ILLNESS.value)
        if health in (Health.DISABLED, Health.DISABLED_AND_ILL):
            disability_type = rng.choice(DisabilityType.values)
            disability_grade = rng.choice(DisabilityGrade.values)
        if health in (Health.ILL, Health.DISABLED_AND_ILL):
            illness = rng.choice(ILLNESSES)
        psychological = rng.random() < 0.008
        schooling = self._schooling(age, place)
        in_school = schooling["schooling"] in (Schooling.PRIMARY, Schooling.JUNIOR)
        if health != Health.HEALTHY and in_school and rng.random() < 0.15:
            schooling = {"schooling": Schooling.NOT_IN_SCHOOL.value, "school_name": "",
                         "grade": "", "boarding": False}  # fmt: skip

        guardian = self._guardian(scenario, statuses, surname, place, address)
        child = Child(
            name=name,
            name_pinyin=pinyin,
            name_initials=initials,
            gender="M" if male else "F",
            ethnicity=rng.choices(self.ethnic_codes, weights=self.ethnic_weights)[0],
            id_cipher=crypto.encrypt(number),
            id_hash=digest,
            id_masked=idnumber.mask(number),
            birth_date=birth,
            hukou_registered=rng.random() < 0.99,
            hukou_address=hukou_address,
            address=address,
            village=place.village,
            region_code=place.village.code,
            health=health,
            disability_type=disability_type,
            disability_grade=disability_grade,
            illness=illness,
            psychological_concern=psychological,
            psychological_note=rng.choice(PSYCH_NOTES) if psychological else "",
            created_by=self.created_by,
            **schooling,
            **guardian,
        )
        reasons = rules.key_reasons(
            rules.Facts(
                birth_date=birth,
                parent_statuses=tuple(statuses.values()),
                categories=frozenset(categories),
                guardian_type=child.guardian_type,
                carer_capacity=child.carer_capacity,
                schooling=child.schooling,
                health=health,
                psychological_concern=psychological,
            )
        )
        child.is_key, child.key_reasons = bool(reasons), reasons
        if rng.random() < 0.03:
            self._close(child, age)
        parents = [
            synthetic_parent(
                self.names,
                area=self.area,
                relation=relation,
                status=status,
                surname=surname,
                birth=birth,
                today=self.today,
            )
            for relation, status in statuses.items()
        ]
        return child, categories, parents

    def _guardian(
        self,
        scenario: str,
        statuses: dict[str, str],
        surname: str,
        place: Place,
        address: str,
    ) -> dict[str, Any]:
        rng = self.rng
        able = [relation for relation, s in statuses.items() if s == ParentStatus.AT_HOME.value]
        quality = rng.choices(
            [GuardianshipQuality.GOOD, GuardianshipQuality.FAIR, GuardianshipQuality.POOR],
            weights=[0.62, 0.33, 0.05],
        )[0].value
        values: dict[str, Any] = {
            "carer_name": "",
            "carer_relation": "",
            "carer_phone": "",
            "carer_id_cipher": "",
            "carer_address": "",
            "carer_capacity": "",
            "entrustment_signed_on": None,
            "guardianship_quality": quality,
        }
        if scenario == "guardianship":
            guardian = GuardianType.NONE if rng.random() < 0.2 else GuardianType.ONE_PARENT
            values["guardianship_quality"] = rng.choice(
                [GuardianshipQuality.POOR, GuardianshipQuality.NONE]
            ).value
        elif len(able) == 2:
            guardian = GuardianType.PARENTS
        elif len(able) == 1:
            guardian = GuardianType.ONE_PARENT
        elif scenario == "orphan" and rng.random() < 0.1:
            guardian = GuardianType.INSTITUTION
        else:
            guardian = rng.choices(
                [GuardianType.GRANDPARENTS, GuardianType.RELATIVES, GuardianType.OTHER_PERSON,
                 GuardianType.NONE],
                weights=[0.82, 0.14, 0.03, 0.003],
            )[0]  # fmt: skip
        if guardian == GuardianType.NONE:
            values["guardianship_quality"] = GuardianshipQuality.NONE.value
        values["guardian_type"] = guardian.value
        if guardian in ENTRUSTED:
            if guardian == GuardianType.GRANDPARENTS:
                relation = rng.choice(["祖父", "祖母", "祖母", "外祖父", "外祖母"])
                carer_surname = surname if relation.startswith("祖") else self.names.surname()
                born = self.today.year - rng.randint(55, 78)
            elif guardian == GuardianType.RELATIVES:
                relation = rng.choice(["伯父", "叔叔", "姑姑", "舅舅", "姨妈"])
                carer_surname = surname if relation in ("伯父", "叔叔", "姑姑") else (
                    self.names.surname()
                )  # fmt: skip
                born = self.today.year - rng.randint(30, 55)
            else:
                relation = rng.choice(["邻居", "亲戚朋友"])
                carer_surname = self.names.surname()
                born = self.today.year - rng.randint(35, 70)
            male = relation in ("祖父", "外祖父", "伯父", "叔叔", "舅舅") or (
                relation in ("邻居", "亲戚朋友") and rng.random() < 0.5
            )
            values.update(
                carer_name=carer_surname + self.names.given(ELDER_CHARS),
                carer_relation=relation,
                carer_phone=phone(rng) if rng.random() < 0.85 else "",
                carer_address=address,
                carer_capacity=rng.choices(
                    CarerCapacity.values, weights=[0.87, 0.114, 0.008, 0.008]
                )[0],
                entrustment_signed_on=(
                    date_between(rng, years_before(self.today, 3), self.today)
                    if rng.random() < 0.9
                    else None
                ),
            )
            if rng.random() < 0.5:
                values["carer_id_cipher"] = crypto.encrypt(adult_id(rng, self.area, born, male))
        return values

    def _close(self, child: Child, age: int) -> None:
        rng = self.rng
        reasons = [CloseReason.MOVED_AWAY, CloseReason.PARENTS_RETURNED, CloseReason.OTHER]
        if age >= 16:
            reasons.append(CloseReason.AGED_OUT)
        reason = rng.choice(reasons).value
        child.status = Status.CLOSED.value
        child.close_reason = reason
        child.closed_on = date_between(rng, years_before(self.today, 1), self.today)
        if reason == CloseReason.MOVED_AWAY:
            child.new_address = f"{rng.choice(WORK_PLACES)[0]}省务工地随父母居住"
        elif reason == CloseReason.OTHER:
            child.close_note = "监护情况改善，经评估不再纳入"


def generate(
    district: Region,
    count: int,
    seed: int,
    created_by: User | None = None,
    *,
    today: datetime.date | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    recompute_due: bool = True,
    villages: Sequence[str] | None = None,
) -> int:
    """Create `count` synthetic children (with parents and categories) across the villages of
    `district` (only those whose codes `villages` lists, when given); returns the number
    created. Deterministic for `seed` and `today`.

    `recompute_due=False` skips the final cadence UPDATE over the district's children, for a
    caller that writes visits next and recomputes the due dates itself (bench/population.py)."""
    if district.level != Level.DISTRICT:
        raise ValueError(f"{district} is not a district/county.")
    generator = _Generator(district, seed, created_by, today or clock.today())
    CategoryTag.objects.bulk_create(
        [CategoryTag(code=code) for code in Category.values], ignore_conflicts=True
    )
    through: Any = Child.categories.through
    indices = [
        i
        for i, place in enumerate(generator.places)
        if villages is None or place.village.code in villages
    ]
    weights = [generator.place_weights[i] for i in indices]
    created = 0
    while created < count:
        size = min(batch_size, count - created)
        picked = generator.rng.choices(indices, weights=weights, k=size)
        rows = [row for row in (generator.child(i) for i in picked) if row is not None]
        if not rows:
            break  # every ID number of the district is taken (not in any real use)
        with transaction.atomic():
            children = Child.objects.bulk_create([row[0] for row in rows], batch_size=batch_size)
            links = []
            parents = []
            for child, (_, categories, child_parents) in zip(children, rows, strict=True):
                links += [through(child_id=child.pk, categorytag_id=c) for c in categories]
                for parent in child_parents:
                    parent.child_id = child.pk
                    parents.append(parent)
            through.objects.bulk_create(links, batch_size=batch_size * 2)
            Parent.objects.bulk_create(parents, batch_size=batch_size * 2)
        created += len(children)
        reset_queries()  # with DEBUG on, Django would keep every (huge) INSERT in memory
        if progress is not None:
            progress(created)
    # Fresh statistics after a bulk load: without them SQLite plans the scoped list by the
    # status index and scans the whole table.
    with connection.cursor() as cursor:
        for model in (Child, Parent, through):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"ANALYZE {table}")  # a table name from the models
    # Bulk-created children bypass child_save: give them their visit due dates in one UPDATE.
    if recompute_due:
        apply_rule_to_district(district)
    return created


__all__ = ["generate"]
