"""The compose monitoring stack checked against the code: Prometheus's scrape configuration
(``promtool check config``), and the Grafana dashboard's queries (``promtool check rules``,
and only metric names the processes really export)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from services.gateway.metrics import GatewayMetrics
from services.runner import PROCESSES
from shared.metrics import ServiceMetrics
from tests.prometheus import ensure_debian_package

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def mounted(service: str, target: str) -> Path:
    """The repository path that compose mounts at ``target`` in ``service``."""
    for volume in SERVICES[service]["volumes"]:
        source, _, rest = volume.partition(":")
        if rest.split(":")[0] == target and source.startswith("./"):
            return ROOT / source
    raise AssertionError(f"{service} mounts nothing from the repository at {target}")


def exported_names(registry: CollectorRegistry) -> set[str]:
    """Every series name ``registry``'s metrics can export, with the suffixes of their type."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    return {f"{m.name}{suffix}" for m in registry.collect() for suffix in suffixes[m.type]}


@pytest.fixture(scope="module")
def promtool() -> str:
    return ensure_debian_package("prometheus", "promtool")


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    provider = yaml.safe_load(
        (mounted("grafana", "/etc/grafana/provisioning") / "dashboards" / "wardmate.yml").read_text()
    )
    folder = mounted("grafana", provider["providers"][0]["options"]["path"])
    return json.loads((folder / "wardmate.json").read_text())


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_prometheus_config_is_valid_and_scrapes_every_process(promtool: str) -> None:
    """promtool accepts the scrape configuration; it has a job per process, on the metrics
    port every app service sets and exposes."""
    config = mounted("prometheus", "/etc/prometheus/prometheus.yml")
    out = subprocess.run([promtool, "check", "config", str(config)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    jobs = {job["job_name"]: job for job in yaml.safe_load(config.read_text())["scrape_configs"]}
    assert set(jobs) == set(PROCESSES)
    for name in PROCESSES:
        env = SERVICES[name]["environment"]
        port = int(env["WARDMATE_METRICS_PORT"])
        assert env["WARDMATE_METRICS_HOST"] == "0.0.0.0", name  # reachable from the prometheus container
        assert str(port) in [str(p) for p in SERVICES[name].get("expose", [])], name
        (sd,) = jobs[name]["dns_sd_configs"]
        assert sd["names"] == [name] and sd["port"] == port  # every replica of the service


def test_dashboard_queries_parse_and_name_exported_metrics(
    promtool: str, dashboard: dict[str, Any], tmp_path: Path
) -> None:
    """Every panel query is valid PromQL (promtool checks it as a recording rule) and names
    only metrics that a service or the gateway exports; the panels cover request rate,
    errors, p99 per route, outbox age and consumer lag."""
    exprs = expressions(dashboard)
    rules = {
        "groups": [{"name": "dashboard", "rules": [{"record": f"panel:{i}", "expr": e} for i, e in enumerate(exprs)]}]
    }
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rules))
    out = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    known = exported_names(ServiceMetrics().registry) | exported_names(GatewayMetrics().registry)
    used = {name for e in exprs for name in re.findall(r"\bwardmate_[a-z_]+", e)}
    assert used <= known, sorted(used - known)
    text = "\n".join(exprs)
    assert "rate(wardmate_gateway_requests_total" in text
    assert 'status=~"5.."' in text
    assert "histogram_quantile(0.99, sum by (le, route)" in text
    assert "wardmate_outbox_oldest_unsent_age_seconds" in text
    assert "wardmate_consumer_pending_events" in text


def test_dashboard_uses_the_provisioned_datasource(dashboard: dict[str, Any]) -> None:
    """Each panel reads the Prometheus data source that Grafana is provisioned with."""
    sources = yaml.safe_load(
        (mounted("grafana", "/etc/grafana/provisioning") / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    (source,) = sources
    assert source["url"] == "http://prometheus:9090" and "prometheus" in SERVICES
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == source["uid"], panel["title"]
