"""The zh-Hans catalogue is complete, compiled, and covers every string in the code."""

import gettext
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

needs_gettext = pytest.mark.skipif(
    shutil.which("msgfmt") is None and not os.environ.get("CI"),
    reason="gettext is not installed (CI installs it)",
)


def _untranslated(po: Path) -> list[str]:
    result = subprocess.run(  # noqa: S603
        ["msgattrib", "--untranslated", "--no-obsolete", str(po)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    fuzzy = subprocess.run(  # noqa: S603
        ["msgattrib", "--only-fuzzy", "--no-obsolete", str(po)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    entries = [
        line for line in (result.stdout + fuzzy.stdout).splitlines() if line.startswith("msgid ")
    ]
    return [e for e in entries if e != 'msgid ""']


@needs_gettext
def test_every_message_is_translated():
    assert _untranslated(PO) == []


@needs_gettext
def test_compiled_catalogue_matches_the_po(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO)], check=True)  # noqa: S603, S607
    with MO.open("rb") as committed, fresh.open("rb") as rebuilt:
        assert gettext.GNUTranslations(committed)._catalog == (  # type: ignore[attr-defined]
            gettext.GNUTranslations(rebuilt)._catalog  # type: ignore[attr-defined]
        ), "run `make compilemessages`"


@needs_gettext
def test_catalogue_covers_every_string_in_the_code(tmp_path, monkeypatch):
    # Extract in a copy of the tree, so the repository's catalogue is never touched.
    # Every app of the project (each top-level folder with an apps.py), templates and locale.
    apps = sorted(p.parent.name for p in ROOT.glob("*/apps.py"))
    assert {"carecase", "org", "children"} <= set(apps)
    for name in (*apps, "templates", "locale"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    missing = _untranslated(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing[:10])
