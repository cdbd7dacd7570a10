"""Traefik's configuration comes from one set of templates, for the native stack and for compose."""

import re
from pathlib import Path

import yaml

from scripts.devstack import traefik
from scripts.devstack.settings import StackSettings
from shared.http import MAX_BODY_BYTES


def test_native_config_lists_every_replica_and_routes_each_api(tmp_path: Path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path, ingestion_replicas=3, ingestion_base_port=9100)
    files = {
        name: yaml.safe_load(text) for name, text in traefik.render(traefik.native_config(settings)).items()
    }
    http = files["dynamic.yml"]["http"]
    servers = http["services"]["alert-ingestion"]["loadBalancer"]["servers"]
    assert [s["url"] for s in servers] == [f"http://127.0.0.1:{p}" for p in (9100, 9101, 9102)]
    assert http["services"]["alert-ingestion"]["loadBalancer"]["healthCheck"]["path"] == "/health/ready"
    assert "/v2/enqueue" in http["routers"]["ingestion"]["rule"]
    assert http["routers"]["incidents"]["service"] == "incident-management-failover"
    assert "/api/v1/services" in http["routers"]["incidents"]["rule"]
    assert "/api/v1/oncall" in http["routers"]["oncall"]["rule"]
    assert "/api/v1/schedules" in http["routers"]["oncall"]["rule"]
    assert "/api/v1/escalation-policies" in http["routers"]["oncall"]["rule"]
    assert http["routers"]["notifier"]["rule"] == "PathPrefix(`/api/v1/webhooks`)"
    notifier_servers = http["services"]["notifier"]["loadBalancer"]["servers"]
    assert notifier_servers == [{"url": f"http://127.0.0.1:{settings.notifier_http_port}"}]
    assert http["routers"]["web-ui"]["rule"] == "PathPrefix(`/ui`)"
    web_ui_servers = http["services"]["web-ui"]["loadBalancer"]["servers"]
    assert web_ui_servers == [{"url": f"http://127.0.0.1:{settings.web_ui_http_port}"}]
    assert files["traefik.yml"]["entryPoints"]["web"]["address"] == f"127.0.0.1:{settings.gateway_port}"


def test_the_gateway_sets_no_deadline_on_streaming_a_response(tmp_path: Path):
    """The console's live feed streams for as long as a page is open; a write deadline would cut it."""
    settings = StackSettings(_env_file=None, var_dir=tmp_path)
    for config in (traefik.native_config(settings), traefik.compose_config()):
        static = yaml.safe_load(traefik.render(config)["traefik.yml"])
        served = [point for point in static["entryPoints"].values() if "transport" in point]
        assert served
        for point in served:
            timeouts = point["transport"]["respondingTimeouts"]
            assert timeouts["writeTimeout"] == "0s" and timeouts["readTimeout"] == "30s"


def test_dynamic_file_is_replaced_whole(tmp_path: Path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path)
    traefik.write_native(settings)
    dynamic = tmp_path / "traefik" / "dynamic"
    assert [p.name for p in dynamic.iterdir()] == ["routes.yml"]  # no temp file left for Traefik to read
    static = yaml.safe_load((tmp_path / "traefik" / "traefik.yml").read_text())
    assert static["providers"]["file"]["directory"] == str(dynamic.resolve())


def test_committed_compose_copies_match_the_templates():
    rendered = traefik.render(traefik.compose_config())
    compose_dir = traefik.COMPOSE_DIR
    assert (compose_dir / "traefik.yml").read_text() == rendered["traefik.yml"], "run make render-compose"
    assert (compose_dir / "dynamic" / "routes.yml").read_text() == rendered["dynamic.yml"]


def test_the_gateway_resends_alerts_of_any_size_the_replicas_accept(tmp_path: Path):
    """An alert POST is re-sent on 502 (a connection that failed before any response), so Traefik keeps its
    body: the buffering middleware reads it whole, up to what a replica accepts (a larger one gets 413 at
    the gateway), and the retry re-sends that without a cap of its own (one costs its size per request)."""
    for config in (
        traefik.native_config(StackSettings(_env_file=None, var_dir=tmp_path)),
        traefik.compose_config(),
    ):
        dynamic = yaml.safe_load(traefik.render(config)["dynamic.yml"])["http"]
        middlewares = dynamic["middlewares"]
        retry = middlewares["ingestion-retry"]["retry"]
        assert retry["retryNonIdempotentMethod"] is True and retry["status"] == ["502"]
        assert retry["maxRequestBodyBytes"] == -1
        body = middlewares["ingestion-body"]["buffering"]
        assert body["maxRequestBodyBytes"] == body["memRequestBodyBytes"] == MAX_BODY_BYTES
        chain = dynamic["routers"]["ingestion"]["middlewares"]
        assert chain == list(traefik.INGESTION_MIDDLEWARES)
        assert chain.index("ingestion-body") < chain.index("ingestion-retry")
        assert all(
            not {"ingestion-retry", "ingestion-body"} & set(r.get("middlewares", []))
            for n, r in dynamic["routers"].items()
            if n != "ingestion"
        )


def test_every_route_answers_the_gateways_own_errors_as_json(tmp_path: Path):
    """Traefik's plain-text refusals become the JSON error body (shared/http.py serves the pages): each
    router catches 502 and 504, falls back to the 503 page when its service has no instance up, and any
    other path is the 404 page."""
    dynamic = yaml.safe_load(traefik.render(traefik.compose_config())["dynamic.yml"])["http"]
    # Routers without a service behind them: Traefik's own API, the 404 page and a redirect.
    served = ("gateway-api", "not-found", "incident-links")
    routers = {n: r for n, r in dynamic["routers"].items() if n not in served}
    middlewares, services = dynamic["middlewares"], dynamic["services"]
    for name, router in routers.items():
        caught = [middlewares[m]["errors"]["status"] for m in router["middlewares"] if m.endswith("-errors")]
        assert len(caught) == 1 and {"502", "504"} <= set(caught[0]), name
        if name != "ingestion-unavailable":  # the 503 page itself, for when the pool does not exist
            assert services[router["service"]]["failover"]["fallback"] == "unavailable", name
    assert middlewares["ingestion-errors"]["errors"]["status"] == ["413", "429", "502", "504"]
    not_found = dynamic["routers"]["not-found"]
    assert (not_found["rule"], not_found["priority"], not_found["service"]) == (
        "PathPrefix(`/`)",
        1,
        "error-pages",
    )
    pages = [server["url"] for server in services["error-pages"]["loadBalancer"]["servers"]]
    # every service (alert-ingestion by its compose name, any replica): the pages outlive the one down
    assert sorted(page.split("//")[1].split(":")[0] for page in pages) == sorted(traefik.ROUTED_SERVICES)


def _seconds(duration: str) -> float:
    return float(duration.removesuffix("ms")) / 1000 if duration.endswith("ms") else float(duration[:-1])


def test_resends_wait_out_the_health_check_that_removes_a_dead_replica(tmp_path: Path):
    """Round robin can send every attempt to a killed replica until its failed health check takes it out
    of the pool: the retry's shortest total backoff (Traefik's exponential backoff, growing to twice the
    initial interval over the attempts, each wait randomized by ±50%) lasts longer than a check's
    interval (a killed replica refuses the check's connection at once). Compose's labels give its
    containers the same check (tests/unit/test_compose_file.py)."""
    settings = StackSettings(_env_file=None, var_dir=tmp_path)
    dynamic = yaml.safe_load(traefik.render(traefik.native_config(settings))["dynamic.yml"])["http"]
    retry = dynamic["middlewares"]["ingestion-retry"]["retry"]
    check = dynamic["services"]["alert-ingestion"]["loadBalancer"]["healthCheck"]
    waits = retry["attempts"] - 1
    growth = 2 ** (1 / waits)
    shortest = sum(0.5 * _seconds(retry["initialInterval"]) * growth**k for k in range(waits))
    assert shortest > _seconds(check["interval"])


def test_python_level_names_become_traefiks(tmp_path: Path):
    """Traefik knows WARN, not WARNING (the benchmark's level): it fell back to ERROR and said so."""
    for level, expected in (("WARNING", "WARN"), ("info", "INFO"), ("CRITICAL", "FATAL"), ("DEBUG", "DEBUG")):
        settings = StackSettings(_env_file=None, var_dir=tmp_path, log_level=level)
        static = yaml.safe_load(traefik.render(traefik.native_config(settings))["traefik.yml"])
        assert static["log"]["level"] == expected


def _rendered(config: traefik.GatewayConfig) -> tuple[dict, dict]:
    files = traefik.render(config)
    return yaml.safe_load(files["traefik.yml"]), yaml.safe_load(files["dynamic.yml"])


def _both_configs(tmp_path: Path) -> list[traefik.GatewayConfig]:
    return [traefik.native_config(StackSettings(_env_file=None, var_dir=tmp_path)), traefik.compose_config()]


def test_every_route_that_can_answer_a_page_sends_the_security_headers(tmp_path: Path):
    for config in _both_configs(tmp_path):
        _, dynamic = _rendered(config)
        routers = dynamic["http"]["routers"]
        for name, router in routers.items():
            # JSON to machines; Traefik's own dashboard
            if name not in ("ingestion", "ingestion-unavailable", "gateway-api"):
                assert router["middlewares"][0] == "security-headers", name
        headers = dynamic["http"]["middlewares"]["security-headers"]["headers"]
        csp = headers["contentSecurityPolicy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert headers["contentTypeNosniff"] is True and headers["frameDeny"] is True
        assert headers["referrerPolicy"] == "same-origin"
        assert headers["stsSeconds"] == 31_536_000  # sent by Traefik over HTTPS only


def test_auth_token_and_audit_apis_are_routed_to_oncall(tmp_path: Path):
    for config in _both_configs(tmp_path):
        _, dynamic = _rendered(config)
        rule = dynamic["http"]["routers"]["oncall"]["rule"]
        for prefix in ("/api/v1/auth", "/api/v1/tokens", "/api/v1/audit"):
            assert f"PathPrefix(`{prefix}`)" in rule


def test_traefiks_api_is_routed_on_the_admin_entry_point_not_by_insecure(tmp_path: Path):
    for config in _both_configs(tmp_path):
        static, dynamic = _rendered(config)
        assert static["api"]["insecure"] is False and static["ping"]["entryPoint"] == "traefik"
        routers = dynamic["http"]["routers"]
        assert routers["gateway-api"] == {
            "entryPoints": ["traefik"],
            "rule": "PathPrefix(`/api`) || PathPrefix(`/dashboard`)",
            "service": "api@internal",
        }
        assert all("traefik" not in r["entryPoints"] for n, r in routers.items() if n != "gateway-api")
    native_static, _ = _rendered(_both_configs(tmp_path)[0])
    assert native_static["entryPoints"]["traefik"]["address"].startswith("127.0.0.1:")


def test_without_tls_the_gateway_serves_http_only(tmp_path: Path):
    for config in _both_configs(tmp_path):
        static, dynamic = _rendered(config)
        assert set(static["entryPoints"]) == {"web", "traefik"} and "http" not in static["entryPoints"]["web"]
        assert "tls" not in dynamic
        assert {
            tuple(r["entryPoints"]) for n, r in dynamic["http"]["routers"].items() if n != "gateway-api"
        } == {("web",)}


def test_with_tls_every_route_is_https_and_plain_http_redirects_to_it(tmp_path: Path):
    cert, key = tmp_path / "gw.crt", tmp_path / "gw.key"
    settings = StackSettings(
        _env_file=None, var_dir=tmp_path, gateway_tls_cert=cert, gateway_tls_key=key, gateway_tls_port=9443
    )
    static, dynamic = _rendered(traefik.native_config(settings))
    web, websecure = static["entryPoints"]["web"], static["entryPoints"]["websecure"]
    assert websecure["address"] == "127.0.0.1:9443" and websecure["http"]["tls"] == {}
    assert web["http"]["redirections"]["entryPoint"] == {
        "to": "websecure",
        "scheme": "https",
        "permanent": True,
    }
    routers = dynamic["http"]["routers"]
    assert {tuple(r["entryPoints"]) for n, r in routers.items() if n != "gateway-api"} == {("websecure",)}
    pair = {"certFile": str(cert.resolve()), "keyFile": str(key.resolve())}
    assert dynamic["tls"]["certificates"] == [pair]
    assert dynamic["tls"]["stores"]["default"]["defaultCertificate"] == pair  # clients sending no SNI


def test_self_signed_tls_serves_the_pair_under_var_secrets(tmp_path: Path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path, gateway_tls="self-signed")
    _, dynamic = _rendered(traefik.native_config(settings))
    secrets = tmp_path.resolve() / "secrets"
    pair = {"certFile": str(secrets / "gateway-tls.crt"), "keyFile": str(secrets / "gateway-tls.key")}
    assert dynamic["tls"]["certificates"] == [pair]


def test_email_links_to_incidents_are_redirected_to_the_dashboards_page():
    """Notification emails link to /incidents/<id>; the page is /ui/incidents/<id>."""
    dynamic = yaml.safe_load(traefik.render(traefik.compose_config())["dynamic.yml"])["http"]
    router = dynamic["routers"]["incident-links"]
    assert router["service"] == "noop@internal" and "security-headers" in router["middlewares"]
    redirect = dynamic["middlewares"]["incident-link-redirect"]["redirectRegex"]
    pattern = re.compile(redirect["regex"])
    to = pattern.sub(
        redirect["replacement"].replace("${", "\\g<").replace("}", ">"), "https://gw:8443/incidents/ab-12"
    )
    assert to == "https://gw:8443/ui/incidents/ab-12"
    assert pattern.match("https://gw/incidents/ab-12/alerts") is None


def test_compose_sends_alerts_to_the_pool_the_docker_provider_finds(tmp_path: Path):
    """In compose the alert-ingestion pool is every container Traefik's Docker provider finds (labels on
    the service); the file keeps the routers and middlewares, and answers the JSON 503 on the alert routes
    when there is no such pool (no container running and healthy), as natively when none is up."""
    static, dynamic = _rendered(traefik.compose_config())
    docker = static["providers"]["docker"]
    assert (docker["exposedByDefault"], docker["watch"]) == (False, True)
    http = dynamic["http"]
    assert "alert-ingestion" not in http["services"]
    assert http["services"]["alert-ingestion-failover"]["failover"] == {
        "service": traefik.DOCKER_INGESTION_SERVICE,
        "fallback": "unavailable",
    }
    routers = http["routers"]
    fallback, ingestion = routers["ingestion-unavailable"], routers["ingestion"]
    assert (fallback["rule"], fallback["entryPoints"]) == (ingestion["rule"], ingestion["entryPoints"])
    # Below the ingestion router (its priority is its rule's length), above not-found's catch-all.
    assert routers["not-found"]["priority"] < fallback["priority"] < len(ingestion["rule"])
    assert fallback["service"] == "unavailable"
    assert fallback["middlewares"] == ["ingestion-errors", "ingestion-rate-limit"]
    native_static, native_dynamic = _rendered(_both_configs(tmp_path)[0])
    assert set(native_static["providers"]) == {"file"}  # the native stack lists its replicas' ports
    assert "ingestion-unavailable" not in native_dynamic["http"]["routers"]
    assert native_dynamic["http"]["services"]["alert-ingestion-failover"]["failover"]["service"] == (
        "alert-ingestion"
    )
