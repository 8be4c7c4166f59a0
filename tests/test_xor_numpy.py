import re

from conftest import assert_ok, run_example


def outputs(stdout):
    after = stdout.split("Output After Training:")[1]
    return [float(v) for v in re.findall(r"[-\d.e]+", after)]


def test_learns_xor_and_prints_as_the_post():
    out = assert_ok(run_example("xor-numpy")).stdout
    errors = re.findall(r"^Error: ([\d.e-]+)$", out, re.M)
    assert len(errors) == 6  # every 10,000 of 60,000 iterations
    assert float(errors[0]) > 0.4 and float(errors[-1]) < 0.01
    values = outputs(out)
    assert [round(v) for v in values] == [0, 1, 1, 0]
    # seed 1 reproduces the numbers of the source post
    assert errors[0].startswith("0.49641003190")
    assert abs(values[0] - 0.00260572) < 1e-6 and abs(values[3] - 0.00386759) < 1e-6


def test_same_seed_same_numbers_other_seed_other_numbers():
    first = assert_ok(run_example("xor-numpy", "--seed", 7)).stdout
    again = assert_ok(run_example("xor-numpy", "--seed", 7)).stdout
    other = assert_ok(run_example("xor-numpy", "--seed", 8)).stdout
    assert first == again
    assert first != other
