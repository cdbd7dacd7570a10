"""Incident emails: plain text and HTML from templates/, with a link to the incident."""

from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any

import jinja2

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)
_VERBS = {
    "incident.triggered": "Triggered",
    "incident.acknowledged": "Acknowledged",
    "incident.resolved": "Resolved",
    "incident.escalated": "Escalated",
    "incident.reassigned": "Assigned",
    "incident.annotated": "Note added",
}


def headline(event_type: str) -> str:
    """`incident.resolved` → `Resolved`; unknown types read as their verb."""
    return _VERBS.get(event_type) or event_type.removeprefix("incident.").replace("_", " ").capitalize()


def compose(
    event: dict[str, Any], *, to: str, to_name: str | None, sender: str, base_url: str
) -> EmailMessage:
    """A multipart/alternative message about one incident event for one recipient."""
    data = event["data"]
    values = {
        "event": event,
        "incident": data,
        "headline": headline(event["type"]),
        "name": to_name or to,
        "link": f"{base_url.rstrip('/')}/incidents/{data.get('id', '')}",
    }
    message = EmailMessage()
    message["Subject"] = (
        f"[{str(data.get('severity', '')).upper()}] {values['headline']}: {data.get('title', '')}"
        f" ({data.get('service', '')})"
    )
    message["From"] = sender
    message["To"] = formataddr((to_name or "", to))
    message["Message-ID"] = make_msgid(domain="oncall.local")
    message["X-OnCall-Event-Id"] = str(event["id"])
    message.set_content(_env.get_template("incident_email.txt.j2").render(values))
    message.add_alternative(_env.get_template("incident_email.html.j2").render(values), subtype="html")
    return message
