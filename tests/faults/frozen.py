"""Run a module (celery, gunicorn) as a fault test's subprocess, with "now" where the test's
clock is: CARECASE_FAULT_NOW (an ISO instant the test read from its own clock when it
started the process) is travelled to, ticking, as the suite does (tests/conftest.py). Without
it the clock is the machine's.

    python tests/faults/frozen.py celery -A carecase worker ...
"""

from __future__ import annotations

import datetime
import os
import runpy
import sys


def main() -> None:
    instant = os.environ.get("CARECASE_FAULT_NOW", "")
    if instant:
        import time_machine

        time_machine.travel(datetime.datetime.fromisoformat(instant), tick=True).start()
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
