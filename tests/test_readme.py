"""The READMEs' examples print what the READMEs show: each ```text block that starts with
`$ cd FOLDER && python SCRIPT ...` (in an extra's README `$ python SCRIPT ...`, in its folder) is
run as a reader would, the MNIST sample as --data; `…` stands for what varies (times, last digits,
paths), a line `...` for lines left out, and the sample's 2048 training digits for MNIST's 60000."""
import re
import shlex
import shutil
from pathlib import Path

import pytest
from PIL import Image

from conftest import MNIST, ROOT, assert_ok, copy_of, run

READMES = ["README.md", "mnist_predict/README.md", "gym_agent/README.md", "mnist_fast/README.md"]


def outputs():
    """(folder, script, arguments, shown lines) of each output block, README by README."""
    found = []
    for readme in READMES:
        for body in re.findall(r"```text\n(.*?)```", (ROOT / readme).read_text(), re.S):
            command, *shown = body.rstrip("\n").split("\n")
            if match := re.fullmatch(r"\$ (?:cd ([\w-]+) && )?python (\w+\.py)(.*)", command):
                found.append(pytest.param(match[1] or str(Path(readme).parent), match[2],
                                          shlex.split(match[3]), shown,
                                          id=f"{readme}: {command[2:]}"))
    return found


@pytest.mark.parametrize("folder, script, args, shown", outputs())
def test_readme_output_is_what_the_script_prints(folder, script, args, shown, shared_run, tmp_path):
    if folder in ("mnist_plt", "mnist", "mnist_fast") and "--data" not in args:
        args = [*args, "--data", MNIST]  # offline: the sample
    if folder == "mnist_predict":  # beside the model of the README's smoke run, as a reader has it
        checkout, trained = shared_run("mnist", "--smoke", "--data", MNIST, backend="tensorflow")
        assert_ok(trained)
        shutil.copytree(checkout / "mnist", tmp_path / "mnist")
        result = run(copy_of(tmp_path, folder), folder, *args, script=script, backend="tensorflow")
    else:
        result = shared_run(folder, *args, script=script, backend="tensorflow")[1]
    shown = [line.replace("(60000, 28, 28)", "(2048, 28, 28)") for line in shown]
    # `…` anything on its line, a line `...` any lines
    pattern = "".join(r"(?:.*\n)*?" if line == "..." else
                      re.escape(line).replace("…", ".*?") + "\n" for line in shown)
    assert re.fullmatch(pattern, assert_ok(result).stdout), \
        "README shows:\n" + "\n".join(shown) + "\n\nthe script printed:\n" + result.stdout[-3000:]


def test_each_script_has_an_output_in_a_readme():
    assert {("gpu-test", "main.py"), ("xor-numpy", "main.py"), ("xor-keras", "main.py"),
            ("mnist_plt", "main.py"), ("mnist", "main.py"), ("gym-simple", "main.py"),
            ("mnist_predict", "predict.py"), ("mnist_predict", "draw.py"),
            ("gym_agent", "agent.py"), ("mnist_fast", "train.py")} <= {
                tuple(p.values[:2]) for p in outputs()}


def test_readme_pictures_are_in_the_repo_small_readable_and_drawn_by_make_sh():
    for readme in READMES:
        for link in re.findall(r"\]\(([^)\s]+\.(?:png|gif))\)", (ROOT / readme).read_text()):
            assert Path(link).name in (ROOT / "assets" / "make.sh").read_text(), link
            assert ((ROOT / readme).parent / link).stat().st_size < 300_000, link
            with Image.open((ROOT / readme).parent / link) as picture:
                picture.verify()
