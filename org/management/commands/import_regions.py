from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from org.importing import import_regions_file


class Command(BaseCommand):
    help = "Import a region tree from a CSV file (code,name[,level]). All rows or none."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("csv_path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate without saving.")

    def handle(self, *args: Any, csv_path: Path, dry_run: bool, **options: Any) -> None:
        if not csv_path.is_file():
            raise CommandError(f"No such file: {csv_path}")
        result = import_regions_file(csv_path, dry_run=dry_run)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)} bad row(s); nothing was imported.")
        verb = "would import" if dry_run else "imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged."
            )
        )
