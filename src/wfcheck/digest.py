"""The content hash every stage shares (a leaf module: the catalog, the cache and the analysis
import it without importing each other)."""

from __future__ import annotations

try:
    # hashlib's own blake2b, without the OpenSSL bindings hashlib loads first (~2 ms).
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b


def content_digest(data: bytes) -> str:
    """The hash that says whether a file's bytes changed (the cache compares them)."""
    return blake2b(data, digest_size=16).hexdigest()
