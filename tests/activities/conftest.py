import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from activities import services
from activities.models import ActivityKind
from core import clock
from tests.factories import CHENGUANG, JINGGUAN, XINGCHENG, ZHIDA, make_child, region

D = datetime.date


@pytest.fixture
def kids(people):
    """Five children of 志达社区, one of 星城 (the same town) and one of 秀山县."""
    director = people["director"]
    names = ["王小红", "李明", "赵强", "钱多", "孙悟"]
    zhida = [
        make_child(director, name=name, birth_date=D(2014, 5, n + 1))
        for n, name in enumerate(names)
    ]
    xingcheng = make_child(people["neighbour"], XINGCHENG, name="周星", birth_date=D(2013, 4, 1))
    xiushan = make_child(people["other_director"], CHENGUANG, name="吴秀", birth_date=D(2013, 4, 2))
    return {"zhida": zhida, "xingcheng": xingcheng, "xiushan": xiushan}


def png(name="photo.png"):
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def values(area_code=ZHIDA, **overrides):
    fields = {
        "region": region(area_code),
        "kind": ActivityKind.SAFETY,
        "title": "防溺水安全教育",
        "held_on": clock.today(),
        "place": "志达社区儿童之家",
        "topics": ["drowning"],
    }
    fields.update(overrides)
    return services.ActivityInput(**fields)


def record(by, children=(), area_code=ZHIDA, **overrides):
    activity, _created = services.activity_record(
        by=by, values=values(area_code, **overrides), children=list(children)
    )
    return activity


__all__ = ["JINGGUAN", "png", "record", "values"]
