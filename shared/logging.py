"""JSON-lines logging with a per-request trace id carried in a contextvar."""

import contextvars
import logging
import sys
import uuid

import orjson

trace_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("trace_id", default="")
TRACE_HEADER = "x-trace-id"


def new_trace_id(incoming: str | None = None) -> str:
    """Adopt the caller's trace id when it looks sane, else mint one; set it for this context."""
    trace_id = incoming if incoming and len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
    trace_id_var.set(trace_id)
    return trace_id


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            "trace_id": trace_id_var.get() or None,
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stdout as JSON lines."""
    import time

    JsonFormatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
