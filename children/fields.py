"""The editable fields of a child, declared once, in the sections of the national registration
form (农村留守儿童基本情况登记表).

The service (`registration.child_save`), the form, the serializer, the dossier and the roster
columns all take their lists from here. Identity numbers (`id_number`, `carer_id_number`),
the village and the categories are not in these lists: each caller places them itself, since
they are stored encrypted or in other tables.
"""

from __future__ import annotations

IDENTITY = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "hukou_registered",
    "hukou_address",
    "address",
)
GUARDIANSHIP = (
    "guardian_type",
    "carer_name",
    "carer_relation",
    "carer_phone",
    "carer_address",
    "carer_capacity",
    "entrustment_signed_on",
    "guardianship_quality",
)
SCHOOLING = ("schooling", "school_name", "grade", "boarding")
HEALTH = (
    "health",
    "disability_type",
    "disability_grade",
    "illness",
    "psychological_concern",
    "psychological_note",
)
# Kept only for someone 18 or older whose archive is kept by a policy case.
OVER_AGE_REASON = "over_age_reason"

# Child fields a caller may set directly (identity numbers, village, categories and parents
# apart).
CHILD_FIELDS = (*IDENTITY, *GUARDIANSHIP, *SCHOOLING, *HEALTH, OVER_AGE_REASON)

# The fields of each parent (father, mother).
PARENT_FIELDS = (
    "name",
    "id_number",
    "phone",
    "status",
    "work_province",
    "work_city",
    "missing_since",
)


def inserted(names: tuple[str, ...], **after: tuple[str, ...]) -> tuple[str, ...]:
    """`names` with extra names placed after the named ones:
    inserted(IDENTITY, ethnicity=("id_number",)) puts id_number after ethnicity."""
    unknown = set(after) - set(names)
    if unknown:
        raise ValueError(f"Not in the list: {sorted(unknown)}")
    result: list[str] = []
    for name in names:
        result.append(name)
        result += after.get(name, ())
    return tuple(result)
