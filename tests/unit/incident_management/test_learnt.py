"""What incident-management learns from earlier ingests to store joining alerts by one statement."""

import uuid
from types import SimpleNamespace

from services.incident_management.catalog import KeyOwner
from services.incident_management.commands import Learnt
from services.incident_management.schemas import AlertInput
from shared.errors import PermissionDenied


def owner(service: str) -> KeyOwner:
    return KeyOwner(SimpleNamespace(id=uuid.uuid4()), SimpleNamespace(name=service))  # type: ignore[arg-type]


def trigger(service: str = "", severity: str = "critical") -> AlertInput:
    return AlertInput(service=service, severity=severity, summary="s", fingerprint=uuid.uuid4().hex)


def test_a_run_with_a_key_never_looked_up_is_not_joined():
    learnt = Learnt()
    assert learnt.joining_run([(trigger(), "k1")]) is None


def test_a_learnt_key_gives_its_service_and_integration_once_the_pair_was_stored():
    learnt, db = Learnt(), owner("db")
    learnt.owners({"k1": db})
    assert learnt.joining_run([(trigger(), "k1")]) is None  # ("db", "critical") never stored: it opens one
    learnt.stored([trigger("db")])
    alerts, owners = learnt.joining_run([(trigger("sender's"), "k1"), (trigger("db"), "")])
    assert [(a.service, a.integration_id) for a in alerts] == [("db", db.integration.id), ("db", None)]
    assert owners == {db.integration.id: "db"}
    assert learnt.joining_run([(trigger("db", "warning"), "")]) is None  # another pair: not stored yet


def test_a_key_found_refused_is_forgotten():
    learnt = Learnt()
    learnt.owners({"k1": owner("db")})
    learnt.stored([trigger("db")])
    learnt.owners({"k1": PermissionDenied("revoked")})
    assert learnt.joining_run([(trigger(), "k1")]) is None


def test_what_is_learnt_is_bounded():
    learnt = Learnt(limit=3)
    learnt.stored([trigger(f"s{i}") for i in range(3)])
    learnt.stored([trigger("s3")])  # over the limit: emptied first, then this one kept
    assert learnt.joining_run([(trigger("s3"), "")]) is not None
    assert learnt.joining_run([(trigger("s0"), "")]) is None
    learnt.owners({f"k{i}": owner("db") for i in range(3)})
    learnt.owners({"k3": owner("db")})
    learnt.stored([trigger("db")])
    assert learnt.joining_run([(trigger(), "k0")]) is None
    assert learnt.joining_run([(trigger(), "k3")]) is not None
