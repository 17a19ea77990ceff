"""The risk level, score and reasons move from the archive's row to ChildRisk (one narrow
row per child with reasons): a department's list moves 150,000 levels at once, and the wide
archive rows and their 27 indexes made that 100 s at 1,000,000 children."""

import django.db.models.deletion
from django.db import migrations, models


def copy_levels(apps, schema_editor):
    """One INSERT … SELECT of every child with a level, a score or reasons (the others are low
    risk without reasons, which a missing row means)."""
    schema_editor.execute(
        "INSERT INTO children_childrisk (child_id, level, score, reasons) "
        "SELECT id, risk_level, risk_score, risk_reasons FROM children_child "
        "WHERE risk_level <> 1 OR risk_score <> 0 OR EXISTS "
        "(SELECT 1 FROM children_risksignal s WHERE s.child_id = children_child.id)"
    )


def copy_back(apps, schema_editor):
    schema_editor.execute(
        "UPDATE children_child SET risk_level = r.level, risk_score = r.score, "
        "risk_reasons = r.reasons FROM children_childrisk r WHERE r.child_id = children_child.id"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("children", "0014_drop_duplicate_prefix_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChildRisk",
            fields=[
                (
                    "child",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="risk",
                        serialize=False,
                        to="children.child",
                    ),
                ),
                (
                    "level",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (1, "Low risk"),
                            (2, "Moderate risk"),
                            (3, "Elevated risk"),
                            (4, "High risk"),
                        ],
                        default=1,
                        verbose_name="risk level",
                    ),
                ),
                ("score", models.PositiveSmallIntegerField(default=0)),
                ("reasons", models.JSONField(blank=True, default=list)),
            ],
        ),
        migrations.RunPython(copy_levels, copy_back),
        migrations.RemoveIndex(
            model_name="child",
            name="child_region_risk",
        ),
        migrations.RemoveField(
            model_name="child",
            name="risk_level",
        ),
        migrations.RemoveField(
            model_name="child",
            name="risk_reasons",
        ),
        migrations.RemoveField(
            model_name="child",
            name="risk_score",
        ),
    ]
