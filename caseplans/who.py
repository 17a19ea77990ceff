"""The "who" of an action as one choice: "p<id>" a service provider, "u<id>" a person, ""
the child's current director."""

from __future__ import annotations

DIRECTOR = ""  # "who" left empty: the child's current director


def who_value(provider_id: int | None, person_id: int | None) -> str:
    if provider_id:
        return f"p{provider_id}"
    if person_id:
        return f"u{person_id}"
    return DIRECTOR


def who_ids(value: str) -> tuple[int | None, int | None]:
    """(provider id, person id) of a "who" choice."""
    if value[1:].isdigit() and value[:1] in {"p", "u"}:
        pk = int(value[1:])
        return (pk, None) if value[0] == "p" else (None, pk)
    return None, None
