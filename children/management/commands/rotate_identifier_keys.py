"""Re-encrypt every stored identity number under the current key (and optionally recompute
the lookup hashes under a new hash key). Safe to run twice; runs in batches."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from children import crypto
from children.models import Child, Parent


class Command(BaseCommand):
    help = (
        "Re-encrypt identity numbers with the first key of IDENTIFIER_KEYS; with --rehash, "
        "recompute lookup hashes with the current IDENTIFIER_HASH_KEY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rehash", action="store_true")
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args: Any, rehash: bool, batch: int, **options: Any) -> None:
        crypto.reset_keys()
        children = parents = 0
        last = 0
        while True:
            rows = list(Child.objects.filter(pk__gt=last).order_by("pk")[:batch])
            if not rows:
                break
            with transaction.atomic():
                for child in rows:
                    child.id_cipher = crypto.rotate(child.id_cipher)
                    child.carer_id_cipher = crypto.rotate(child.carer_id_cipher)
                    if rehash and child.id_cipher:
                        child.id_hash = crypto.lookup_hash(crypto.decrypt(child.id_cipher))
                Child.objects.bulk_update(rows, ["id_cipher", "carer_id_cipher", "id_hash"])
            children += len(rows)
            last = rows[-1].pk
        last = 0
        while True:
            parent_rows = list(Parent.objects.filter(pk__gt=last).order_by("pk")[:batch])
            if not parent_rows:
                break
            for parent in parent_rows:
                parent.id_cipher = crypto.rotate(parent.id_cipher)
            Parent.objects.bulk_update(parent_rows, ["id_cipher"])
            parents += len(parent_rows)
            last = parent_rows[-1].pk
        self.stdout.write(f"Re-encrypted {children} children and {parents} parents.")
