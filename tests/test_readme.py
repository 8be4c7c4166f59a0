"""The READMEs' examples run, and print what the READMEs show.

Each ```text block that starts with `$ cd FOLDER && python SCRIPT ...` (or `$ python SCRIPT ...`
in an extra's README, run in its folder) is run as a reader would, in a copy of the folders under
a temporary one, with the MNIST sample as --data; the lines must match: `…` stands for what varies
(times, last digits, paths), a line `...` for lines left out, and the full MNIST's 60000 training
digits for the sample's 2048.
"""
import re
import shlex

import pytest

from conftest import MNIST, ROOT, assert_ok, copy_of, run

READMES = ["README.md", "mnist_predict/README.md", "gym_agent/README.md"]


def outputs():
    """(folder, script, arguments, shown lines) of each output block, README by README."""
    found = []
    for readme in READMES:
        for body in re.findall(r"```text\n(.*?)```", (ROOT / readme).read_text(), re.S):
            command, *shown = body.rstrip("\n").split("\n")
            match = re.fullmatch(r"\$ (?:cd ([\w-]+) && )?python (\w+\.py)(.*)", command)
            if match:
                folder = match.group(1) or str((ROOT / readme).parent.relative_to(ROOT))
                found.append(pytest.param(folder, match.group(2), shlex.split(match.group(3)), shown,
                                          id=f"{readme}: {command[2:]}"))
    return found


def pattern(shown):
    """A regex of shown lines: `…` is anything on its line, a line `...` any lines."""
    return "".join(r"(?:.*\n)*?" if line == "..." else re.escape(line).replace("…", ".*?") + "\n" for line in shown)


@pytest.mark.parametrize("folder, script, args, shown", outputs())
def test_readme_output_is_what_the_script_prints(folder, script, args, shown, shared_run):
    if folder in ("mnist_plt", "mnist") and "--data" not in args:
        args = [*args, "--data", MNIST]  # offline: the sample
    if folder == "mnist_predict":  # beside the model of the README's smoke run, as a reader has it
        checkout, trained = shared_run("mnist", "--smoke", "--data", MNIST, backend="tensorflow")
        assert_ok(trained)
        result = run(copy_of(checkout, folder), folder, *args, script=script, backend="tensorflow")
    else:
        _, result = shared_run(folder, *args, script=script, backend="tensorflow")
    shown = [line.replace("(60000, 28, 28)", "(2048, 28, 28)") for line in shown]
    assert re.fullmatch(pattern(shown), assert_ok(result).stdout), \
        "README shows:\n" + "\n".join(shown) + "\n\nthe script printed:\n" + result.stdout[-3000:]


def test_each_script_has_an_output_in_a_readme():
    shown = {(param.values[0], param.values[1]) for param in outputs()}
    assert {("gpu-test", "main.py"), ("xor-numpy", "main.py"), ("xor-keras", "main.py"), ("mnist_plt", "main.py"),
            ("mnist", "main.py"), ("gym-simple", "main.py"), ("mnist_predict", "predict.py"),
            ("mnist_predict", "draw.py"), ("gym_agent", "agent.py")} <= shown


def test_readme_pictures_are_in_the_repo_small_and_readable():
    from PIL import Image

    for readme in READMES:
        for link in re.findall(r"\]\(([^)\s]+\.(?:png|gif))\)", (ROOT / readme).read_text()):
            path = (ROOT / readme).parent / link
            assert path.stat().st_size < 300_000, link
            with Image.open(path) as picture:
                picture.verify()
