"""Every table of the platform on one metadata, so that Alembic migrates the whole schema in one
history and a test compares all of it with the migrated database. Each table is its owner's, in the
`models.py` of the service that owns it (on-call, incident-management, notifier)."""

from services.incident_management import models as incident_management  # noqa: F401 (registers its tables)
from services.notifier import models as notifier  # noqa: F401
from services.oncall_service import models as oncall_service  # noqa: F401
from shared.orm import Base

__all__ = ["Base"]
