"""TensorFlow backend and GPUs: list the devices Keras can train on, in the post's format.

The post printed `device_lib.list_local_devices()`, from a private TensorFlow module; this
prints the same blocks from each backend's public API: TensorFlow's by default, as in the
post, or JAX's or PyTorch's with --backend. NVIDIA GPUs, and Apple's (Metal, MPS) on a Mac.

    cd gpu-test && python main.py [--backend jax] [--require-gpu] [--verbose]
"""
import argparse
import os
import signal
import sys
from pathlib import Path

KERAS_JSON = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"), "keras.json")
BACKENDS = ("tensorflow", "jax", "torch")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    parser.add_argument("--require-gpu", action="store_true", help="exit 1 when no GPU is visible")
    parser.add_argument("--verbose", action="store_true", help="all of TensorFlow's C++ log lines (some show anyway)")
    args = parser.parse_args()
    if args.verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    keras = import_keras(args.backend)  # beyond the post: --backend, quietly

    # the post: print(device_lib.list_local_devices()), from each backend's public API
    backend = keras.backend.backend()
    devices, version = {"tensorflow": tensorflow_devices, "jax": jax_devices, "torch": torch_devices}[backend]()
    for device in devices:
        print("\n".join(f'{key}: "{value}"' if isinstance(value, str) else f"{key}: {value}"
                        for key, value in device.items() if value is not None), end="\n\n")

    print(version)  # beyond the post: the version, and the device Keras will train on
    gpus = [device["name"] for device in devices if device["device_type"] == "GPU"]
    print(f"Keras will train on: GPU ({', '.join(gpus)})" if gpus else "Keras will train on: CPU (no GPU visible)")
    if args.require_gpu and not gpus:
        sys.exit(f"error: --require-gpu: {backend} sees no GPU; see the README's GPU install lines, "
                 "and nvidia-smi on Linux")


def cpu(name="/device:CPU:0"):
    """The CPU's block; its memory_limit is the machine's RAM (the post's 268435456 was a placeholder)."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf: no memory line
        memory = None
    return {"name": name, "device_type": "CPU", "memory_limit": memory}


def gpu(index, memory, description):
    return {"name": f"/device:GPU:{index}", "device_type": "GPU", "memory_limit": memory,
            "physical_device_desc": f"device: {index}, {description}"}


def tensorflow_devices():
    import tensorflow as tf

    gpus = []
    for index, device in enumerate(tf.config.list_physical_devices("GPU")):  # NVIDIA, or Metal (tensorflow-metal)
        details = tf.config.experimental.get_device_details(device)
        capability = ".".join(map(str, details.get("compute_capability", ()))) or "none (not CUDA)"
        gpus.append(gpu(index, None, f"name: {details.get('device_name', 'unknown')}, compute capability: {capability}"))
    return [cpu()] + gpus, f"TensorFlow version: {tf.__version__} (built with CUDA: {tf.test.is_built_with_cuda()})"


def jax_devices():
    import jax

    gpus = [gpu(index, (device.memory_stats() or {}).get("bytes_limit"),  # CUDA, or Metal (jax-metal)
                f"name: {device.device_kind}, platform: {device.platform}")
            for index, device in enumerate(d for d in jax.devices() if d.platform != "cpu")]
    return [cpu(f"/device:CPU:{d.id}") for d in jax.devices("cpu")] + gpus, f"JAX version: {jax.__version__}"


def torch_devices():
    import torch

    gpus = [gpu(index, torch.cuda.get_device_properties(index).total_memory,
                f"name: {torch.cuda.get_device_name(index)}, compute capability: "
                f"{'.'.join(map(str, torch.cuda.get_device_capability(index)))}")
            for index in range(torch.cuda.device_count() if torch.cuda.is_available() else 0)]
    if not gpus and torch.backends.mps.is_available():  # Apple silicon
        gpus = [gpu(0, torch.mps.recommended_max_memory(), "name: Apple GPU (MPS)")]
    return [cpu()] + gpus, f"PyTorch version: {torch.__version__} (built with CUDA: {torch.version.cuda is not None})"


def import_keras(backend):
    """Keras on this backend (else KERAS_BACKEND's, else keras.json's), or one line saying why not."""
    os.environ["KERAS_BACKEND"] = backend or os.environ.get("KERAS_BACKEND", "")
    if os.environ["KERAS_BACKEND"] not in ("", *BACKENDS):  # numpy, openvino: Keras's backends that only predict
        sys.exit(f"error: KERAS_BACKEND={os.environ['KERAS_BACKEND']}: the Keras backends that train are {', '.join(BACKENDS)}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow reads it once, at import
    try:
        import keras
    except ModuleNotFoundError as error:
        name = (error.name or "keras").split(".")[0]
        sys.exit(f"error: {name} is not installed (Keras needs it): pip install -r requirements"
                 f"{'-' + name if name in ('jax', 'torch') else ''}.txt")
    except (ValueError, AttributeError) as error:  # Keras's checks of its keras.json
        sys.exit(f"error: Keras refuses {KERAS_JSON}: "
                 f"{error if isinstance(error, ValueError) else f'it must hold a JSON object ({error})'}")
    if keras.backend.backend() not in BACKENDS:
        sys.exit(f"error: {KERAS_JSON}: the Keras backends that train are {', '.join(BACKENDS)}, not {keras.backend.backend()}")
    print(f"Keras backend: {keras.backend.backend()}\n")
    return keras


def on_ctrl_c(signum, frame):
    """Ctrl-C: one line and exit 130 at once, whatever a library would make of a KeyboardInterrupt."""
    try:
        sys.stdout.flush()
    finally:
        print("interrupted", file=sys.stderr)
        os._exit(130)


if __name__ == "__main__":
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where it is ignored
        signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        sys.stdout.reconfigure(errors="backslashreplace")  # any file name prints, whatever the terminal takes
        main()
        sys.stdout.flush()
    except BrokenPipeError:  # `python main.py | head`: stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:  # a full disk, say
        sys.exit(f"error: {error}")
