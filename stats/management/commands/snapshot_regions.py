"""Take the dashboard snapshot now: on deploy, after `migrate` (docker-compose's migrate
service), so that no dashboard waits for the first scheduled run."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core import clock
from stats.services import snapshot_regions


class Command(BaseCommand):
    help = "Store today's dashboard figures of every village, town and district (or one district)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--district", default="", help="a district's 6-digit prefix (default: all of them)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["district"]
        if prefix and not (len(prefix) == 6 and prefix.isdigit()):
            self.stderr.write("--district takes a 6-digit prefix, such as 500109")
            raise SystemExit(2)
        written = snapshot_regions(today=clock.today(), now=clock.now(), prefix=prefix)
        self.stdout.write(f"{written} regions snapshotted")
