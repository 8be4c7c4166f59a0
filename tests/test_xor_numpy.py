import re

import pytest

from conftest import (assert_help_is_instant, assert_ok, assert_quiet_when_cut_short, assert_refused_at_once,
                      interrupt, run_example)

# The source post's numbers ("A Neural Network in 11 lines of Python", seed 1), as it printed them.
SOURCE_ERRORS = [0.496410031903, 0.00858452565325, 0.00578945986251, 0.00462917677677, 0.00395876528027,
                 0.00351012256786]
SOURCE_OUTPUT = [0.00260572, 0.99672209, 0.99701711, 0.00386759]


def numbers(stdout):
    errors = [float(e) for e in re.findall(r"^Error: ([\d.e-]+)$", stdout, re.M)]
    outputs = [float(v) for v in re.findall(r"[\d.e-]+", stdout.split("Output After Training:\n")[1])]
    return errors, outputs


def test_learns_xor_with_the_source_posts_numbers(run_once):
    errors, outputs = numbers(assert_ok(run_once("xor-numpy")).stdout)
    assert [round(v) for v in outputs] == [0, 1, 1, 0]
    # the same numbers to 6 significant digits, on any machine; the last digits vary with its BLAS
    assert errors == pytest.approx(SOURCE_ERRORS, rel=1e-6)
    assert outputs == pytest.approx(SOURCE_OUTPUT, rel=1e-6)


def test_same_seed_same_numbers_other_seed_other_numbers():
    seven = assert_ok(run_example("xor-numpy", "--seed", 7)).stdout
    assert seven == assert_ok(run_example("xor-numpy", "--seed", 7)).stdout
    assert numbers(seven)[0] != pytest.approx(SOURCE_ERRORS, rel=1e-3)


@pytest.mark.parametrize("seed", ["x", "-1", str(2**32)])
def test_bad_seed_is_one_line_at_once(seed):
    assert_refused_at_once("xor-numpy", "--seed", seed, fragment="--seed")


def test_help_ctrl_c_and_a_closed_pipe():
    assert "--seed" in assert_help_is_instant("xor-numpy")
    code, stdout, stderr = interrupt("xor-numpy", [], after="Error:")
    assert (code, stderr) == (130, "interrupted\n")  # one line, no traceback
    assert_quiet_when_cut_short("xor-numpy")
