import re

from conftest import assert_one_line_error, assert_ok, run_example


def test_lists_cpu_in_the_posts_block_format(backend):
    result = assert_ok(run_example("gpu-test", backend=backend))
    out = result.stdout
    assert f"Keras backend: {backend}" in out
    # the post's block for the CPU, with a real memory figure
    assert re.search(r'^name: "/device:CPU:0"\ndevice_type: "CPU"\nmemory_limit: [1-9]\d+$', out, re.M), out
    assert re.search(r"^(TensorFlow|JAX|PyTorch) version: \d", out, re.M), out
    assert re.search(r"^Built with CUDA: (True|False)$", out, re.M), out
    assert re.search(r"^Keras will train on: (CPU|GPU)", out, re.M), out


def test_quiet_by_default_and_verbose_on_request():
    quiet = assert_ok(run_example("gpu-test"))
    assert quiet.stderr.strip() == "", quiet.stderr
    verbose = assert_ok(run_example("gpu-test", "--verbose"))
    assert verbose.stdout == quiet.stdout


def test_require_gpu():
    result = run_example("gpu-test", "--require-gpu")
    if "Keras will train on: GPU" in result.stdout:
        assert_ok(result)
    else:
        assert result.returncode == 1
        assert_one_line_error(result, "no GPU is visible", "tensorflow[and-cuda]")
