"""argon2id hashes and the unknown-email path verifying against a dummy hash."""

from services.oncall_service import passwords


def test_a_hash_is_argon2id_and_verifies_only_its_password():
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")


def test_no_hash_never_verifies():
    assert not passwords.verify_password(None, "not a password of anyone")
    assert not passwords.verify_password(None, "")


def test_a_corrupt_hash_does_not_raise():
    assert not passwords.verify_password("$argon2id$garbage", "x")


def test_short_passwords_are_refused_by_name():
    assert passwords.password_problem("short") == "password: at least 12 characters"
    assert passwords.password_problem("long enough password") is None
