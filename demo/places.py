"""The villages of a district as the synthetic population writes their addresses."""

from __future__ import annotations

from dataclasses import dataclass

from core.regions import Level, prefix_range, town_prefix
from org.models import Region


@dataclass(frozen=True)
class Place:
    village: Region
    town: str
    village_name: str
    address_prefix: str  # province, district, town and village
    rural: bool
    street: bool  # a 街道 (urban street office) rather than a 镇


def _short(name: str) -> str:
    for suffix in ("村民委员会", "居民委员会", "委员会"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def district_places(district: Region) -> list[Place]:
    """Every village of `district`, with the names an address is written with."""
    low, high = prefix_range(district.prefix)
    regions = Region.objects.filter(code__range=(low, high)).exclude(level=Level.DISTRICT)
    towns = {town_prefix(r.code): r.name for r in regions if r.level == Level.TOWN}
    top = ""
    ancestors: list[Region] = []
    parent = district.parent
    while parent is not None:
        ancestors.insert(0, parent)
        parent = parent.parent
    for region in ancestors:  # 重庆市 + (not 重庆市市辖区) or 四川省 + 成都市
        if not top or not region.name.startswith(top):
            top += region.name
    places = []
    for village in sorted((r for r in regions if r.level == Level.VILLAGE), key=lambda r: r.code):
        town = towns.get(town_prefix(village.code), "")
        short = _short(village.name)
        places.append(
            Place(
                village=village,
                town=town,
                village_name=short,
                address_prefix=f"{top}{district.name}{town}{short}",
                rural=village.name.endswith("村民委员会") or short.endswith("村"),
                street=town.endswith("街道"),
            )
        )
    return places
