from cryptography.fernet import Fernet
from django.test import override_settings

from doorstep.core import crypto


def _fresh(**settings):
    crypto._keys.cache_clear()
    return override_settings(**settings)


def test_rotating_the_field_key_keeps_old_values_readable_and_hashes_stable():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with _fresh(FIELD_ENCRYPTION_KEY=old, FIELD_LOOKUP_KEY=""):
        token = crypto.encrypt("11010819850307000X")
        digest = crypto.lookup_hash("11010819850307000X")
    with _fresh(FIELD_ENCRYPTION_KEY=f"{new},{old}", FIELD_LOOKUP_KEY=""):
        assert crypto.decrypt(token) == "11010819850307000X"
        assert crypto.lookup_hash("11010819850307000x") == digest
        assert crypto.encrypt("x") != token
    crypto._keys.cache_clear()


def test_a_value_encrypted_under_another_key_is_not_shown():
    with _fresh(FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode()):
        token = crypto.encrypt("13912345678")
    with _fresh(FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode()):
        try:
            crypto.decrypt(token)
        except ValueError as exc:
            assert "13912345678" not in str(exc)
        else:
            raise AssertionError("decrypted with the wrong key")
    crypto._keys.cache_clear()
