"""The demo has two providers of 北碚区 and a referral its provider account sees."""

import io

import pytest
from django.core.management import call_command

from org.models import User
from providers.models import ServiceProvider, ServiceReferral

pytestmark = pytest.mark.django_db


def test_the_demo_has_providers_and_a_referral_waiting(db, monkeypatch):
    from demo.management.commands import load_demo

    monkeypatch.setattr(load_demo, "DEMO_CHILDREN", 6)
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # once
    assert ServiceProvider.objects.count() == 2
    staff = User.objects.get(username="bb_shegong")
    assert ServiceReferral.objects.visible_to(staff).count() == 1
    assert ServiceReferral.objects.visible_to(User.objects.get(username="xs_minzheng")).count() == 0
