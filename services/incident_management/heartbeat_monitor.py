"""Worker: opens 'heartbeat missed' incidents. Deadlines live in PostgreSQL, so a restart loses none, and
claims skip rows another replica holds, so each miss is reported once."""

import asyncio
import logging

from services.incident_management.commands import IncidentCommands

log = logging.getLogger(__name__)


async def run_heartbeat_monitor(commands: IncidentCommands, *, interval: float) -> None:
    """Forever: every `interval` seconds, report heartbeats whose deadline passed."""
    while True:
        try:
            while await commands.open_missed_heartbeats():
                pass
        except Exception:
            log.exception("heartbeat check failed")
        await asyncio.sleep(interval)
