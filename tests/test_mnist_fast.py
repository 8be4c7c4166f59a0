"""mnist_fast/train.py: a short run (--smoke) on the sample writes a float32 pair the digit reader
reads; the precision it trains in is bfloat16 only where the hardware and the backend use it."""
import importlib.util
import json
import re

import pytest

from conftest import MNIST, ROOT, assert_ok, copy_of, run

SMOKE_BOUND = 0.75  # chance is 0.10; a working smoke run reaches about 0.9 on the sample


def load_train(folder=ROOT / "mnist_fast"):
    spec = importlib.util.spec_from_file_location("train", folder / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_run_prints_its_lines_and_writes_a_pair_the_reader_reads(shared_run, backend):
    checkout, result = shared_run("mnist_fast", "--smoke", "--data", MNIST, script="train.py",
                                  backend=backend, also=["mnist_predict"])
    out, folder = assert_ok(result).stdout, checkout / "mnist_fast"
    train = load_train()  # bfloat16 where this CPU has the units (no GPU in the tests)
    policy = train.precision(backend, 0, train.cpu_flags())
    assert out.startswith(f"Precision: {policy}\nEpoch 1/3\n")
    assert len(re.findall(r"^16/16 - .* - val_accuracy: [\d.]+ - val_loss: [\d.]+$",
                          out, re.M)) == 3
    accuracy = float(re.search(r"^Test accuracy: ([\d.]+)$", out, re.M)[1])
    assert accuracy > SMOKE_BOUND
    assert re.search(r"^The post's 0.9917 not reached in 3 epochs\nTrained in \d+ s "
                     r"\([\d.]+ s an epoch\)\n", out, re.M)
    assert out.endswith(f"model saved to {folder / 'model.json'} and "
                        f"{folder / 'model.weights.h5'}\n")
    assert "bfloat16" not in (folder / "model.json").read_text()
    read = run(checkout, "mnist_predict", "seven.png", "--model-dir", "../mnist_fast",
               script="predict.py", backend=backend)
    assert re.fullmatch(r"seven.png: 7 \(probability [\d.]+\)\n", assert_ok(read).stdout)


@pytest.mark.parametrize("backend, gpus, flags, onednn, expected", [
    ("tensorflow", 0, ["avx2", "avx512_bf16"], True, "mixed_bfloat16"),
    ("tensorflow", 0, ["amx_bf16"], True, "mixed_bfloat16"),
    ("torch", 0, ["amx_bf16"], True, "mixed_bfloat16"),
    ("tensorflow", 0, ["avx512_bf16"], False, "float32"),  # TF_ENABLE_ONEDNN_OPTS=0: emulated
    ("jax", 0, ["avx512_bf16", "amx_bf16"], True, "float32"),  # XLA's CPU bfloat16 is slow
    ("tensorflow", 1, ["avx512_bf16"], True, "float32"),  # a GPU trains: TF32
    ("torch", 2, ["amx_bf16"], True, "float32"),
    ("tensorflow", 0, ["avx2", "fma", "avx512f"], True, "float32"),  # no bfloat16 units
    ("torch", 0, [], True, "float32"),
])
def test_precision_is_bfloat16_only_where_the_training_device_has_units_for_it(
        backend, gpus, flags, onednn, expected):
    assert load_train().precision(backend, gpus, flags, onednn) == expected


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras's, in this process only
def test_a_pair_trained_in_bfloat16_is_saved_in_float32(tmp_path, monkeypatch, capsys):
    pytest.importorskip("tensorflow")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    keras = pytest.importorskip("keras")
    train = load_train(copy_of(tmp_path, "mnist_fast") / "mnist_fast")
    monkeypatch.setattr(train, "cpu_flags", lambda: ["avx512_bf16"])  # as on a CPU with the units
    monkeypatch.setattr("sys.argv", ["train.py", "--smoke", "--epochs", "1", "--data", str(MNIST)])
    keras.config.set_max_steps_per_epoch(2)  # bfloat16 without the units is slow: two steps
    try:
        train.main()
    finally:
        keras.config.set_max_steps_per_epoch(None)
    assert capsys.readouterr().out.startswith("Precision: mixed_bfloat16\n")
    saved = (tmp_path / "mnist_fast" / "model.json").read_text()
    assert "bfloat16" not in saved and json.loads(saved)["class_name"] == "Sequential"
