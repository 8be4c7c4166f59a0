"""The README's examples run, and print what the README shows.

Each ```text block that starts with `$ python SCRIPT ...` (main.py, predict.py, agent.py) is the output
of that command in the folder of the `cd` above it. The test runs it as a reader would, with the fixture as --data and the
outputs in a temporary folder (nothing of the reader's is overwritten), and matches the lines: `…`
stands for what varies (times, last digits, paths), a line `...` for lines left out, and the full
MNIST's 60000 training digits for the fixture's 2048.
"""
import re
import shlex
import subprocess
import sys

import pytest

from conftest import MNIST, ROOT, assert_ok

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.S)


def outputs():
    """(folder, arguments, shown lines) of each output block, in the README's order."""
    folder, found = None, []
    for language, body in BLOCKS:
        cd = re.findall(r"\bcd ([\w-]+) &&", body)
        if language == "bash" and cd:
            folder = cd[-1]
        elif language == "text" and re.match(r"\$ python \w+\.py", body):
            command, *shown = body.rstrip("\n").split("\n")
            script, *args = shlex.split(command)[2:]
            found.append(pytest.param(folder, script, args, shown, id=f"{folder}: {command[2:]}"))
    return found


def pattern(shown):
    """A regex of shown lines: `…` is anything on its line, a line `...` any lines."""
    return "".join(r"(?:.*\n)*?" if line == "..." else re.escape(line).replace("…", ".*?") + "\n" for line in shown)


@pytest.mark.parametrize("folder, script, args, shown", outputs())
def test_readme_output_is_what_the_script_prints(folder, script, args, shown, run_once, out):
    where = out(folder)
    extra = {"mnist_plt": ["--data", MNIST, "--out", where / "digit.png"],
             "mnist": ["--data", MNIST, "--out-dir", where],
             "gym-simple": ["--out", where / "cartpole.gif"]}.get(folder, [])
    if "--plot" in args:  # xor-keras: its figure, in the temporary folder
        args = [*args, where / "decision_boundary.png"]
    if script == "predict.py":  # with the model of the README's smoke run
        assert_ok(run_once("mnist", "--smoke", *extra, backend="tensorflow"))
        extra = ["--model-dir", where]
    result = assert_ok(run_once(folder, *args, *extra, backend="tensorflow", script=script))
    shown = [line.replace("(60000, 28, 28)", "(2048, 28, 28)") for line in shown]
    assert re.fullmatch(pattern(shown), result.stdout), \
        "README shows:\n" + "\n".join(shown) + "\n\nthe script printed:\n" + result.stdout[-3000:]


def test_readme_has_an_output_for_each_script():
    assert {(param.values[0], param.values[1]) for param in outputs()} == {
        ("gpu-test", "main.py"), ("xor-numpy", "main.py"), ("xor-keras", "main.py"), ("mnist_plt", "main.py"),
        ("mnist", "main.py"), ("mnist", "predict.py"), ("gym-simple", "main.py"), ("gym-simple", "agent.py")}


def test_readme_commands_use_flags_the_scripts_have():
    """Each `cd FOLDER && python SCRIPT ...` line names a folder, and flags its script takes (in its comment too)."""
    commands = [command for language, body in BLOCKS
                for command in re.findall(r"\bcd ([\w-]+) && python (\w+\.py)([^\n]*)", body)]
    assert len(commands) >= 8
    for folder, script, args in commands:
        helped = subprocess.run([sys.executable, script, "--help"], cwd=ROOT / folder, capture_output=True,
                                text=True).stdout
        assert set(re.findall(r"--[\w-]+", args)) <= set(re.findall(r"--[\w-]+", helped)), (folder, script, args)


def test_readme_pictures_are_in_the_repo_small_and_readable():
    from PIL import Image

    links = re.findall(r"\]\((assets/[^)\s]+)\)", README)
    assert {"assets/mnist_plt.png", "assets/decision_boundary.png", "assets/history.png",
            "assets/cartpole.gif"} <= set(links)
    for link in links:
        assert (ROOT / link).stat().st_size < 300_000, link
        with Image.open(ROOT / link) as picture:
            picture.verify()
