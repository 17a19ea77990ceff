"""The serializers of the export API (exports/api.py): export requests and jobs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from core import clock
from exports.models import AREA_KINDS, ExportJob, ExportKind, NationalExport, NationalMode


class ExportRequestSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=[(k.value, k.label) for k in AREA_KINDS], default=ExportKind.STATISTICS
    )
    area = serializers.CharField(help_text="12-digit division code of a district or a town.")
    date = serializers.DateField(
        required=False,
        help_text="The date the statistics are for (YYYY-MM-DD); required for statistics.",
    )
    mode = serializers.ChoiceField(
        choices=NationalMode.choices,
        default=NationalMode.FULL,
        help_text="For the national system: every child, or the changes since the region's "
        "last national export.",
    )


class ExportJobSerializer(serializers.ModelSerializer[ExportJob]):
    area = serializers.CharField(source="area.code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    date = serializers.SerializerMethodField()
    mode = serializers.SerializerMethodField()
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
            "mode",
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

    def get_mode(self, job: ExportJob) -> str:
        return str(job.params.get("mode", ""))

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_status_url(self, job: ExportJob) -> str:
        return self._absolute(reverse("export-job-detail", kwargs={"pk": job.pk}))

    def get_download_url(self, job: ExportJob) -> str | None:
        if not job.downloadable(clock.now()):
            return None
        return self._absolute(reverse("export-job-download", kwargs={"pk": job.pk}))


class NationalExportSerializer(serializers.ModelSerializer[NationalExport]):
    """A row of the national-system ledger. The file's link is given to its requester
    only, while it is kept (the download rule of every export)."""

    area = serializers.CharField(source="area.code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    exported_by = serializers.CharField(source="exported_by.username", read_only=True)
    exported_by_name = serializers.SerializerMethodField()
    since = serializers.DateTimeField(source="since.as_of", read_only=True, allow_null=True)
    job = serializers.UUIDField(source="job_id", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = NationalExport
        fields = [
            "id",
            "job",
            "area",
            "area_name",
            "mode",
            "as_of",
            "since",
            "children",
            "new_count",
            "changed_count",
            "closed_count",
            "full_ids",
            "file_name",
            "exported_by",
            "exported_by_name",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_exported_by_name(self, row: NationalExport) -> str:
        user = row.exported_by
        return user.get_full_name() or user.username

    def get_download_url(self, row: NationalExport) -> str | None:
        request = self.context.get("request")
        job = row.job
        if request is None or job.requested_by_id != request.user.pk:
            return None
        if not job.downloadable(clock.now()):
            return None
        url = reverse("export-job-download", kwargs={"pk": job.pk})
        return str(request.build_absolute_uri(url))
