"""The dependency lock (deploy/lock.py): current for pyproject.toml, and a missing or
stale one refused in one line that says to run make lock."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wardmate_lock", ROOT / "deploy" / "lock.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lock = load_lock_module()


@pytest.mark.parametrize("name", ["requirements.lock", "requirements-dev.lock"])
def test_the_committed_locks_are_made_from_pyproject_toml(name: str) -> None:
    path = ROOT / name
    assert lock.check(path) is None, lock.check(path)
    text = path.read_text()
    pins = [ln for ln in text.splitlines() if ln and not ln.startswith((" ", "#"))]
    assert pins and all("==" in ln for ln in pins), pins[:3]  # every package pinned...
    assert text.count("--hash=sha256:") >= len(pins)  # ...and hashed


def test_a_missing_or_stale_lock_says_make_lock(tmp_path: Path) -> None:
    missing = lock.check(tmp_path / "requirements-dev.lock")
    assert missing.startswith("error: no requirements-dev.lock: run make lock")
    copy = tmp_path / "requirements-dev.lock"
    shutil.copy(ROOT / "requirements-dev.lock", copy)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text((ROOT / "pyproject.toml").read_text().replace('"tqdm>=4.66",', '"tqdm>=4.66", "pillow>=10",'))
    stale = lock.check(copy, pyproject)
    assert stale is not None and "is stale" in stale and "run make lock" in stale and "\n" not in stale
    lock.stamp(copy, pyproject)
    assert lock.check(copy, pyproject) is None
