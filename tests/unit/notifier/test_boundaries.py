"""The notifier writes and reads its own tables only: what it needs of incident-management's and on-call's
data travels in the event or comes over gRPC (services/notifier/service_teams.py)."""

import re
from pathlib import Path

from shared.models import Base

NOTIFIER = Path(__file__).resolve().parents[3] / "services" / "notifier"
# A table named in SQL: after FROM, JOIN, INTO or UPDATE
_SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)\b")


def _tables_of(module: str) -> set[str]:
    return {m.local_table.name for m in Base.registry.mappers if m.class_.__module__ == module}


def test_the_notifier_names_no_table_of_another_service():
    own = _tables_of("services.notifier.models")
    others = {table.name for table in Base.metadata.sorted_tables} - own
    assert own and others >= {"services", "teams", "service_ownerships", "incidents", "users"}
    for path in NOTIFIER.rglob("*.py"):
        source = path.read_text()
        named = set(_SQL_TABLE.findall(source)) & others
        assert not named, f"{path.name} reads {sorted(named)}, another service's tables"
        imported = re.findall(r"from services\.(\w+)", source)
        assert set(imported) <= {"notifier"}, f"{path.name} imports another service: {imported}"
