"""Generate a synthetic population of children for a district (load tests, benchmarks, demos).

manage.py generate_population --district 500109 --children 100000 --seed 1
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.regions import Level, prefix_code
from demo.synthetic import generate
from org.models import Region, User


class Command(BaseCommand):
    help = (
        "Create synthetic children (valid IDs, parents, categories) across the villages of a "
        "district. Synthetic data: never run it against a production database."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--district", required=True, help="The district's code (6 or 12 digits)."
        )
        parser.add_argument("--children", type=int, default=1000, help="How many children.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (reproducible).")
        parser.add_argument("--created-by", default="", help="Username recorded as creator.")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(
        self,
        *args: Any,
        district: str,
        children: int,
        seed: int,
        created_by: str,
        batch_size: int,
        **options: Any,
    ) -> None:
        code = district.strip()
        if not code.isdigit() or len(code) not in (6, 12):
            raise CommandError("Give the district as its 6- or 12-digit division code.")
        region = Region.objects.filter(code=prefix_code(code), level=Level.DISTRICT).first()
        if region is None:
            raise CommandError(
                f"No district {code}: import the region tree first "
                "(manage.py import_regions or load_demo)."
            )
        if children < 1:
            raise CommandError("--children must be at least 1.")
        user = None
        if created_by:
            user = User.objects.filter(username=created_by).first()
            if user is None:
                raise CommandError(f"No user {created_by}.")
        verbosity = int(options.get("verbosity", 1))

        def progress(done: int) -> None:
            if verbosity > 1:
                self.stdout.write(f"  {done} / {children}")

        started = time.perf_counter()
        created = generate(region, children, seed, user, batch_size=batch_size, progress=progress)
        elapsed = time.perf_counter() - started
        rate = created / elapsed if elapsed else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {created} children in {region.name} in {elapsed:.1f} s "
                f"({rate:,.0f} children/s)."
            )
        )
