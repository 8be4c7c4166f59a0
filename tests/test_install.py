"""The install files agree, and what they ask for is what the tests run on."""
import sys
from importlib import metadata

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from conftest import ROOT


def requirements(name):
    lines = (ROOT / name).read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def test_requirements_cover_the_post_and_are_installed_in_range():
    reqs = {Requirement(line).name: Requirement(line) for line in requirements("requirements.txt")}
    assert {"keras", "tensorflow", "numpy", "matplotlib", "gymnasium", "ale-py", "scikit-image", "pytest"} <= set(reqs)
    assert "classic-control" in reqs["gymnasium"].extras
    assert "tensorflow-gpu" not in reqs and "gym" not in reqs
    for req in reqs.values():
        version = metadata.version(req.name)
        assert req.specifier.contains(version, prereleases=True), f"{req.name} {version} not in {req}"
    assert not reqs["keras"].specifier.contains("3.13") and not reqs["numpy"].specifier.contains("1.26")


def floor(requirement):
    """The lowest version a requirement allows: its >= bound."""
    return next(Version(spec.version) for spec in requirement.specifier if spec.operator == ">=")


def test_the_lowest_versions_ci_installs_are_the_floors_of_the_requirements():
    lowest = {Requirement(line).name: Requirement(line) for line in requirements(".ci/lowest.txt")}
    for name in ("requirements.txt", "requirements-jax.txt"):
        for line in requirements(name):
            if not line.startswith("-r"):
                req = Requirement(line)
                assert req.name in lowest, f"{name}: {req.name} has no pin in .ci/lowest.txt"
                pinned = next(iter(lowest[req.name].specifier))
                assert pinned.operator == "==" and Version(pinned.version) == floor(req), (req, lowest[req.name])
    assert ".ci/lowest.txt" in (ROOT / ".ci" / "run").read_text()


def test_python_3_11_or_later_as_the_readme_says():
    """Keras 3.14, the floor, needs Python 3.11; Python 3.10 reached its end of life in October 2026."""
    assert sys.version_info >= (3, 11)
    assert "Python 3.11 or later" in (ROOT / "README.md").read_text()
    assert not SpecifierSet(metadata.metadata("keras")["Requires-Python"]).contains("3.10")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def test_environment_yml_makes_the_keras_env_from_requirements_txt():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "keras"  # the post's `source activate keras`
    deps = env["dependencies"]
    assert "pip" in deps and any(str(d).startswith("python") for d in deps)
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip_section == ["-r requirements.txt"]


def test_backend_extras_build_on_the_default_requirements():
    for backend in ("jax", "torch"):
        lines = requirements(f"requirements-{backend}.txt")
        assert lines[0] == "-r requirements.txt"
        assert Requirement(lines[1]).name == backend


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for command in ("pip install -r requirements.txt", "cd xor-keras && python main.py",
                    "python -m pytest"):
        assert command in readme
    assert "python -m pytest" in ci and "requirements.txt" in ci
