"""Prometheus's configuration (native and compose) and the alert rules pass promtool's checks."""

import yaml

from scripts.devstack import prometheus
from scripts.devstack.settings import StackSettings
from tests.prometheus import promtool


def test_native_configuration_passes_promtool(tmp_path):
    settings = StackSettings(_env_file=None, var_dir=tmp_path)
    prometheus.write_native(settings)
    checked = promtool("check", "config", str(prometheus.config_path(settings)))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout and "rules found" in checked.stdout


def test_compose_copy_is_the_rendered_template_and_passes_promtool(tmp_path):
    committed = (prometheus.CONFIG / "prometheus.yml").read_text()
    assert committed == prometheus.render_compose(), (
        "config/prometheus/prometheus.yml is stale: run `make render-compose`"
    )
    local = tmp_path / "prometheus.yml"
    local.write_text(committed.replace("/etc/prometheus/rules", str(prometheus.RULES)))
    checked = promtool("check", "config", str(local))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_alert_rules_pass_promtool():
    files = sorted(str(path) for path in prometheus.RULES.glob("*.yml"))
    assert files
    checked = promtool("check", "rules", *files)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_job_of_the_native_stack_has_a_target():
    jobs = prometheus.native_jobs(StackSettings(_env_file=None, ingestion_replicas=3))
    assert jobs["alert-ingestion"] == ["127.0.0.1:8101", "127.0.0.1:8102", "127.0.0.1:8103"]
    assert set(jobs) == {*prometheus.compose_jobs(), *prometheus.COMPOSE_DNS_JOBS}


def test_compose_scrapes_every_ingestion_container_its_dns_name_answers_with():
    """However many containers `--scale` makes: Docker's DNS answers the service's name with each one."""
    scrapes = {job["job_name"]: job for job in yaml.safe_load(prometheus.render_compose())["scrape_configs"]}
    ingestion = scrapes["alert-ingestion"]
    assert "static_configs" not in ingestion
    assert ingestion["dns_sd_configs"] == [
        {"names": ["alert-ingestion"], "type": "A", "port": 8001, "refresh_interval": "5s"}
    ]
    assert scrapes["oncall"]["static_configs"] == [{"targets": ["oncall:8003"]}]
