"""TensorFlow backend and GPUs: list the devices Keras can train on.

The post printed `device_lib.list_local_devices()`, a private TensorFlow module.
This prints the same blocks from public APIs, for the chosen Keras backend
(TensorFlow by default, as in the post; JAX or PyTorch with --backend).

    cd gpu-test && python main.py [--backend jax] [--require-gpu] [--verbose]
"""
import argparse
import contextlib
import importlib.util
import os
import sys

BACKENDS = ("tensorflow", "jax", "torch")  # each one also the name of its package


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse_args():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", help="Keras backend: tensorflow (default), jax or torch")
    parser.add_argument("--require-gpu", action="store_true",
                        help="exit 1 when no GPU is visible")
    parser.add_argument("--verbose", action="store_true",
                        help="show the backend's own C++ log lines")
    return parser.parse_args()


def choose_backend(name):
    """Set KERAS_BACKEND before anything imports Keras; fail in one line."""
    name = name or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if name not in BACKENDS:
        sys.exit(f"error: unknown Keras backend {name!r}: use tensorflow, jax or torch "
                 "(pip install -r requirements-jax.txt or requirements-torch.txt adds the others)")
    if importlib.util.find_spec(name) is None:
        extra = "" if name == "tensorflow" else f"-{name}"
        sys.exit(f"error: Keras backend {name!r} is not installed: pip install -r requirements{extra}.txt")
    os.environ["KERAS_BACKEND"] = name
    return name


@contextlib.contextmanager
def quiet_stderr(quiet=True):
    """Hide the C++ log lines TensorFlow prints while it is imported.

    TF_CPP_MIN_LOG_LEVEL silences them only once TensorFlow's logging is set up;
    the first few (oneDNN, CUDA drivers) come before that, straight to fd 2.
    """
    if not quiet:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def ram_bytes():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def tensorflow_devices():
    import tensorflow as tf

    devices = []
    for kind in ("CPU", "GPU"):
        for index, device in enumerate(tf.config.list_physical_devices(kind)):
            block = {"name": f"/device:{kind}:{index}", "device_type": kind}
            if kind == "CPU":
                block["memory_limit"] = ram_bytes()
            else:
                details = tf.config.experimental.get_device_details(device)
                capability = ".".join(map(str, details.get("compute_capability", ("?",))))
                block["physical_device_desc"] = (
                    f"device: {index}, name: {details.get('device_name', 'unknown')}, "
                    f"compute capability: {capability}")
            devices.append(block)
    about = {"TensorFlow version": tf.__version__,
             "Built with CUDA": tf.test.is_built_with_cuda()}
    return devices, about


def jax_devices():
    import jax

    devices = [{"name": f"/device:CPU:{d.id}", "device_type": "CPU", "memory_limit": ram_bytes()}
               for d in jax.devices("cpu")]
    try:
        accelerators = jax.devices("gpu")
    except RuntimeError:  # no GPU platform in this jaxlib
        accelerators = []
    for index, device in enumerate(accelerators):
        stats = device.memory_stats() or {}
        capability = getattr(device, "compute_capability", "?")
        devices.append({"name": f"/device:GPU:{index}", "device_type": "GPU",
                        "memory_limit": stats.get("bytes_limit"),
                        "physical_device_desc": f"device: {index}, name: {device.device_kind}, "
                                                f"compute capability: {capability}"})
    about = {"JAX version": jax.__version__,
             "Built with CUDA": any(d.platform == "gpu" for d in accelerators)}
    return devices, about


def torch_devices():
    import torch

    devices = [{"name": "/device:CPU:0", "device_type": "CPU", "memory_limit": ram_bytes()}]
    for index in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
        props = torch.cuda.get_device_properties(index)
        devices.append({"name": f"/device:GPU:{index}", "device_type": "GPU",
                        "memory_limit": props.total_memory,
                        "physical_device_desc": f"device: {index}, name: {props.name}, "
                                                f"compute capability: {props.major}.{props.minor}"})
    about = {"PyTorch version": torch.__version__,
             "Built with CUDA": torch.version.cuda is not None}
    return devices, about


def print_block(device):
    # The post's format: one `key: value` line each, strings quoted, a blank line after.
    for key, value in device.items():
        if value is None:
            continue
        print(f'{key}: "{value}"' if isinstance(value, str) else f"{key}: {value}")
    print()


def main():
    args = parse_args()
    if not args.verbose:
        # Must be set before TensorFlow (or JAX's XLA) is imported to have any effect.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    backend = choose_backend(args.backend)
    list_devices = {"tensorflow": tensorflow_devices, "jax": jax_devices,
                    "torch": torch_devices}[backend]
    with quiet_stderr(not args.verbose):
        devices, about = list_devices()

    print(f"Keras backend: {backend}\n")
    for device in devices:
        print_block(device)
    for key, value in about.items():
        print(f"{key}: {value}")
    gpus = [d["name"] for d in devices if d["device_type"] == "GPU"]
    if gpus:
        print(f"Keras will train on: GPU ({len(gpus)} visible: {', '.join(gpus)})")
    else:
        print("Keras will train on: CPU (no GPU visible)")
        if args.require_gpu:
            print(f"error: --require-gpu: no GPU is visible to {backend}; "
                  "on Linux with an NVIDIA GPU, pip install 'tensorflow[and-cuda]' "
                  "and check nvidia-smi", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
