"""The editors' forms as typed (escalation policies with their levels, schedule layers with their members
in order, a layer's restriction windows) read from a posted form or a stored proto and turned into the
proto their RPC takes. Forms post each field once (services.web_ui.session keeps one value per name), so
a level's targets are checkboxes named after the target, a layer's members are numbered slots, and a
window's days are checkboxes named after the window and the day."""

import re
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import RedirectResponse

from shared.errors import DomainError, InvalidInput
from shared.gen.oncall.v1 import oncall_pb2

MAX_LEVELS = 20
INT32_MAX = 2**31 - 1
SPARE_SLOTS = 3  # empty member slots offered after a layer's members
MAX_WINDOWS = 50  # restriction windows a layer can have (as many as on-call takes)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # 0 = Monday, as on-call counts them
_TARGET = re.compile(r"^t(\d+):(user|schedule):([0-9a-fA-F-]{36})$")
_SLOT = re.compile(r"^member-(\d+)$")
_FIELD = re.compile(r"^[a-z_]+")
_DAY = re.compile(r"^w(\d+)-day([0-6])$")
# On-call names a bad window in its message (`restrictions.1.end: …`, shared.http's wording).
_WINDOW_FAULT = re.compile(r"^restrictions\.(\d+)\.(weekdays|start|end): ([^;]*)")


def refusal(error: DomainError, fields: tuple[str, ...]) -> tuple[dict[str, str], str | None]:
    """The refusal's message next to the form field it names (`levels[0].targets[0].id` is `levels`),
    else as the page's error."""
    found = _FIELD.match(error.field or "")
    if found and found.group(0) in fields:
        return {found.group(0): error.message}, None
    return {}, error.message


def notice(request: Request, notices: dict[str, str]) -> str | None:
    """The message of the change a redirect reports (`?done=`), from a fixed set: the URL picks, never
    writes, what the page says."""
    return notices.get(request.query_params.get("done", ""))


def done(path: str, what: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{path}?done={what}{anchor}", status_code=303)


def _number(value: str, name: str, convert: type[int] | type[float]) -> int | float:
    """A number as typed (0 when empty), within what the proto field holds; else 422 naming the field."""
    try:
        number = convert(value) if value.strip() else 0
    except ValueError:
        number = INT32_MAX + 1
    if not -INT32_MAX <= number <= INT32_MAX:
        raise InvalidInput(f"{name}: {value!r} is not a number of the right size", field=name.split("[")[0])
    return number


@dataclass
class LevelForm:
    delay: str = ""  # minutes as typed; empty is the default delay
    targets: list[str] = field(default_factory=list)  # "user:<id>" or "schedule:<id>"


@dataclass
class PolicyForm:
    name: str = ""
    description: str = ""
    repeat: str = "0"
    levels: list[LevelForm] = field(default_factory=lambda: [LevelForm()])

    FIELDS = ("name", "description", "repeat", "levels")

    @classmethod
    def parse(cls, form: dict[str, str]) -> "PolicyForm":
        count = form.get("levels", "1")
        levels = [
            LevelForm(delay=form.get(f"delay-{i}", "").strip())
            for i in range(min(int(count) if count.isdecimal() else 1, MAX_LEVELS))
        ]
        for key in form:
            found = _TARGET.match(key)
            if found and int(found.group(1)) < len(levels):
                levels[int(found.group(1))].targets.append(f"{found.group(2)}:{found.group(3).lower()}")
        return cls(
            form.get("name", "").strip(), form.get("description", "").strip(), form.get("repeat", "0"), levels
        )

    @classmethod
    def of(cls, policy: oncall_pb2.EscalationPolicy) -> "PolicyForm":
        levels = [
            LevelForm(
                f"{lv.delay_minutes:g}" if lv.delay_minutes else "", [f"{t.type}:{t.id}" for t in lv.targets]
            )
            for lv in policy.levels
        ]
        return cls(policy.name, policy.description, str(policy.repeat), levels)

    def apply(self, op: str) -> None:
        """Add a level, or remove the one whose button was pressed (`remove-level-<index>`)."""
        if op == "add-level" and len(self.levels) < MAX_LEVELS:
            self.levels.append(LevelForm())
        index = op.removeprefix("remove-level-")
        if index.isdecimal() and int(index) < len(self.levels) > 1:
            del self.levels[int(index)]

    def to_proto(self, policy_id: str = "") -> oncall_pb2.EscalationPolicy:
        levels = [
            oncall_pb2.PolicyLevel(
                delay_minutes=_number(level.delay, f"levels[{i}].delay_minutes", float),
                targets=[
                    oncall_pb2.PolicyTarget(type=t.split(":")[0], id=t.split(":")[1]) for t in level.targets
                ],
            )
            for i, level in enumerate(self.levels)
        ]
        return oncall_pb2.EscalationPolicy(
            id=policy_id,
            name=self.name,
            description=self.description,
            repeat=int(_number(self.repeat, "repeat", int)),
            levels=levels,
        )


@dataclass
class LayerForm:
    name: str = "Layer"
    shift_length: str = "1"
    shift_unit: str = "weeks"
    handoff_time: str = "09:00"
    start_date: str = ""
    members: list[str] = field(default_factory=list)

    FIELDS = ("name", "shift_length", "shift_unit", "handoff_time", "start_date", "member_ids")

    @property
    def slots(self) -> list[str]:
        """The member slots to show: each member in order, then empty ones."""
        return self.members + [""] * SPARE_SLOTS

    @classmethod
    def parse(cls, form: dict[str, str]) -> "LayerForm":
        slots = sorted((int(m.group(1)), v) for k, v in form.items() if (m := _SLOT.match(k)) and v)
        values = {name: form.get(name, "").strip() for name in cls.FIELDS[:-1]}
        return cls(**values, members=[v for _, v in slots])

    @classmethod
    def of(cls, layer: oncall_pb2.ScheduleLayer) -> "LayerForm":
        return cls(
            layer.name,
            str(layer.shift_length),
            layer.shift_unit,
            layer.handoff_time,
            layer.start_date,
            list(layer.member_ids),
        )

    def to_proto(self, layer_id: str = "") -> oncall_pb2.ScheduleLayer:
        return oncall_pb2.ScheduleLayer(
            id=layer_id,
            name=self.name,
            shift_length=int(_number(self.shift_length, "shift_length", int)),
            shift_unit=self.shift_unit,
            handoff_time=self.handoff_time,
            start_date=self.start_date,
            member_ids=self.members,
        )


@dataclass
class WindowForm:
    """A restriction window as typed: a new one is weekdays, nine to five."""

    days: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    start: str = "09:00"
    end: str = "17:00"


@dataclass
class RestrictionsForm:
    """A layer's restriction windows; none means the layer applies at all times."""

    windows: list[WindowForm] = field(default_factory=list)

    FIELDS = ("restrictions",)

    @classmethod
    def parse(cls, form: dict[str, str]) -> "RestrictionsForm":
        count = form.get("windows", "0")
        windows = [
            WindowForm([], form.get(f"w{i}-start", "").strip(), form.get(f"w{i}-end", "").strip())
            for i in range(min(int(count) if count.isdecimal() else 0, MAX_WINDOWS))
        ]
        for key in sorted(form):
            found = _DAY.match(key)
            if found and int(found.group(1)) < len(windows):
                windows[int(found.group(1))].days.append(int(found.group(2)))
        return cls(windows)

    @classmethod
    def of(cls, layer: oncall_pb2.ScheduleLayer) -> "RestrictionsForm":
        return cls([WindowForm(list(r.weekdays), r.start, r.end) for r in layer.restrictions])

    def apply(self, op: str) -> None:
        """Add a window, or remove the one whose button was pressed (`remove-window-<index>`)."""
        if op == "add-window" and len(self.windows) < MAX_WINDOWS:
            self.windows.append(WindowForm())
        index = op.removeprefix("remove-window-")
        if index.isdecimal() and int(index) < len(self.windows):
            del self.windows[int(index)]

    def to_proto(self) -> list[oncall_pb2.LayerRestriction]:
        return [oncall_pb2.LayerRestriction(weekdays=w.days, start=w.start, end=w.end) for w in self.windows]

    @staticmethod
    def refusal(error: DomainError) -> tuple[dict[str, str], str | None]:
        """As `refusal`, the message of a bad window next to its field (`w1-end`, `w0-days`)."""
        errors, message = refusal(error, RestrictionsForm.FIELDS)
        found = _WINDOW_FAULT.match(errors.get("restrictions", ""))
        if found:
            part = "days" if found.group(2) == "weekdays" else found.group(2)
            return {f"w{found.group(1)}-{part}": found.group(3)}, None
        return errors, message
