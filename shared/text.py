"""Text PostgreSQL can store, defined once, and the base models that refuse anything else by field.

PostgreSQL's `text` refuses NUL, and UTF-8 cannot encode a lone surrogate (JSON's `"\\ud800"` decodes
to one): either reaching the database fails the whole transaction. So every edge refuses them with the
field's name: request bodies through `InputModel`, query strings and paths in `shared.http`, forms in
the dashboard, alerts of every format in `services/alert_ingestion/limits.py`, gRPC alerts in
incident-management.
"""

import re
from functools import cache
from typing import ClassVar, get_args

from pydantic import BaseModel, ValidationInfo, field_validator

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE = "contains a NUL character or an unpaired surrogate, which cannot be stored"


def storable(value: object) -> bool:
    """Whether every string in `value` (nested lists and dicts, keys included) can be stored as text."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is None
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return all(storable(v) for v in value)
    return True


def unstorable_field(fields: dict[str, object]) -> str | None:
    """The first of `fields` (name → value) that cannot be stored, or None."""
    return next((name for name, value in fields.items() if not storable(value)), None)


class InputModel(BaseModel):
    """Base of every model read from a client: a field holding text that cannot be stored is refused
    with its name (a test walks every app's routes to check their input models derive from this)."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: object, info: ValidationInfo) -> object:
        if not _nests_models(cls, info.field_name) and not storable(value):
            raise ValueError(UNSTORABLE)
        return value


@cache
def _nests_models(model: type[BaseModel], field: str) -> bool:
    """Whether the field holds input models, which check (and name) their own fields."""
    pending = [model.model_fields[field].annotation]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, InputModel):
            return True
        pending.extend(get_args(annotation))
    return False


class PatchModel(InputModel):
    """A partial update: an absent field is left alone, and an explicit null is refused by name unless
    the field is listed in `nullable` (where null clears it)."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("may not be null: leave the field out to keep its value")
        return value
