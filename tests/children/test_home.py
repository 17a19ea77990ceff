import datetime

from django.urls import reverse

from tests.factories import CHENGUANG, make_child


def test_home_counts_only_the_users_archives(people, client):
    make_child(people["director"], schooling="dropped_out")
    make_child(people["director"], birth_date=datetime.date(2014, 6, 1))
    make_child(people["other_director"], CHENGUANG, birth_date=datetime.date(2013, 6, 1))
    client.force_login(people["director"])
    assert client.get(reverse("home")).context["archive"] == {
        "active": 2, "key": 1, "age_review": 0,
    }  # fmt: skip
    client.force_login(people["other_civil"])
    assert client.get(reverse("home")).context["archive"]["active"] == 1
    client.force_login(people["sysadmin"])
    assert "archive" not in client.get(reverse("home")).context
