"""docker-compose.yml, Dockerfile and .dockerignore checked against the code they run.

No Docker engine is needed: the compose file is parsed with PyYAML (which resolves the
``<<: *service`` merge keys the way compose does) and compared with ``Settings``,
``services.runner.PROCESSES`` and the gateway's routes.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from services.gateway.app import create_app
from services.runner import PROCESSES
from shared.settings import PLACEHOLDER_SECRET, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
INFRA = ("postgres", "nats")
APP_SERVICES = tuple(p for p in PROCESSES if p != "gateway")
PREFIX = Settings.model_config["env_prefix"]
SETTING_NAMES = {PREFIX + name.upper() for name in Settings.model_fields}
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, whether written as a mapping or a list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Substitute ``${...}`` like compose does; a missing ``:?`` variable is an error."""

    def sub(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if variables.get(name):
            return variables[name]
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise LookupError(f"{name}: {arg}")
        return ""

    return INTERPOLATION.sub(sub, value)


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command")
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd or []]


def depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short form: no condition at all
        return {name: {} for name in deps}
    return deps


def named_volume_targets(compose: dict[str, Any], service: dict[str, Any]) -> dict[str, str]:
    """``{container path: volume name}`` of the named volumes a service mounts."""
    declared = set(compose.get("volumes") or {})
    mounts: dict[str, str] = {}
    for vol in service.get("volumes") or []:
        if isinstance(vol, str):
            source, _, target = vol.partition(":")
            target = target.split(":", 1)[0]
        else:
            source, target = vol.get("source", ""), vol.get("target", "")
        if source in declared:
            mounts[target] = source
    return mounts


def healthcheck_text(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    return " ".join(test) if isinstance(test, list) else str(test or "")


def test_every_runner_process_is_a_compose_service(services: dict[str, dict[str, Any]]) -> None:
    """Each process the embedded runner starts is also a compose service, plus Postgres and NATS."""
    assert set(PROCESSES) | set(INFRA) <= set(services)


@pytest.mark.parametrize("name", PROCESSES)
def test_service_runs_its_module(services: dict[str, dict[str, Any]], name: str) -> None:
    """An app service runs ``python -m services.<name>`` (a real module) from the local image."""
    service = services[name]
    assert command(service) == ["python", "-m", f"services.{name}"]
    assert importlib.util.find_spec(f"services.{name}.__main__") is not None
    build = service.get("build")
    context = build.get("context") if isinstance(build, dict) else build
    assert context == ".", f"{name} must be built from the repository's Dockerfile"
    assert service.get("restart") == "unless-stopped"


def test_environment_names_are_settings_fields(services: dict[str, dict[str, Any]]) -> None:
    """Every WARDMATE_* variable in compose names a Settings field (no silently ignored typos)."""
    used = {k for svc in services.values() for k in environment(svc) if k.startswith(PREFIX)}
    assert used, "the app services should be configured through WARDMATE_* variables"
    assert used <= SETTING_NAMES, f"not Settings fields: {sorted(used - SETTING_NAMES)}"


@pytest.mark.parametrize("name", PROCESSES)
def test_environment_builds_valid_production_settings(
    services: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each service's environment, with a secret supplied, loads as production Settings."""
    for key in SETTING_NAMES:
        monkeypatch.delenv(key, raising=False)
    for key, value in environment(services[name]).items():
        monkeypatch.setenv(key, interpolate(value, {"WARDMATE_SECRET_KEY": "s3cret" * 6}))
    settings = Settings()
    assert settings.environment == "production"
    assert settings.secret_key == "s3cret" * 6
    assert urlsplit(settings.nats_url).hostname == "nats"
    if name != "gateway":  # the gateway keeps no data
        assert urlsplit(settings.database_url).hostname == "postgres"


def test_payments_takes_every_stripe_key_from_the_operator(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a Stripe account's keys in .env, payments loads them all, the publishable key for the
    browser's Stripe.js included (without it compose kept localstripe's, and no guest could pay)."""
    given = {
        "WARDMATE_SECRET_KEY": "s3cret" * 6,
        "WARDMATE_STRIPE_API_KEY": "sk_live_operator",
        "WARDMATE_STRIPE_PUBLISHABLE_KEY": "pk_live_operator",
        "WARDMATE_STRIPE_WEBHOOK_SECRET": "whsec_operator",
    }
    for key in SETTING_NAMES:
        monkeypatch.delenv(key, raising=False)
    for key, value in environment(services["payments"]).items():
        monkeypatch.setenv(key, interpolate(value, given))
    settings = Settings()
    assert (settings.stripe_api_key, settings.stripe_publishable_key, settings.stripe_webhook_secret) == (
        "sk_live_operator",
        "pk_live_operator",
        "whsec_operator",
    )


def test_secret_key_must_come_from_the_operator(services: dict[str, dict[str, Any]]) -> None:
    """Compose has no default secret: starting without WARDMATE_SECRET_KEY fails loudly."""
    for name in PROCESSES:
        raw = environment(services[name])["WARDMATE_SECRET_KEY"]
        with pytest.raises(LookupError):
            interpolate(raw, {})
        assert PLACEHOLDER_SECRET not in raw
    # ...and the placeholder would be refused by Settings anyway.
    with pytest.raises(ValueError, match="placeholder"):
        Settings(environment="production", secret_key=PLACEHOLDER_SECRET)


def test_each_service_connects_as_its_own_role(services: dict[str, dict[str, Any]]) -> None:
    """Each service's database URL names its own role, which the init script creates with its schema."""
    pg = environment(services["postgres"])
    init = next(v.split(":")[0] for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v)
    script = (ROOT / init).read_text()
    for name in APP_SERVICES:
        url = urlsplit(interpolate(environment(services[name])["WARDMATE_DATABASE_URL"], {}))
        assert (url.hostname, url.port or 5432) == ("postgres", 5432)
        assert url.username == name
        assert url.password == interpolate(pg["SERVICE_DB_PASSWORD"], {})
        assert url.path.lstrip("/") == pg["POSTGRES_DB"]
        assert f"'{name}'" in script and f"CREATE SCHEMA IF NOT EXISTS {name} AUTHORIZATION {name}" in script
    assert "WARDMATE_DATABASE_URL" not in environment(services["gateway"])  # the gateway has no database


def test_app_services_can_scale(services: dict[str, dict[str, Any]]) -> None:
    """No app service pins a container name or host port (so ``--scale`` works) but the gateway."""
    for name in PROCESSES:
        assert "container_name" not in services[name], name
        if name != "gateway":
            assert not services[name].get("ports"), f"{name} publishes a host port"


def test_gateway_publishes_the_port_it_listens_on(services: dict[str, dict[str, Any]]) -> None:
    """The gateway binds all interfaces and the published container port is its HTTP port."""
    env = environment(services["gateway"])
    assert env["WARDMATE_HTTP_HOST"] == "0.0.0.0"
    port = int(env.get("WARDMATE_HTTP_PORT", Settings.model_fields["http_port"].default))
    ports = services["gateway"]["ports"]
    container_ports = {int(str(p).rsplit(":", 1)[-1].split("/")[0]) for p in ports}
    assert port in container_ports


def test_gateway_healthcheck_hits_the_liveness_route(services: dict[str, dict[str, Any]]) -> None:
    """The gateway healthcheck requests a route the gateway really serves, with Python's
    urllib: its liveness, which no other service's outage fails."""
    check = healthcheck_text(services["gateway"])
    url = re.search(r"https?://[^'\"\s]+", check)
    assert url and "urllib" in check
    target = urlsplit(url.group(0))
    port = int(environment(services["gateway"]).get("WARDMATE_HTTP_PORT", 8080))
    assert target.port == port
    app = create_app(Settings())
    paths = {r.resource.canonical for r in app.router.routes() if r.method == "GET"}
    assert target.path in paths
    assert target.path == "/api/v1/health/live"


def test_dependencies_wait_for_healthy_infrastructure(services: dict[str, dict[str, Any]]) -> None:
    """App services start only once Postgres and NATS report healthy; the gateway needs NATS."""
    for name in PROCESSES:
        deps = depends_on(services[name])
        needed = ("nats",) if name == "gateway" else INFRA
        for infra in needed:
            assert infra in deps, f"{name} does not wait for {infra}"
        for dep, spec in deps.items():
            if dep in INFRA:
                assert spec.get("condition") == "service_healthy", f"{name} -> {dep}"


@pytest.mark.parametrize("name", INFRA)
def test_infrastructure_has_healthcheck_and_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], name: str
) -> None:
    """Postgres and NATS declare a healthcheck and keep their data on a named volume."""
    assert healthcheck_text(services[name])
    assert named_volume_targets(compose, services[name])


def test_postgres_volume_holds_its_data_directory(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    """Postgres keeps its data directory on the named volume and is checked with pg_isready."""
    pg = services["postgres"]
    assert str(pg["image"]).startswith("postgres:17")
    data_dir = environment(pg).get("PGDATA", "/var/lib/postgresql/data")
    targets = named_volume_targets(compose, pg)
    assert any(data_dir == t or data_dir.startswith(t + "/") for t in targets)
    assert "pg_isready" in healthcheck_text(pg)


def test_nats_runs_jetstream_on_its_volume(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    """NATS runs JetStream (-js) with its store dir (-sd) on a named volume, checked on /healthz."""
    nats = services["nats"]
    args = command(nats)
    assert "-js" in args or "--jetstream" in args
    flag = next(f for f in ("-sd", "--store_dir") if f in args)
    store = args[args.index(flag) + 1]
    assert any(store == t or store.startswith(t + "/") for t in named_volume_targets(compose, nats))
    monitor = next(f for f in ("-m", "--http_port") if f in args)
    check = healthcheck_text(nats)
    assert f":{args[args.index(monitor) + 1]}/healthz" in check
    # The scratch image has no shell or wget to run the healthcheck with.
    assert "alpine" in str(nats["image"]) or not check.startswith("CMD wget")
    # Acknowledged writes must reach the disk at once: sync_interval: always, from a file.
    conf_path = args[args.index("-c") + 1]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in nats["volumes"] if v.startswith("./")}
    conf = (ROOT / mounts[conf_path]).read_text()
    assert "sync_interval: always" in conf


def test_app_services_have_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    """Each app service has a healthcheck running an importable module."""
    for name in PROCESSES:
        check = services[name].get("healthcheck", {}).get("test", [])
        assert check, name
        if "-m" in check:
            assert importlib.util.find_spec(check[check.index("-m") + 1]) is not None


def test_dockerfile_installs_the_project() -> None:
    """The Dockerfile copies every package onto python:3.11-slim, installs the locked
    dependencies (hash-checked, after checking the lock is current), then the project
    without resolving anything else, and runs non-root."""
    text = DOCKERFILE.read_text()
    lines = [s for s in map(str.strip, text.splitlines()) if s and not s.startswith("#")]
    assert lines[0] == "FROM python:3.11-slim"
    assert re.search(
        r"python deploy/lock.py check requirements.lock\s*\\\s*&& pip install --require-hashes -r requirements.lock",
        text,
    )
    assert re.search(r"^RUN pip install --no-deps \.(\s|$)", text, re.M)
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = {ln.split()[1].rstrip("/") for ln in lines if ln.startswith("COPY ")}
    assert {"pyproject.toml", "requirements.lock", "deploy/lock.py"} <= {
        c for ln in lines if ln.startswith("COPY ") for c in ln.split()[1:-1]
    }
    assert {p.rstrip("*") for p in packages} <= copied
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert lines[-1] == 'CMD ["python", "-m", "services.gateway"]'


def test_dockerignore_keeps_local_state_out() -> None:
    """.dockerignore excludes the virtualenv, the embedded runner's data, git and .env secrets."""
    patterns = {
        ln.strip().rstrip("/") for ln in DOCKERIGNORE.read_text().splitlines() if ln.strip() and not ln.startswith("#")
    }
    assert {".venv", ".wardmate", ".git", ".env"} <= patterns


def test_uploads_and_their_readers_share_one_storage_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    """The gateway writes uploads where listings and accounts read them (the filesystem store)."""
    from shared.settings import Settings

    for name in ("gateway", "listings", "accounts"):
        env = services[name]["environment"]
        root = Settings(data_dir=env["WARDMATE_DATA_DIR"]).data_dir / "storage"
        assert named_volume_targets(compose, services[name]).get(str(root)) == "media", name
