"""The Grafana dashboards: each panel queries something, through a data source that is provisioned."""

import json
from pathlib import Path

import pytest
import yaml

from scripts.devstack.settings import ROOT

GRAFANA = ROOT / "config" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
PROVISIONED = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "datasources.yml").read_text())
UIDS = {source["uid"] for source in PROVISIONED["datasources"]}


def panels(path: Path) -> list[dict]:
    return json.loads(path.read_text())["panels"]


def test_the_three_dashboards_exist_with_fixed_uids():
    titles = {
        json.loads(path.read_text())["title"]: json.loads(path.read_text())["uid"] for path in DASHBOARDS
    }
    assert set(titles) == {"Live Incident Overview", "SRE Performance", "System Health"}
    assert all(titles.values())


def test_data_sources_have_fixed_uids_and_loki_links_trace_ids_to_jaeger():
    assert UIDS == {"prometheus", "loki", "jaeger"}
    loki = next(source for source in PROVISIONED["datasources"] if source["uid"] == "loki")
    assert [field["datasourceUid"] for field in loki["jsonData"]["derivedFields"]] == ["jaeger"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.stem)
def test_every_panel_has_a_query_on_a_provisioned_data_source(path):
    for panel in panels(path):
        assert panel["targets"], f"{panel['title']}: no query"
        for target in panel["targets"]:
            assert target["expr"].strip(), f"{panel['title']}: empty query"
            for source in (panel["datasource"], target["datasource"]):
                assert source["uid"] in UIDS, f"{panel['title']}: data source {source['uid']} not provisioned"


def test_the_dashboards_provider_reads_where_compose_mounts_them():
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "dashboards.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./config/grafana/dashboards:{provider['providers'][0]['options']['path']}:ro" in mounts
