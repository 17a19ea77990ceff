"""Settings of the database transaction or session for the few statements that need them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import DatabaseError, connection


def without_jit() -> None:
    """No JIT compilation for the rest of the transaction (PostgreSQL; elsewhere nothing).
    Large set-based statements are costed above jit_above_cost, and compiling them costs
    seconds, more than the JIT saves: the list import of 200,000 rows against 1,000,000
    children took 36.5 s with it, 30.4 s without; the roster export's one query spent 4.1 s
    of 7 s compiling at 100,000 children."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")


@contextmanager
def jit_off() -> Iterator[None]:
    """No JIT compilation for what runs inside, outside a transaction too (a session setting,
    reset at the end): for a long read whose progress is written by other statements that
    must commit as they go, such as an export job."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        # A broken connection is closed by Django and takes the setting with it.
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("RESET jit")
