import datetime

import pytest

from children import rules

pytestmark = pytest.mark.calendar

TODAY = datetime.date(2026, 11, 23)


def facts(**kw):
    base = {
        "birth_date": datetime.date(2015, 3, 8),
        "parent_statuses": ("working_away", "working_away"),
        "categories": frozenset({"rural_left_behind"}),
        "guardian_type": "grandparents",
        "carer_capacity": "capable",
        "schooling": "primary",
        "health": "healthy",
        "psychological_concern": False,
    }
    base.update(kw)
    return rules.Facts(**base)


def test_both_away_under_16_marked_is_consistent():
    assert rules.eligibility_warnings(facts(), TODAY) == []


def test_marked_left_behind_but_16_or_older():
    warnings = rules.eligibility_warnings(facts(birth_date=datetime.date(2010, 11, 23)), TODAY)
    assert len(warnings) == 1
    assert "16" in str(warnings[0])


def test_one_day_before_16_is_still_left_behind():
    assert rules.eligibility_warnings(facts(birth_date=datetime.date(2010, 11, 24)), TODAY) == []


def test_both_away_not_marked():
    warnings = rules.eligibility_warnings(facts(categories=frozenset({"poverty"})), TODAY)
    assert len(warnings) == 1


def test_one_away_other_unable_is_left_behind():
    f = facts(parent_statuses=("working_away", "imprisoned"), categories=frozenset())
    assert rules.left_behind_by_parents(f.parent_statuses)
    assert len(rules.eligibility_warnings(f, TODAY)) == 1


def test_marked_but_a_parent_at_home():
    f = facts(parent_statuses=("working_away", "at_home"))
    assert len(rules.eligibility_warnings(f, TODAY)) == 1


def test_not_key_by_default():
    assert rules.key_reasons(facts()) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"parent_statuses": ("severely_disabled", "at_home")}, "parent_disabled"),
        ({"health": "disabled"}, "child_disabled"),
        ({"health": "ill"}, "child_ill"),
        ({"psychological_concern": True}, "psychological"),
        ({"guardian_type": "none"}, "no_guardian"),
        ({"parent_statuses": ("working_away", "deceased")}, "one_away_other_unable"),
        ({"carer_capacity": "neglectful"}, "carer_unfit"),
        ({"carer_capacity": "incapable"}, "carer_unfit"),
        ({"schooling": "dropped_out"}, "dropped_out"),
    ],
)
def test_key_child_reasons(change, reason):
    assert reason in rules.key_reasons(facts(**change))


def test_carer_capacity_only_counts_for_an_entrusted_carer():
    assert rules.key_reasons(facts(guardian_type="parents", carer_capacity="incapable")) == []
