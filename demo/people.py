"""Names, phone numbers and resident ID numbers for the synthetic population
(demo/synthetic.py): common Chinese names with their pinyin keys, mobile numbers, adults' ID
numbers, and the parents made of them."""

from __future__ import annotations

import datetime
import random

from children import crypto, idnumber
from children.choices import ParentRelation, ParentStatus
from children.models import Parent
from children.registration import pinyin_keys

# The most common surnames, roughly by frequency (the first ones weigh most).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭肖田董袁潘蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤冉"
)
_SURNAME_WEIGHTS = [1.0 / (1 + i / 8) for i in range(len(SURNAMES))]
BOY_CHARS = (
    "浩宇轩子涵梓俊杰博文明鑫磊涛鹏伟强军勇洋辰昊然阳睿泽晨航宸铭嘉豪一天思奕凯瑞成家志宏振建兴飞斌林"
    "毅翔诚康锦"
)
GIRL_CHARS = (
    "欣怡梓涵诗雨佳琪思萱可馨悦艺婷雪丽芳娜静敏慧颖琳晓梦玉美月倩瑶妍蕾菲洁露甜心彤语若紫嘉"
)
ELDER_CHARS = "德秀桂兰福贵华英芳珍明国荣淑玉凤春学志永海金云中清"
ADULT_MALE_CHARS = "建国军伟强勇斌平东明华林波涛辉刚峰亮军红兵文杰超磊"
ADULT_FEMALE_CHARS = "秀英丽芳敏静燕霞艳娟红梅琴兰萍玲霞丹娜燕慧"

WORK_PLACES = [
    ("广东", "东莞"),
    ("广东", "深圳"),
    ("广东", "广州"),
    ("广东", "佛山"),
    ("浙江", "宁波"),
    ("浙江", "温州"),
    ("浙江", "杭州"),
    ("江苏", "苏州"),
    ("上海", "上海"),
    ("福建", "厦门"),
    ("福建", "泉州"),
    ("北京", "北京"),
    ("四川", "成都"),
    ("重庆", "渝北区"),
    ("新疆", "乌鲁木齐"),
]
MOBILE_PREFIXES = ["134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158",
                   "159", "182", "183", "187", "188", "130", "131", "132", "155", "156", "185",
                   "186", "133", "153", "177", "180", "181", "189", "199"]  # fmt: skip


class Names:
    """Names and their pinyin keys. pypinyin is the slow part, so a name's keys are put
    together from its surname's and its given name's, each computed once: for the characters
    above this gives exactly `pinyin_keys(name)` (checked over every combination)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._pinyin: dict[str, tuple[str, str]] = {}

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]

    def given(self, chars: str) -> str:
        rng = self.rng
        if rng.random() < 0.25:
            return rng.choice(chars)
        return rng.choice(chars) + rng.choice(chars)

    def _keys(self, part: str) -> tuple[str, str]:
        keys = self._pinyin.get(part)
        if keys is None:
            keys = self._pinyin[part] = pinyin_keys(part)
        return keys

    def pinyin(self, surname: str, given: str) -> tuple[str, str]:
        (sur_full, sur_initials), (given_full, given_initials) = (
            self._keys(surname),
            self._keys(given),
        )
        return (sur_full + given_full)[:200], (sur_initials + given_initials)[:50]


def phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def adult_id(rng: random.Random, area: str, birth_year: int, male: bool) -> str:
    birth = datetime.date(birth_year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
    seq = rng.randrange(500) * 2 + (1 if male else 0)
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + idnumber.check_character(first17)


def date_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    days = (end - start).days
    return start + datetime.timedelta(days=rng.randrange(max(days, 0) + 1))


def synthetic_parent(
    names: Names,
    *,
    area: str,
    relation: str,
    status: str,
    surname: str,
    birth: datetime.date,
    today: datetime.date,
) -> Parent:
    """A parent of a child born on `birth`, in `status`: name, and often an ID number (of
    `area` mostly), a phone and where they work."""
    rng = names.rng
    male = relation == ParentRelation.FATHER
    name = (
        surname + names.given(ADULT_MALE_CHARS)
        if male
        else names.surname() + names.given(ADULT_FEMALE_CHARS)
    )
    parent = Parent(relation=relation, name=name, status=status)
    if rng.random() < 0.7:
        home = area if rng.random() < 0.85 else rng.choice(["500101", "500112", "510104",
                                                             "522101", "430102"])  # fmt: skip
        number = adult_id(rng, home, birth.year - rng.randint(20, 40), male)
        parent.id_cipher = crypto.encrypt(number)
        parent.id_masked = idnumber.mask(number)
    if status not in (ParentStatus.DECEASED, ParentStatus.MISSING, ParentStatus.IMPRISONED):
        parent.phone = phone(rng) if rng.random() < 0.8 else ""
    if status == ParentStatus.WORKING_AWAY:
        parent.work_province, parent.work_city = rng.choice(WORK_PLACES)
    if status == ParentStatus.MISSING:
        parent.missing_since = date_between(rng, birth, today)
    return parent
