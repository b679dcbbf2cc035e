"""Password hashes for app-store users: argon2id (argon2-cffi), checked in constant time.

    stored = hash_password("s3cret-pass")         # "$argon2id$v=19$..."
    verify_password(stored, "s3cret-pass")        # True
    needs_rehash(stored)                          # True once the parameters are raised

Here rather than in the web app so the demo and the CLI can set passwords too.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ...errors import RecordInvalid

MIN_LENGTH = 8

_hasher = PasswordHasher()
#: checked when there is no user, so an unknown name costs as much time as a wrong password
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``; RecordInvalid if it is shorter than 8 characters."""
    if len(password) < MIN_LENGTH:
        raise RecordInvalid(f"a password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (False for no hash or a broken one)."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (rehash on sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)
