"""Let a person set up a second factor at their next sign-in, from the server's shell: for the
first security administrator (nobody manages their own), or when none is left. Logged in the
administrators' log like the security administrator's permits."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.timezone import localtime

from org import two_factor
from org.models import User


class Command(BaseCommand):
    help = "Allow USERNAME to set up a second factor at their next sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No account {options['username']!r}.")
        permit = two_factor.permit_issue(by=None, user=user)
        self.stdout.write(
            f"{user.username} may set up a second factor at their next sign-in, until "
            f"{localtime(permit.expires_at):%Y-%m-%d %H:%M}."
        )
