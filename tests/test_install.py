"""What the README tells a reader to install is what the sections import, with true floors."""
import re
import sys
from pathlib import Path
from importlib import metadata

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from conftest import ROOT


def requirements(name):
    """The requirements a file asks for, its -r lines followed."""
    lines = [line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines()]
    return [req for line in lines if line for req in
            (requirements(str(Path(name).parent / line[3:])) if line.startswith("-r ")
             else [Requirement(line)])]


def test_requirements_txt_is_what_the_sections_import_and_installed_in_range():
    assert {req.name for req in requirements("requirements.txt")} == {
        "keras", "tensorflow", "numpy", "matplotlib", "pillow", "gymnasium"}
    imported = {name for folder in ("gpu-test", "xor-numpy", "xor-keras", "mnist_plt", "mnist",
                                    "gym-simple")
                for name in re.findall(r"^\s*(?:import|from) (\w+)",
                                       (ROOT / folder / "main.py").read_text(), re.M)}
    third_party = imported - set(sys.stdlib_module_names) - {"tensorflow", "jax", "torch", "ale_py"}
    # pygame: classic-control
    assert third_party == {"numpy", "keras", "matplotlib", "pygame", "gymnasium", "PIL"}
    for req in requirements("requirements.txt") + requirements("requirements-dev.txt"):
        name = req.name
        if name == "tensorflow" and not installed("tensorflow"):  # the CPU-only route
            name = "tensorflow-cpu"
        assert req.specifier.contains(metadata.version(name), prereleases=True), req


def installed(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def test_the_files_added_to_a_tensorflow_build_name_none():
    """requirements.txt or requirements-cpu.txt picks the build; what is added on top keeps it."""
    for name in ("requirements-dev.txt", "requirements-jax.txt", "requirements-torch.txt",
                 "mnist_predict/requirements.txt"):
        assert not {req.name for req in requirements(name)} & {"tensorflow", "tensorflow-cpu"}, name
    assert not (installed("tensorflow") and installed("tensorflow-cpu"))  # one module, two names


def test_the_cpu_only_file_is_requirements_txt_with_tensorflow_cpu():
    cpu = {str(req).replace("tensorflow-cpu", "tensorflow")
           for req in requirements("requirements-cpu.txt")}
    assert cpu == {str(req) for req in requirements("requirements.txt")}


def test_ci_pins_each_floor_and_runs_the_readme_test_command():
    lowest = {req.name: req for req in requirements(".ci/lowest.txt")}
    for req in (requirements("requirements.txt") + requirements("requirements-dev.txt")
                + requirements("requirements-jax.txt")):
        pinned = next(iter(lowest[req.name].specifier))
        floor = next(Version(spec.version) for spec in req.specifier if spec.operator == ">=")
        assert pinned.operator == "==" and Version(pinned.version) == floor, (req, lowest[req.name])
    readme, ci = (ROOT / "README.md").read_text(), (ROOT / ".ci" / "run").read_text()
    assert "pip install -r requirements-dev.txt && python -m pytest" in readme
    assert all(line in ci for line in ("pip install -r requirements-dev.txt", "python -m pytest",
                                       ".ci/lowest.txt"))


def test_python_versions_are_the_readmes():
    assert ((3, 11) <= sys.version_info[:2] <= (3, 13)
            and "Python 3.11 to 3.13" in (ROOT / "README.md").read_text())
    assert not SpecifierSet(metadata.metadata("keras")["Requires-Python"]).contains("3.10")
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
