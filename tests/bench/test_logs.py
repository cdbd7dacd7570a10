"""The benchmark says what its stack logged while measured: warnings and errors by process and message."""

import json
from datetime import UTC, datetime

from scripts.bench import logs
from scripts.bench.report import print_wall_time

SINCE, UNTIL = datetime(2026, 12, 2, 17, 0, 0, tzinfo=UTC), datetime(2026, 12, 2, 17, 2, 0, tzinfo=UTC)


def service_line(ts: str, level: str, msg: str) -> str:
    return json.dumps({"ts": ts, "level": level, "service": "incident-management", "msg": msg})


def traefik_line(time: str, level: str, message: str) -> str:
    return json.dumps({"level": level, "time": time, "message": message})


def write(path, *lines: str) -> None:
    path.write_text("".join(f"{line}\n" for line in lines))


def test_warnings_and_errors_in_the_window_are_counted_by_message(tmp_path):
    paging = "paging in the ingest transaction failed; paging after commit instead"
    write(
        tmp_path / "incident-management.log",
        service_line("2026-12-02T16:59:59.900Z", "warning", "before the phases"),
        service_line("2026-12-02T17:00:01.000Z", "warning", paging),
        service_line("2026-12-02T17:00:01.500Z", "info", "quiet"),
        service_line("2026-12-02T17:00:02.000Z", "warning", paging),
        service_line("2026-12-02T17:01:00.000Z", "error", "paging new incidents failed"),
        service_line("2026-12-02T17:02:00.001Z", "error", "after the phases (the stop)"),
    )
    write(
        tmp_path / "traefik.log",
        traefik_line("2026-12-02T16:59:58Z", "warn", "Health check failed."),
        traefik_line("2026-12-02T17:00:30Z", "warn", "Health check failed."),
        traefik_line("2026-12-02T17:00:31Z", "debug", "noise"),
    )
    write(tmp_path / "notifier.log", "")
    assert logs.said(tmp_path, since=SINCE, until=UNTIL) == {
        "incident-management": {
            "warning": 2,
            "error": 1,
            "messages": {paging: 2, "paging new incidents failed": 1},
        },
        "traefik": {"warning": 1, "messages": {"Health check failed.": 1}},
    }


def test_traefik_lines_about_an_unwatched_service_are_left_out(tmp_path):
    def checked(service: str) -> str:
        line = json.loads(traefik_line("2026-12-02T17:00:30Z", "warn", "Health check failed."))
        return json.dumps(line | {"serviceName": f"{service}@file"})

    write(tmp_path / "traefik.log", checked("bench-prototype"), checked("alert-ingestion"))
    found = logs.said(tmp_path, since=SINCE, until=UNTIL, unwatched=frozenset({"bench-prototype"}))
    messages = {"Health check failed. (alert-ingestion@file)": 1}
    assert found == {"traefik": {"warning": 1, "messages": messages}}


def test_a_line_that_is_not_json_is_counted_as_it_is(tmp_path):
    write(tmp_path / "oncall.log", "Traceback (most recent call last):", "", "   ")
    found = logs.said(tmp_path, since=SINCE, until=UNTIL)
    assert found == {"oncall": {"unparsed": 1, "messages": {"Traceback (most recent call last):": 1}}}


def test_the_logs_are_kept_beside_the_report(tmp_path):
    stack = tmp_path / "stack-log"
    stack.mkdir()
    write(stack / "notifier.log", service_line("2026-12-02T17:00:01.000Z", "error", "smtp down"))
    kept = logs.keep(stack, tmp_path / "bench" / "bench-20261202T170000.json")
    assert kept == tmp_path / "bench" / "bench-20261202T170000-logs"
    assert (kept / "notifier.log").read_text() == (stack / "notifier.log").read_text()


def test_the_report_prints_what_was_logged(capsys):
    logged = {"notifier": {"error": 4, "warning": 1, "messages": {"smtp down": 4, "slow": 1}}}
    print_wall_time(minimal_report({"by_process": logged, "kept": "var/bench/bench-x-logs"}))
    out = capsys.readouterr().out
    assert "var/bench/bench-x-logs" in out
    assert "notifier" in out and "4 error, 1 warning" in out and "4 x smtp down" in out


def test_a_quiet_run_says_so(capsys):
    print_wall_time(minimal_report({"by_process": {}, "kept": None}))
    assert "the services logged no warning or error" in capsys.readouterr().out


def minimal_report(logged: dict) -> dict:
    return {"logged": logged}
