"""A ticket's token: the random key to its phone page (design §10).

A label (A012) is guessable; a token is 16 random bytes, URL-safe (22 characters). Whoever
holds it may follow the ticket and cancel it, so only a digest is stored (16 bytes of its
SHA-256: the token itself is printed once, in the slip's QR code, and never logged). A
lookup goes by digest through a unique index; the digest found is compared again in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 16
_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")


def new_token() -> tuple[str, bytes]:
    """A fresh token and its digest."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest(token)


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()[:TOKEN_BYTES]


def well_formed(token: str) -> bool:
    """Could be a token at all (checked before any lookup: a malformed one costs nothing)."""
    return _SHAPE.fullmatch(token) is not None


def same(stored: bytes, token: str) -> bool:
    return hmac.compare_digest(stored, digest(token))
