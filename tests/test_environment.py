"""environment.yml and pyproject.toml list the same packages at the same versions."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_ONLY = {"python", "pip", "pocl"}  # no PyPI counterpart in pyproject (the interpreter, pip, the OpenCL runtime)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _split(spec: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:==|=)?\s*([^\s#]*)", spec)
    return _norm(match.group(1)), match.group(2)


def pyproject_packages() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(_split(s) for s in specs)


def conda_packages() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = {}
    for dep in env["dependencies"]:
        for spec in dep["pip"] if isinstance(dep, dict) else [dep]:
            name, version = _split(spec)
            if name not in CONDA_ONLY:
                found[name] = version
    return found


def test_same_packages_and_versions():
    assert conda_packages() == pyproject_packages()


def test_lock_pins_every_direct_dependency():
    lock = dict(_split(line) for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line)
    for name, version in pyproject_packages().items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, lock {lock.get(name)}"
