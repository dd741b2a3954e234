"""The wheel the image installs (``pip install .``) carries everything the system reads.

The check cannot be fooled by the source tree: the wheel is built, installed into a
throwaway venv outside the tree, and that install serves the web client (``/`` and every
module the client imports, followed from ``app.js``) and loads every service's migrations
and the hospital directory, the way a container would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import zipfile
from pathlib import Path

import pytest

from shared.embedded import free_port
from shared.hospitals import directory
from tests.conftest import Infra
from tests.eventually import eventually_sync

ROOT = Path(__file__).resolve().parents[2]
# A static import or a dynamic import() of a relative module in the client's sources.
MODULE_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}/[^"']+)["']""")
CHECK_RESOURCES = """
import json, pathlib, sys
from shared.db import load_migrations
from shared.hospitals import directory
import services, shared
packages = {p.parent.relative_to(pathlib.Path(services.__file__).parents[1]).as_posix().replace("/", ".")
            for p in pathlib.Path(services.__file__).parents[1].glob("*/**/migrations/__init__.py")}
print(json.dumps({
    "where": [services.__file__, shared.__file__],
    "migrations": {pkg: len(load_migrations(pkg)) for pkg in sorted(packages)},
    "hospitals": len(directory()),
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built as ``pip install .`` builds it, from a copy of the files
    git would hand a fresh clone (setuptools reuses a ``build/`` folder left in the tree, so
    a wheel built in place can ship files its package data no longer names)."""
    tmp = tmp_path_factory.mktemp("dist")
    source = tmp / "src"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp), str(source)],
        check=True,
        cwd=tmp,
    )
    (built,) = tmp.glob("wardmate-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the source tree with the wheel installed (its dependencies come from
    the test run's own environment, so nothing is downloaded twice)."""
    tmp = tmp_path_factory.mktemp("wheel")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        cwd=tmp,
    )
    # A path line, not a site dir: the test environment's own .pth files (its editable
    # install of this very project among them) are not processed, so only the wheel's
    # copy of ``services`` and ``shared`` can be imported.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_the_wheel_holds_every_file_of_the_packages(wheel: Path) -> None:
    """Every file under ``services/`` and ``shared/`` that git tracks is in the wheel."""
    tracked = subprocess.run(
        ["git", "ls-files", "services", "shared"], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout.split()
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    missing = [path for path in tracked if path not in shipped]
    assert not missing, f"not in the wheel (pyproject's [tool.setuptools.package-data]): {missing}"


def _source_migrations() -> dict[str, int]:
    return {
        init.parent.relative_to(ROOT).as_posix().replace("/", "."): len(list(init.parent.glob("*.sql")))
        for top in ("services", "shared")
        for init in (ROOT / top).glob("**/migrations/__init__.py")
    }


def test_the_installed_wheel_holds_every_migration_and_the_hospital_directory(installed: Path) -> None:
    """Every migrations package and the hospital directory load from the install alone."""
    out = subprocess.run(
        [str(installed), "-c", CHECK_RESOURCES],
        check=True,
        capture_output=True,
        text=True,
        cwd=installed.parents[2],
    )
    found = json.loads(out.stdout)
    assert all(not path.startswith(str(ROOT)) for path in found["where"]), found["where"]
    assert found["migrations"] == _source_migrations()
    assert found["hospitals"] == len(directory())


def test_the_installed_gateway_serves_the_client_and_every_module_it_imports(installed: Path, infra: Infra) -> None:
    """The gateway run from the wheel serves ``/`` and every module reachable from ``app.js``."""
    port = free_port()
    env = {
        **os.environ,
        "WARDMATE_NATS_URL": infra.nats_url,
        "WARDMATE_HTTP_PORT": str(port),
        "WARDMATE_LOG_LEVEL": "WARNING",
    }
    gateway = subprocess.Popen(
        [str(installed), "-m", "services.gateway"], env=env, cwd=installed.parents[2], stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        index = _get_when_up(base + "/", gateway)
        assert 'src="/static/app.js"' in index
        fetched = _follow_modules(base, "/static/app.js")
        assert "/static/pages/search.js" in fetched and "/static/vendor/preact-htm.js" in fetched
        stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', index)
        for path in stylesheets:
            _get(base + path)
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as reply:
        assert reply.status == 200, url
        return reply.read().decode()


def _get_when_up(url: str, process: subprocess.Popen[bytes]) -> str:
    def get() -> str:
        if process.poll() is not None:
            assert process.stderr is not None
            pytest.fail(f"the installed gateway exited: {process.stderr.read().decode()[-2000:]}")
        return _get(url)

    return eventually_sync(get, 30, what=f"the installed gateway to serve {url}", interval=0.1, retry_on=(OSError,))


def _follow_modules(base: str, start: str) -> set[str]:
    """Fetch ``start`` and, transitively, every relative module it imports; their paths."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        source = _get(base + path)
        folder = path.rsplit("/", 1)[0]
        for spec in MODULE_IMPORT.findall(source):
            todo.append(os.path.normpath(f"{folder}/{spec}"))
    return seen
