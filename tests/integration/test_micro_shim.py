"""What shared/micro_shim.py assumes of nats.micro, checked on a real service: an upgrade
of nats-py that moves any of it fails here, not as a replica that drops requests on stop
or a ``$SRV.STATS`` that quietly reports micro's numbers again."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import tomllib
import uuid
from pathlib import Path

import nats.micro.service as micro
import pytest
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError
from nats.micro.request import Request
from nats.micro.service import EndpointStats, ServiceConfig

from shared import bus
from shared.micro_shim import NATS_PY_VERSION, add_reporting_service, drain_endpoints, endpoint_subscriptions
from tests.conftest import Infra

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_installed_nats_py_is_the_pinned_one() -> None:
    """pyproject pins nats-py exactly to the version the shim was written against, and that is the one installed."""
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert f"nats-py=={NATS_PY_VERSION}" in dependencies
    assert importlib.metadata.version("nats-py") == NATS_PY_VERSION


async def test_shim_reaches_what_it_expects(infra: Infra) -> None:
    """Endpoints, their subscriptions and the STATS reply are where the shim looks for them."""
    nc = await bus.connect(infra.nats_url, "shim-test")
    name = f"shim{uuid.uuid4().hex[:6]}"
    subjects = [f"test.{name}.one", f"test.{name}.two"]

    def report(stats: EndpointStats) -> EndpointStats:
        return dataclasses.replace(stats, num_requests=42, data={"marker": stats.subject})

    async def echo(req: Request) -> None:
        await req.respond(req.data)

    service = await add_reporting_service(nc, ServiceConfig(name=name, version="0.1.0"), report)
    try:
        for subject in subjects:
            await service.add_endpoint(name=subject.rsplit(".", 1)[-1], subject=subject, handler=echo)
        assert await bus.request_raw(nc, subjects[0], b"{}") == b"{}"

        # The private attributes behind endpoint_subscriptions, with the types it expects.
        assert isinstance(service._endpoints, list)
        assert all(isinstance(endpoint, micro.Endpoint) for endpoint in service._endpoints)
        assert all(isinstance(endpoint._subscription, Subscription) for endpoint in service._endpoints)
        assert [sub.subject for sub in endpoint_subscriptions(service)] == subjects

        # $SRV.STATS is answered from stats(), so the override reaches the wire.
        for stats in (service.stats().to_dict(), json.loads((await nc.request(f"$SRV.STATS.{name}", b"")).data)):
            assert [(ep["num_requests"], ep["data"]) for ep in stats["endpoints"]] == [
                (42, {"marker": subject}) for subject in subjects
            ]

        await drain_endpoints(service)
        with pytest.raises(NoRespondersError):
            await nc.request(subjects[0], b"{}", timeout=1)
    finally:
        # Not service.stop(): after a drain micro's stop fails on the closed subscriptions
        # (the runner suppresses that); closing the connection ends the service anyway.
        await nc.close()
