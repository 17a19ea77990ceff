"""The serializers of the statistics API (stats/api.py): areas, their rows, figures and months."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from stats.dashboard import (
    Dashboard,
    Row,
    TrainingState,
)


class RegionRefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class WorkerSerializer(serializers.Serializer[Any]):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    training = serializers.ChoiceField(choices=list(TrainingState.LABELS))


class FiguresSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField(help_text="Active children served (each counted once).")
    key = serializers.IntegerField(help_text="Active key children (R15).")
    categories = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Active children per category; a child in two categories counts in each.",
    )
    contacted = serializers.IntegerField(
        help_text="Contacted this calendar month by a contact the district's cadence rule counts "
        "(in person for key children unless phone and video count)."
    )
    home_visited = serializers.IntegerField(help_text="Visited at home this calendar quarter.")
    month_pct = serializers.FloatField(allow_null=True)
    quarter_pct = serializers.FloatField(allow_null=True)
    overdue_contact = serializers.IntegerField()
    overdue_home = serializers.IntegerField()
    reports_open = serializers.IntegerField()
    reports = serializers.DictField(
        child=serializers.IntegerField(), help_text="Open mandatory reports per stage."
    )
    reports_overdue = serializers.IntegerField(
        help_text="Open reports whose next expected step is past its deadline."
    )
    findings_open = serializers.IntegerField(
        help_text="Open findings of other departments' lists (tasks of the village's director)."
    )
    findings_overdue = serializers.IntegerField(help_text="Open findings past their due date.")
    plans_needed = serializers.IntegerField(
        help_text="Active children who need a case plan (key, top risk tiers, an open "
        "mandatory report) and have none being worked on."
    )
    plans_review_overdue = serializers.IntegerField(
        help_text="Approved case plans past their review date."
    )
    plan_actions_overdue = serializers.IntegerField(
        help_text="Open actions of approved case plans past their due date."
    )


class RowSerializer(serializers.Serializer[Any]):
    region = RegionRefSerializer()
    figures = FiguresSerializer()
    workers = WorkerSerializer(
        many=True, help_text="Directors of a village, supervisors of a town."
    )
    villages = serializers.IntegerField()
    villages_without_director = serializers.SerializerMethodField()
    r2_villages = serializers.SerializerMethodField(
        help_text="Villages with more than 30 children served and a single director (R2)."
    )
    without_supervisor = serializers.BooleanField()
    inspected_this_quarter = serializers.IntegerField()
    last_inspection_on = serializers.DateField(allow_null=True)

    def get_villages_without_director(self, row: Row) -> list[str]:
        return [v.code for v in row.villages_without_director]

    def get_r2_villages(self, row: Row) -> list[str]:
        return [v.code for v in row.r2_villages]


class MonthSerializer(serializers.Serializer[Any]):
    month = serializers.CharField(source="label", help_text="YYYY-MM")
    month_pct = serializers.FloatField(allow_null=True)
    contacted = serializers.IntegerField()
    total = serializers.IntegerField()
    origin = serializers.ChoiceField(
        source="source",
        choices=["live", "snapshot", "visits", "none"],
        help_text="live: today's figures; snapshot: the month's last snapshot; visits: "
        "computed from visit dates (no snapshot that month); none: not computed yet (the "
        "snapshot task fills it in).",
    )


class AreaSerializer(serializers.Serializer[Any]):
    date = serializers.DateField(source="today")
    figures_as_of = serializers.DateTimeField(
        source="as_of",
        allow_null=True,
        help_text="When the snapshot the figures come from (refreshed every few minutes) was "
        "taken; null when there is no snapshot yet (the figures are zero and one is being "
        "taken).",
    )
    figures_fresh = serializers.BooleanField(
        source="fresh",
        help_text="False when the snapshot is older than two refresh intervals or from an "
        "earlier day: a new one has been requested.",
    )
    area = RowSerializer(source="total")
    rows = RowSerializer(many=True)
    towns_without_supervisor = serializers.SerializerMethodField()

    def get_towns_without_supervisor(self, dashboard: Dashboard) -> list[str]:
        return [t.code for t in dashboard.towns_without_supervisor]


class AreaDetailSerializer(AreaSerializer):
    history = MonthSerializer(many=True)
