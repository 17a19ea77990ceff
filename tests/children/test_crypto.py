from cryptography.fernet import Fernet
from django.core.management import call_command

from children import crypto
from children.models import Child
from tests.factories import make_child, make_id


def test_rotation_re_encrypts_under_the_new_key(people, settings):
    number = make_id()
    child = make_child(people["director"], id_number=number)
    old_key = settings.IDENTIFIER_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.IDENTIFIER_KEYS = [new_key, old_key]
    crypto.reset_keys()
    try:
        call_command("rotate_identifier_keys", verbosity=0)
        settings.IDENTIFIER_KEYS = [new_key]
        crypto.reset_keys()
        assert Child.objects.get(pk=child.pk).id_number == number
    finally:
        settings.IDENTIFIER_KEYS = [old_key]
        crypto.reset_keys()


def test_rehash_under_a_new_hash_key(people, settings):
    number = make_id()
    child = make_child(people["director"], id_number=number)
    settings.IDENTIFIER_HASH_KEY = "a-new-hash-key"
    call_command("rotate_identifier_keys", "--rehash", verbosity=0)
    assert Child.objects.get(pk=child.pk).id_hash == crypto.lookup_hash(number)
    assert crypto.lookup_hash(number) != crypto.lookup_hash(number, key="test-identifier-hash-key")
