"""Who is signed in where: an index of the session store by person (org.UserSession), written
at sign-in (Django's user_logged_in, whatever path signed the person in), its last use kept at
most once a minute, ended at sign-out. A person lists and ends their own sessions
("我的登录"); the security administrator ends all of someone's (administrators' log).

A session is ended in the configured session store (`SessionStore(key).delete()` of
SESSION_ENGINE), so this holds for database and cache sessions alike."""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from core import clock, permissions
from org import adminlog
from org.models import AdminAction, User
from org.models_security import UserSession

# A session's last use is written at most this often (a page must not cost a write each time).
SEEN_RESOLUTION = datetime.timedelta(minutes=1)
_SEEN_KEY = "_carecase_seen"
# Ended rows kept per person as their sign-in history.
HISTORY_KEPT = 20


def _store(session_key: str) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key)
    return store


def client_ip(request: HttpRequest) -> str | None:
    """The address django-axes resolved for the request (proxies counted), else the peer's."""
    ip = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    return str(ip) if ip else None


def on_sign_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """user_logged_in: index the new session under its owner."""
    session = getattr(request, "session", None)
    if request is None or session is None:
        return
    if session.session_key is None:
        session.save()
    now = clock.now()
    UserSession.objects.create(
        user=user,
        session_key=session.session_key,
        created_at=now,
        last_seen_at=now,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
    )
    session[_SEEN_KEY] = now.isoformat()
    old = UserSession.objects.filter(user=user, ended_at__isnull=False).values_list(
        "pk", flat=True
    )[HISTORY_KEPT:]
    UserSession.objects.filter(pk__in=list(old)).delete()


def on_sign_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    """user_logged_out: the session's row is ended (it stays as history)."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and key:
        UserSession.objects.filter(user=user, session_key=key, ended_at__isnull=True).update(
            ended_at=clock.now()
        )


def touch(request: HttpRequest) -> None:
    """Record that the signed-in session was used (at most once per SEEN_RESOLUTION)."""
    session = request.session
    now = clock.now()
    seen = session.get(_SEEN_KEY)
    if seen and now - datetime.datetime.fromisoformat(seen) < SEEN_RESOLUTION:
        return
    session[_SEEN_KEY] = now.isoformat()
    if session.session_key:
        UserSession.objects.filter(session_key=session.session_key, ended_at__isnull=True).update(
            last_seen_at=now
        )


def rekeyed(*, user: User, old_key: str | None, new_key: str | None) -> None:
    """The session changed its key (a password change cycles it): the row follows."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(user=user, session_key=old_key, ended_at__isnull=True).update(
            session_key=new_key
        )


def active_sessions(user: User) -> list[UserSession]:
    """`user`'s sessions still alive: not ended, used within the idle timeout, and still in
    the session store (rows found dead are ended on the way)."""
    now = clock.now()
    idle = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE) + SEEN_RESOLUTION
    rows = list(UserSession.objects.filter(user=user, ended_at__isnull=True))
    alive = [
        r
        for r in rows
        if now - r.last_seen_at <= idle and _store(r.session_key).exists(r.session_key)
    ]
    dead = [r.pk for r in rows if r not in alive]
    if dead:
        UserSession.objects.filter(pk__in=dead).update(ended_at=now)
    return alive


def last_sign_in(user: User, current_key: str | None) -> UserSession | None:
    """The person's sign-in before the current session: when and from where."""
    rows: QuerySet[UserSession] = UserSession.objects.filter(user=user)
    if current_key:
        rows = rows.exclude(session_key=current_key)
    return rows.first()


def _end(rows: list[UserSession], now: datetime.datetime) -> None:
    for row in rows:
        _store(row.session_key).delete()
    UserSession.objects.filter(pk__in=[r.pk for r in rows]).update(ended_at=now)


@transaction.atomic
def session_end(*, by: User, session: UserSession, request: HttpRequest | None = None) -> None:
    """End one session: its owner, or the security administrator (administrators' log)."""
    if session.user_id != by.pk:
        if not permissions.is_security_admin(by):
            raise PermissionError("Only the owner or a security administrator ends a session.")
        adminlog.record(
            by=by,
            action=AdminAction.END_SESSIONS,
            target=session.user,
            after={"sessions": 1},
            request=request,
        )
    _end([session], clock.now())


@transaction.atomic
def sessions_end_all(
    *, by: User | None, user: User, request: HttpRequest | None = None, reason: str = ""
) -> int:
    """End every session of `user` (the security administrator; a reset of their factors)."""
    if by is not None and by.pk != user.pk and not permissions.is_security_admin(by):
        raise PermissionError("Only a security administrator ends someone's sessions.")
    rows = active_sessions(user)
    _end(rows, clock.now())
    if by is not None and by.pk != user.pk:
        adminlog.record(
            by=by,
            action=AdminAction.END_SESSIONS,
            target=user,
            after={"sessions": len(rows), **({"reason": reason} if reason else {})},
            request=request,
        )
    return len(rows)


def sessions_end_others(*, user: User, keep: str | None) -> int:
    """End `user`'s sessions other than `keep` (after they changed their password)."""
    rows = [r for r in active_sessions(user) if r.session_key != keep]
    _end(rows, clock.now())
    return len(rows)
