"""Rendering: the Jinja2 environment (autoescape on everywhere) and the filters the templates use."""

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def _when(value: str | None) -> str:
    """An API time (RFC 3339) as `2026-12-01 10:40:12 UTC`; '' for none."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return value


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,  # every template, whatever its name: alert text comes from anyone with a key
    undefined=jinja2.StrictUndefined,
)
_env.filters["when"] = _when
_env.filters["duration"] = _duration


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("viewer", None)
    context.setdefault("error", None)
    html = _env.get_template(template).render(**context)
    headers = {"Cache-Control": "no-store"}  # pages show live state and carry the CSRF token
    return HTMLResponse(html, status_code=status_code, headers=headers)
