"""TensorFlow backend and GPUs: list the devices Keras can train on.

The post printed `device_lib.list_local_devices()` from a private TensorFlow module;
this prints the same blocks from public APIs, for the Keras backend in use
(TensorFlow by default, as in the post; JAX or PyTorch with --backend).

    cd gpu-test && python main.py [--backend jax] [--require-gpu] [--verbose]
"""
import argparse
import os
import signal
import sys
import threading
import time

BACKENDS = ("tensorflow", "jax", "torch")


def main():
    args = parse_args()
    backend = import_keras(args)  # beyond the post: --backend, and no C++ log noise

    # the post: print(device_lib.list_local_devices()), from public APIs for each backend
    devices, about = {"tensorflow": tensorflow_devices, "jax": jax_devices, "torch": torch_devices}[backend]()
    for device in devices:
        print_block(device)

    for key, value in about.items():  # beyond the post: versions, and the device Keras will use
        print(f"{key}: {value}")
    gpus = [d["name"] for d in devices if d["device_type"] == "GPU"]
    if gpus:
        print(f"Keras will train on: GPU ({len(gpus)} visible: {', '.join(gpus)})")
    else:
        print("Keras will train on: CPU (no GPU visible)")
        if args.require_gpu:
            sys.exit(f"error: --require-gpu: no GPU is visible to {backend}; on Linux with an NVIDIA GPU, "
                     "pip install 'tensorflow[and-cuda]' (or jax[cuda12], or PyTorch's CUDA build) and check nvidia-smi")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend (default: KERAS_BACKEND, else ~/.keras/keras.json, else tensorflow)")
    parser.add_argument("--require-gpu", action="store_true", help="exit 1 when no GPU is visible")
    parser.add_argument("--verbose", action="store_true", help="show the backend's own C++ log lines")
    return parser.parse_args()


def import_keras(args):
    """Import Keras on --backend (else as KERAS_BACKEND or keras.json say), quiet unless --verbose."""
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    if not args.verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read only when TensorFlow is imported
    sys.stderr.flush()
    stderr, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    if not args.verbose:
        os.dup2(devnull, 2)  # TensorFlow prints its first C++ log lines before that level applies
    try:
        import keras
        backend = keras.backend.backend()
    except ModuleNotFoundError as error:
        name = (error.name or "keras").split(".")[0]
        extra = f"-{name}" if name in ("jax", "torch") else ""
        sys.exit(f"error: {name!r} is not installed (Keras needs it): pip install -r requirements{extra}.txt")
    except ValueError as error:  # "Unable to import backend : theano"
        sys.exit(f"error: unknown Keras backend {str(error).split(': ')[-1]!r}: use one of {', '.join(BACKENDS)}")
    finally:
        os.dup2(stderr, 2)
        os.close(stderr)
        os.close(devnull)
    print(f"Keras backend: {backend}\n")
    return backend


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


def run_with_clean_exits(main):
    """Run main(): Ctrl-C, a closed pipe or a full disk end in one line and the shell's exit code.

    Python raises KeyboardInterrupt in whatever code is running, and a library can swallow it (in a
    gc callback: JAX has one) or turn it into another error (TensorFlow tracing a function). So Ctrl-C
    is remembered, never shows a traceback, and is pressed again each second until main() is left.
    """
    pressed = threading.Event()

    def on_ctrl_c(signum, frame):
        if not pressed.is_set():
            pressed.set()
            threading.Thread(target=press_again, daemon=True).start()
        raise KeyboardInterrupt

    def press_again():
        while True:
            time.sleep(1)
            os.kill(os.getpid(), signal.SIGINT)

    def unless_ctrl_c(unraisable, report=sys.unraisablehook):  # "Exception ignored in ...": not for Ctrl-C
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            report(unraisable)

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if started with it ignored (nohup)
        signal.signal(signal.SIGINT, on_ctrl_c)
        sys.unraisablehook = unless_ctrl_c
    try:
        main()
        error = None
    except BaseException as caught:
        error = caught
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # main() is left: Ctrl-C has done its work
    if pressed.is_set() or isinstance(error, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    if isinstance(error, BrokenPipeError):  # e.g. `python main.py | head -1`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if isinstance(error, OSError):  # e.g. a full disk
        sys.exit(f"error: {error.filename or 'output'}: {error.strerror or error}")
    if error is not None:
        raise error


if __name__ == "__main__":
    run_with_clean_exits(main)
