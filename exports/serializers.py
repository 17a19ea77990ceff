"""The serializers of the export API (exports/api.py): export requests and jobs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from core import clock
from exports.models import ExportJob, ExportKind


class ExportRequestSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ExportKind.choices, default=ExportKind.STATISTICS)
    area = serializers.CharField(help_text="12-digit division code of a district or a town.")
    date = serializers.DateField(help_text="The date the statistics are for (YYYY-MM-DD).")


class ExportJobSerializer(serializers.ModelSerializer[ExportJob]):
    area = serializers.CharField(source="area.code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    date = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "area",
            "area_name",
            "date",
            "status",
            "progress",
            "message",
            "row_count",
            "sheet_count",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
            "status_url",
            "download_url",
        ]
        read_only_fields = fields

    def get_date(self, job: ExportJob) -> str:
        return str(job.params.get("date", ""))

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_status_url(self, job: ExportJob) -> str:
        return self._absolute(reverse("export-job-detail", kwargs={"pk": job.pk}))

    def get_download_url(self, job: ExportJob) -> str | None:
        if not job.downloadable(clock.now()):
            return None
        return self._absolute(reverse("export-job-download", kwargs={"pk": job.pk}))
