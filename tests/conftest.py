from __future__ import annotations

import pytest

from tests.factories import (
    BEIBEI,
    CHENGUANG,
    JINGGUAN,
    RONGXI,
    XINGCHENG,
    XIUSHAN,
    ZHIDA,
    Role,
    load_regions,
    make_user,
)


@pytest.fixture
def regions(db):
    load_regions()


@pytest.fixture
def people(regions):
    """One person per role in 北碚区 (and its town 静观镇 and village 志达社区), plus outsiders:
    the same roles in 秀山县, a director of a neighbouring village, and someone unassigned.

    Directors and supervisors are certified (passed an induction assessment, R6); see the
    `uncertified` fixture for newly appointed ones who have not."""
    return {
        "civil": make_user(Role.CIVIL_AFFAIRS, BEIBEI, username="civil"),
        "centre": make_user(Role.PROTECTION_CENTRE, BEIBEI, username="centre"),
        "supervisor": make_user(Role.SUPERVISOR, JINGGUAN, username="supervisor"),
        "director": make_user(Role.CHILD_DIRECTOR, ZHIDA, username="director"),
        "neighbour": make_user(Role.CHILD_DIRECTOR, XINGCHENG, username="neighbour"),
        "other_civil": make_user(Role.CIVIL_AFFAIRS, XIUSHAN, username="other_civil"),
        "other_supervisor": make_user(Role.SUPERVISOR, RONGXI, username="other_supervisor"),
        "other_director": make_user(Role.CHILD_DIRECTOR, CHENGUANG, username="other_director"),
        "sysadmin": make_user(Role.SYSTEM_ADMIN, BEIBEI, username="sysadmin"),
        "secadmin": make_user(Role.SECURITY_ADMIN, BEIBEI, username="secadmin"),
        "auditadmin": make_user(Role.AUDIT_ADMIN, BEIBEI, username="auditadmin"),
        "nobody": make_user(username="nobody"),
    }


@pytest.fixture
def uncertified(people):
    """Newly appointed workers who have not passed a training assessment (R6): a director of
    志达社区 and a supervisor of 静观镇, beside the certified ones in `people`."""
    return {
        "director": make_user(Role.CHILD_DIRECTOR, ZHIDA, username="new_director", certified=False),
        "supervisor": make_user(
            Role.SUPERVISOR, JINGGUAN, username="new_supervisor", certified=False
        ),
    }


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
