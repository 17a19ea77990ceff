"""The name search: every substring of a 汉字 name finds it, whatever its length (on
PostgreSQL one or two characters go through the characters-and-pairs index, three and more
through the trigram index; on SQLite a plain LIKE), and nothing else is found."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from children.models import Child
from children.selectors import NAME_GRAM_MAX, search
from core import paging
from tests.factories import make_child

NAMES = ["欧阳小明", "张小明", "王二", "明", "李四光"]


@pytest.fixture
def named(people):
    for offset, name in enumerate(NAMES):
        make_child(people["director"], name=name, birth_date=datetime.date(2014, 1, 1 + offset))


def found(text: str) -> set[str]:
    return set(search(Child.objects.all(), text).values_list("name", flat=True))


def substrings(name: str) -> set[str]:
    return {name[i:j] for i in range(len(name)) for j in range(i + 1, len(name) + 1)}


@pytest.mark.django_db
def test_every_substring_finds_exactly_the_names_containing_it(named):
    queries = set().union(*(substrings(name) for name in NAMES)) | {"小红", "赵", "欧阳大"}
    for text in sorted(queries):
        assert found(text) == {name for name in NAMES if text in name}, text
    assert any(len(q) <= NAME_GRAM_MAX for q in queries)
    assert any(len(q) > NAME_GRAM_MAX for q in queries)


@pytest.mark.django_db
def test_like_wildcards_in_a_query_are_plain_characters(named):
    assert found("%") == set()
    assert found("_明") == set()
    assert found("小%明") == set()


def bitmap_plan(text: str) -> str:
    """The plan of a search with sequential and plain index scans off: a bitmap scan is the
    only path left, and it needs an index whose operator matches the filter, so the plan
    names an index only if that index can serve the query (whatever the statistics other
    tests leave behind say about costs)."""
    sql, params = search(Child.objects.all(), text).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_short_queries_use_the_gram_index_on_postgresql(named):
    if connection.vendor != "postgresql":
        pytest.skip("the indexes of migration 0012 are PostgreSQL's")
    for text, index in (("小明", "child_name_grams"), ("欧阳小", "child_name_trgm")):
        plan = bitmap_plan(text)
        assert index in plan, plan


@pytest.mark.django_db
def test_pinyin_prefixes_use_djangos_pattern_index_on_postgresql(named):
    if connection.vendor != "postgresql":
        pytest.skip("varchar_pattern_ops indexes are PostgreSQL's")
    for text in ("zhang", "zxm"):
        plan = bitmap_plan(text)
        assert "_like" in plan, plan


@pytest.mark.django_db
def test_a_search_counts_at_most_the_cap_and_says_so(people, login, monkeypatch):
    for day in range(1, 6):
        make_child(
            people["director"],
            name=f"徐{'一二三四五'[day - 1]}",
            birth_date=datetime.date(2015, 1, day),
        )
    make_child(people["director"], name="李明", birth_date=datetime.date(2015, 2, 1))
    monkeypatch.setattr(paging, "SEARCH_CAP", 3)
    client = login(people["director"])
    with CaptureQueriesContext(connection) as queries:
        capped = client.get(reverse("children:list"), {"q": "徐"})
    assert capped.context["page"].paginator.capped
    # The capped count reads at most cap + 1 matches in no order (an ORDER BY would make the
    # database read and sort every match of a common surname first).
    (count,) = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(*)" in q["sql"] and "children_child" in q["sql"]
    ]
    assert "LIMIT 4" in count and "ORDER BY" not in count
    assert capped.context["page"].paginator.count == 3
    html = capped.content.decode()
    assert 'data-testid="search-capped"' in html and "3" in html
    exact = client.get(reverse("children:list"), {"q": "李"})
    assert not exact.context["page"].paginator.capped
    assert exact.context["page"].paginator.count == 1
    assert 'data-testid="search-capped"' not in exact.content.decode()
    # No search: the exact count, however long the list.
    everyone = client.get(reverse("children:list"))
    assert everyone.context["page"].paginator.count == 6
