import json
import re

import pytest

from conftest import (apple_gpu, assert_help_is_instant, assert_ok, assert_one_line_error,
                      assert_quiet_when_cut_short, assert_refused_at_once, installed, run_example)


def test_lists_the_cpu_in_the_posts_block_format(run_once, backend):
    result = assert_ok(run_once("gpu-test", backend=backend))
    assert re.fullmatch(
        rf'Keras backend: {backend}\n\nname: "/device:CPU:0"\ndevice_type: "CPU"\nmemory_limit: [1-9]\d+\n\n'
        r'(TensorFlow|JAX|PyTorch) version: \d.*\nKeras will train on: CPU \(no GPU visible\)\n', result.stdout)
    result = run_example("gpu-test", "--require-gpu", backend=backend)
    assert_one_line_error(result, "--require-gpu", f"{backend} sees no GPU", code=1)


def test_lists_an_apple_gpu_on_a_mac(backend, tmp_path):
    result = assert_ok(run_example("gpu-test", "--require-gpu", backend=backend, env=apple_gpu(tmp_path)))
    description = {"tensorflow": "name: METAL, compute capability: none (not CUDA)",
                   "torch": "name: Apple GPU (MPS)", "jax": "name: Apple M2, platform: METAL"}[backend]
    assert re.search(rf'^name: "/device:GPU:0"\ndevice_type: "GPU"\n(memory_limit: 22906503168\n)?'
                     rf'physical_device_desc: "device: 0, {re.escape(description)}"\n\n', result.stdout, re.M), result.stdout
    assert "Keras will train on: GPU (/device:GPU:0)" in result.stdout


def test_keras_json_backend_is_respected_and_backend_wins(tmp_path):
    if not installed("torch"):
        pytest.skip("Keras backend torch is not installed")
    (tmp_path / "keras.json").write_text('{"backend": "torch"}')
    env = {"KERAS_HOME": str(tmp_path)}
    assert assert_ok(run_example("gpu-test", env=env)).stdout.startswith("Keras backend: torch\n")
    assert assert_ok(run_example("gpu-test", "--backend", "tensorflow", env=env)).stdout.startswith(
        "Keras backend: tensorflow\n")


@pytest.mark.parametrize("setting, fragments", [
    ({"KERAS_BACKEND": "theano"}, ["Keras refuses KERAS_BACKEND", "theano"]),
    ({"KERAS_BACKEND": "numpy"},  # Keras's numpy backend imports JAX
     ["numpy cannot train", "tensorflow, jax, torch"] if installed("jax") else ["jax is not installed", "requirements-jax"]),
    ({"KERAS_BACKEND": "openvino"}, ["openvino", "requirements-torch.txt"]),
    ({"floatx": "bfloat16"}, ["Keras refuses", "keras.json", "floatx=bfloat16"]),
    ([], ["Keras refuses", "keras.json"]),
])
def test_settings_keras_refuses_are_one_line(setting, fragments, tmp_path):
    env = {"KERAS_HOME": str(tmp_path)}
    if isinstance(setting, dict) and "KERAS_BACKEND" in setting:
        env.update(setting)
    else:
        (tmp_path / "keras.json").write_text(json.dumps(setting))
    assert_one_line_error(run_example("gpu-test", env=env), *fragments, code=1)


def test_help_bad_flags_tensorflows_own_log_setting_and_a_closed_pipe(run_once):
    assert "--require-gpu" in assert_help_is_instant("gpu-test")
    assert_refused_at_once("gpu-test", "--backend", "theano", fragment="--backend")
    verbose = run_example("gpu-test", env={"TF_CPP_MIN_LOG_LEVEL": "0"})  # the reader's own setting is kept
    assert verbose.returncode == 0 and verbose.stdout == run_once("gpu-test", backend="tensorflow").stdout
    assert len(verbose.stderr.splitlines()) > len(run_once("gpu-test", backend="tensorflow").stderr.splitlines())
    assert_quiet_when_cut_short("gpu-test")
