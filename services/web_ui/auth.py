"""Where a login may send the browser back (the session itself is shared.auth's)."""

from urllib.parse import urlsplit

HOME = "/ui/"


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a local path only (no scheme, host, `//host` or backslash trick),
    else the incident list."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return HOME
    if "\\" in target or any(ord(c) < 33 or ord(c) == 127 for c in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target
