"""Worker: opens 'heartbeat missed' incidents. Deadlines live in PostgreSQL, so a restart loses none, and
claims skip rows another replica holds, so each miss is reported once."""

import logging

from services.incident_management.commands import IncidentCommands
from shared.aio import run_every

log = logging.getLogger(__name__)


async def run_heartbeat_monitor(commands: IncidentCommands, *, interval: float) -> None:
    """Forever: every `interval` seconds, report heartbeats whose deadline passed."""

    async def check() -> None:
        while await commands.open_missed_heartbeats():
            pass

    await run_every(interval, check, log=log, failed="heartbeat check failed")
