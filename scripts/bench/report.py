"""The benchmark's report as tables on stdout (the JSON file holds the same figures). A part a run could
not measure (a phase the stack does not allow, CPU and memory of a stack on another machine) says so."""


def print_report(report: dict) -> None:
    machine = report["machine"]
    print(
        f"\nmachine: a pure-Python loop of {machine['loop_additions']:,} additions took "
        f"{machine['python_loop_ms']} ms (best of 3, before the stack started)"
    )
    if report.get("stack", "own") != "own":
        print(f"stack: already running at {report['stack']} (nothing started or stopped)")
    _closed_loop(report)
    _open_loop(report)
    for hook in (report["webhook"], report.get("webhook_scaled")):
        if hook is not None:
            _webhook(hook)
    if "credential_check" in report:
        _credential_check(report["credential_check"])
    if "incident_list" in report:
        _listing(report["incident_list"])
    hook_cpu = report["webhook"].get("cpu_ms_per_incident", {})
    _per_process("CPU ms per new incident (alert -> webhook phase, while sending):", hook_cpu, "8.3f")
    busy = report["webhook"].get("stack_cores_busy")
    if busy is not None:
        print(
            f"  {'all of them':<22}{sum(hook_cpu.values()):8.3f}: about {busy} of the machine's"
            f" {report['machine']['cores']} cores busy while sending and delivering"
        )
    generator = report["webhook"].get("generator_cores_busy")
    if generator is not None:
        print(f"  {'the benchmark itself':<30}about {generator} cores (sending, receiving, verifying)")
    single = report["single"]["cpu_ms_per_alert"]
    single = {name: ms for name, ms in single.items() if not name.startswith("prototype-")}  # idle there
    _per_process("CPU ms per alert (single alerts):", single, "8.3f")
    if "prototype" in report:
        prototype = {name: ms for name, ms in report["prototype"]["cpu_ms_per_alert"].items() if ms >= 0.05}
        _per_process("CPU ms per alert (the minimal prototype; processes above 0.05):", prototype, "8.3f")
    if report.get("noop") is not None:
        noop = {name: ms for name, ms in report["noop"]["cpu_ms_per_alert"].items() if ms >= 0.05}
        _per_process("CPU ms per request (the no-op endpoint; processes above 0.05):", noop, "8.3f")
    _per_process("RSS after the run (MB):", report["rss_mb"], "8.1f")
    if "volume" in report:
        _volume(report["volume"])
    if "targets" in report:
        _targets(report["targets"], report.get("targets_scaled", []), report.get("scale"))
    print_wall_time(report)


SHOWN = 3  # distinct messages printed per process, the most frequent first


def _logged(report: dict) -> None:
    """What the stack logged while measured (`scripts/bench/logs.py`): a run's outliers explained."""
    if report.get("logged") is None:
        return
    by_process, kept = report["logged"]["by_process"], report["logged"]["kept"]
    if not by_process:
        print("\nwhile measured, the services logged no warning or error")
        return
    print(f"\nwhile measured, the services logged (their logs are kept in {kept}):")
    for process, counts in by_process.items():
        levels = ("error", "warning", "unparsed")
        print(f"  {process:<24} " + ", ".join(f"{counts[lv]} {lv}" for lv in levels if lv in counts))
        for message, count in list(counts["messages"].items())[:SHOWN]:
            print(f"    {count:>6} x {message[:120]}")


def print_wall_time(report: dict) -> None:
    """What the services logged while measured, where the run's time went, and what the services' logs
    say of a slow stop."""
    _logged(report)
    if "wall_seconds" in report:
        parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in report["wall_seconds"].items())
        print(f"\nwall time: {report['total_seconds']:.1f} s ({parts})")
    if "slow_stop" in report:
        stuck = report["slow_stop"]["stuck_workers"]
        print(f"stopping the stack was slow; the services' logs are in {report['slow_stop']['log_dir']}")
        for line in stuck or ["(no service logged a worker that ignored its cancel)"]:
            print(f"  {line}")


def _closed_loop(report: dict) -> None:
    print(f"\n{'phase':<16}{'alerts/s':>10}{'req/s':>9}{'errors':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}")
    for name in ("noop", "prototype", "single", "single_steady", "batch100", "alertmanager10"):
        row = report.get(name)
        if row is None:
            print(f"{name:<16}skipped: {report[f'{name}_skipped']}")
            continue
        lat = row["latency_ms"]
        print(
            f"{name:<16}{row['alerts_per_s']:>10.0f}{row['requests_per_s']:>9.0f}{row['errors']:>8}"
            f"{lat.get('p50', 0):>8.1f}{lat.get('p90', 0):>8.1f}{lat.get('p99', 0):>8.1f}"
        )
    if report.get("services_owned") is False:
        print("\nthe services are owned by no team (--unowned): no one is paged, no email is sent")
    if report["single"]["mix"] is not None:
        print("\nwhat the alerts did (new incident / joined an open one / duplicate; emails sent by then):")
        for name in ("single", "single_steady", "batch100", "alertmanager10"):
            mix = report[name]["mix"]
            counts = (
                f"{mix['created']:>8} created{mix['correlated']:>8} correlated{mix['duplicate']:>8} duplicate"
                f"{mix.get('emails', 0):>8} emails"
            )
            print(f"  {name:<16}{counts}")
    if report.get("emails_sent") is not None:
        print(f"  emails sent to the people on call by the end of the open loop: {report['emails_sent']}")
    if "ratio_single_to_noop" in report:
        print(f"\nsingle-alert throughput / no-op ceiling: {report['ratio_single_to_noop']:.1%}")
    if "ratio_single_to_prototype" in report:
        parts = report["prototype"].get("parts", [])
        halves = " and ".join(f"{part['alerts_per_s']:.0f}/s" for part in parts)
        print(
            "single-alert throughput / the minimal prototype's (Traefik -> replicas -> gRPC -> one INSERT and"
            f" XADD): {report['ratio_single_to_prototype']:.1%}"
            + (f" (the prototype {halves}, before and after the single alerts)" if halves else "")
        )
    if "ratio_single_steady_to_prototype" in report:
        print(
            "  the same once the storm's incidents are open (single_steady: no new incident to page; for"
            f" information, the targets are on `single`): {report['ratio_single_steady_to_prototype']:.1%}"
        )


def _open_loop(report: dict) -> None:
    print(f"\n{'open loop':<16}{'offered/s':>10}{'ok':>8}{'sent':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}")
    rows = [(f"{row['fraction']:.0%} of sat.", row) for row in report["open_loop"]]
    rows.append(("500/s", report["open_loop_500"]))
    if "open_loop_scaled" in report:
        rows.append(("500/s scaled", report["open_loop_scaled"]))
    rows += [(f"no-op {row['fraction']:.0%}", row) for row in report.get("open_loop_noop", [])]
    for label, row in rows:
        lat = row["latency_ms"]
        print(
            f"{label:<16}{row.get('rate', 500):>10.0f}{row['ok']:>8}{row['sent']:>8}"
            f"{lat['p50']:>8.1f}{lat['p90']:>8.1f}{lat['p99']:>8.1f}"
        )
    if "open_loop_noop" in report:
        print("  (no-op: the same offered rates on the no-op endpoint, half as long: the bare hop's latency)")


def _webhook(hook: dict) -> None:
    if "skipped" in hook:
        print(f"\nalert → signed webhook: skipped: {hook['skipped']}")
        return
    print(
        f"\nalert → signed webhook at {hook['rate']:.0f} alerts/s: p50 {hook['latency_ms']['p50']} ms, "
        f"p90 {hook['latency_ms']['p90']} ms, p99 {hook['latency_ms']['p99']} ms "
        f"({hook['delivered']}/{hook['incidents']} delivered, {hook['bad_signatures']} bad signatures; "
        f"of {hook['sent']} alerts sent the gateway answered {hook['statuses']})"
        + (" (0: no answer within the client's 10 s)" if 0 in hook["statuses"] else "")
    )


def _credential_check(check: dict) -> None:
    if "skipped" in check:
        print(f"\ncredential check: skipped: {check['skipped']}")
        return
    rounds = check["rounds"]
    print(
        "\ncredential check (incident-management's Authenticator.identify in this process, on the stack's"
        f" database; {rounds['warm']:,} requests with the cache warm, {rounds['cold']:,} each looked up):"
    )
    for kind, label in (("access_token", "access token"), ("api_token", "API token")):
        warm, cold = check[kind]["warm_ms"], check[kind]["cold_ms"]
        print(
            f"  {label:<14}warm p50 {warm['p50']:.3f} p99 {warm['p99']:.3f} ms   "
            f"cold p50 {cold['p50']:.3f} p99 {cold['p99']:.3f} ms"
        )
    request = check["request_ms"]
    print(
        f"  GET /api/v1/incidents through the gateway with the access token ({rounds['request']} in a row): "
        f"p50 {request['p50']:.1f} ms, p99 {request['p99']:.1f} ms; the warm check is "
        f"{check['check_share_of_request_p50']:.1%} of its p50"
    )


def _listing(seeded: dict) -> None:
    print(f"\nincident list and analytics with {seeded['incidents_seeded']:,} incidents stored:")
    for name, lat in seeded["latency_ms"].items():
        print(f"  {name:<46}p50 {lat['p50']:>6.1f} ms   p99 {lat['p99']:>6.1f} ms")
    print("  dashboard page /ui/ (logged in), server time (Server-Timing) and as the client saw it:")
    for name, lat in seeded["dashboard_ms"].items():
        print(
            f"    {name:<44}server p50 {lat['server_p50']:>6.1f} p99 {lat['server_p99']:>6.1f} ms   "
            f"total p50 {lat['total_p50']:>6.1f} p99 {lat['total_p99']:>6.1f} ms"
        )


def _per_process(title: str, values: dict[str, float], fmt: str) -> None:
    if not values:
        print(f"\n{title} not measured (the stack's processes are not on this machine)")
        return
    print(f"\n{title}")
    for name, value in sorted(values.items()):
        print(f"  {name:<22}{value:{fmt}}")


def _volume(volume: dict) -> None:
    rounds = volume["rounds"]
    print(f"\nRSS (MB) after each round of {volume['alerts_per_round']} alerts in batches:")
    for name in sorted(rounds[0]["rss_mb"]):
        print(f"  {name:<22}" + "".join(f"{r['rss_mb'][name]:>8.1f}" for r in rounds))
    print("  stored per round: " + ", ".join(str(r["stored"]) for r in rounds))


def _targets(verdicts: list[dict], scaled: list[dict], scale: float | None) -> None:
    print(
        "\nissue 6's targets (absolute figures, written for a machine where the minimal prototype did ~1,100"
        " alerts/s and a no-op endpoint ~9,000 req/s):"
    )
    _verdicts(verdicts)
    if scaled:
        print(
            f"the same on this machine, whose prototype did {scale:.0%} of the issue's 1,100 alerts/s in this"
            " run (rates times that, latency bounds divided by it; scripts/bench/targets.py):"
        )
        _verdicts(scaled)


def _verdicts(verdicts: list[dict]) -> None:
    for verdict in verdicts:
        said = {True: "met", False: "MISSED", None: "n/a"}[verdict["met"]]
        print(f"  {said:<8}{verdict['target']:<78}{verdict['measured']}")


def print_live(report: dict) -> None:
    """The live console's run (`make bench-live`): latency from change to browser, what was missed, and
    what it cost the processes."""
    live = report["live"]
    via = "through Traefik" if live["via"] == "traefik" else "straight to the web UI's port"
    kinds = ", ".join(f"{n} {kind.removeprefix('incident.')}" for kind, n in live["by_type"].items())
    print(
        f"\nlive feed: {live['connected']} of {live['clients']} browsers connected {via}; {live['changes']}"
        f" changes at {live['rate']:.0f}/s for {live['seconds']:.0f} s ({kinds}); the API answered"
        f" {live['statuses']} (p50 {live['api_ms']['p50']} ms, p99 {live['api_ms']['p99']} ms)"
    )
    lat = live["latency_ms"]
    print(
        f"  change -> browser: p50 {lat['p50']} ms, p90 {lat['p90']} ms, p99 {lat['p99']} ms,"
        f" max {lat['max']} ms over {live['received']:,} events ({live['events_expected']:,} per browser)"
    )
    after = live["after_answer_ms"]
    print(
        f"  after the API answered the change: p50 {after['p50']} ms, p99 {after['p99']} ms"
        " (relay, web UI, gateway)"
    )
    missing = sum(1 for n in live["missed_per_client"] if n)
    print(
        f"  missed: {live['missed_total']} ({missing} browsers missed any); {live['clients_ended_early']}"
        f" feeds ended early {live['ended_why'] or ''}; {live['reloads']} told to reload"
    )
    busy = ", ".join(f"{name} {cores}" for name, cores in sorted(live["cores_busy"].items()) if cores >= 0.01)
    print(f"  cores busy while changing: {busy}; the benchmark itself {live['generator_cores_busy']}")
    rss = live["web_ui_rss_mb"]
    print(
        f"  web-ui RSS: {rss['idle']} MB idle, {rss['connected']} MB with the browsers,"
        f" {rss['end']} MB at the end"
    )
    _verdicts(report["targets"])
    print_wall_time(report)
