"""What ``pip install loglens`` puts into a user's site-packages: one package, ``loglens``, with
the sides beneath it, its data files, and a ``loglens`` command — and it works away from this
checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
sys.path = [path for path in sys.path if path not in ("", {root!r})]
import loglens
assert loglens.__file__.startswith({target!r}), loglens.__file__
names = [module.name for module in pkgutil.walk_packages(loglens.__path__, "loglens.")]
for name in names:
    importlib.import_module(name)
from loglens.database.migrate import available_migrations
from loglens.agent.evaluation import bundled_questions
print(len(names), len(available_migrations()), len(bundled_questions()))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("loglens-*.whl")
    return built


def test_the_wheel_installs_one_top_level_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(name for name in names if name.endswith("entry_points.txt"))
        commands = archive.read(entry_points).decode()
    top_level = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top_level == {"loglens"}
    assert {"loglens/collector/server.py", "loglens/agent/server.py", "loglens/bots/slack/app.py"} <= set(names)
    assert "loglens = loglens.cli:main" in commands
    assert not [name for name in names if "/web/" in name and name.startswith("loglens/bots/")]


def install(wheel: Path, tmp_path: Path) -> Path:
    """The wheel installed into a site-packages of its own under ``tmp_path``."""
    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def run_installed(script: str, target: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``script`` run by Python with only the installed package to import (not this checkout)."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_package_imports_and_finds_its_data(wheel: Path, tmp_path: Path) -> None:
    target = install(wheel, tmp_path)
    done = run_installed(IMPORT_EVERYTHING.format(root=str(ROOT), target=str(target)), target, tmp_path)
    assert done.returncode == 0, done.stderr
    modules, migrations, questions = (int(number) for number in done.stdout.split())
    assert modules > 60
    assert migrations >= 2
    assert questions == 40


NATIVE_STATUS = """
import sys
sys.path = [path for path in sys.path if path not in ("", {root!r})]
from loglens.collector import native
from loglens.errors import ConfigurationError
print(native.available(), native.configure("auto").reason)
try:
    native.configure("on")
except ConfigurationError as error:
    print("on refused:", error)
"""


def fresh_clone(destination: Path) -> Path:
    """This checkout's files as a clone has them (tracked and new, nothing built or ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source, target = ROOT / name.decode(), destination / name.decode()
        if not (source.is_symlink() or source.is_file()):
            continue  # listed as deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    return destination


def test_without_a_c_compiler_loglens_installs_and_says_it_runs_on_its_python_path(tmp_path: Path) -> None:
    """CC=false: the native extension's build fails, is reported, and the rest installs."""
    clone = fresh_clone(tmp_path / "clone")
    out = tmp_path / "wheel"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(clone)],
        env={**os.environ, "CC": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel_file,) = out.glob("loglens-*.whl")
    with zipfile.ZipFile(wheel_file) as archive:
        assert not [name for name in archive.namelist() if name.endswith(".so")]
    target = install(wheel_file, tmp_path)
    done = run_installed(NATIVE_STATUS.format(root=str(ROOT)), target, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("False off: the native extension is not built"), done.stdout
    assert "the Python path serves" in done.stdout
    assert "on refused: LOGLENS_NATIVE=on, but the native extension is not built" in done.stdout
