#!/usr/bin/env python
import os
import sys

# Commands that only read the code (no requests served, no secrets used): on a machine with no
# configuration they run with the development defaults instead of stopping for a SECRET_KEY.
OFFLINE_COMMANDS = frozenset(
    {"makemigrations", "makemessages", "compilemessages", "showmigrations", "spectacular"}
)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecase.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in OFFLINE_COMMANDS and "SECRET_KEY" not in os.environ:
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
