"""Council API tokens: ``ci_<token_id>_<secret>``, of which only an scrypt hash of the secret
is kept.

The token id is stored in the clear so a request finds its row in one lookup; the secret is
checked against its hash in constant time. A token is shown once, when it is made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "ci"
_TOKEN = re.compile(r"^ci_([a-z0-9]{12})_([A-Za-z0-9_\-]{32,64})$")
# scrypt cost: ~15 ms and 16 MiB per check on a small server (RFC 7914's interactive setting)
_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True)
class NewToken:
    token_id: str
    secret_hash: str
    token: str  # shown to the user once, never stored


def new_token() -> NewToken:
    """A fresh token and the hash to store for it."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewToken(token_id, hash_secret(secret), f"{PREFIX}_{token_id}_{secret}")


def parse(token: str) -> tuple[str, str] | None:
    """``(token_id, secret)`` of a well-formed token, else ``None``."""
    match = _TOKEN.match(token.strip())
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of a secret."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches a stored hash (constant-time comparison)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(
            secret.encode(),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
