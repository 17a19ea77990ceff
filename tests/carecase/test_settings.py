import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]


def test_env_helpers_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1, minimum=1)
    monkeypatch.delenv("X_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured):
        env_str("X_REQUIRED")
    monkeypatch.setenv("X_BOOL", "Yes")
    assert env_bool("X_BOOL", False) is True
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert env_list("X_LIST", []) == ["a.example", "b.example"]


def _import_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import carecase.settings"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_secret_key_required_when_debug_is_off():
    result = _import_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_bad_boolean_stops_the_process():
    result = _import_settings(DEBUG="perhaps")
    assert result.returncode != 0
    assert "not a boolean" in result.stderr


def test_debug_runs_without_a_secret():
    assert _import_settings(DEBUG="1").returncode == 0


def test_production_security_settings():
    # The test settings run with DEBUG off, as production does.
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SECURE_HSTS_SECONDS > 0
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "en" in dict(settings.LANGUAGES)


def test_secure_cookies_default_on_without_debug():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; import django; django.setup(); "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("SECURE_")},
            "DJANGO_SETTINGS_MODULE": "carecase.settings",
            "DEBUG": "0",
            "SECRET_KEY": "x" * 50,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "True"]


def test_no_cdn_in_templates():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, path


def test_offline_commands_run_without_configuration():
    """`manage.py makemigrations --check` works on a fresh checkout with no environment."""
    root = ROOT
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["CARECASE_VAR_DIR"] = str(root / "var" / "test-offline")
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
