"""TensorFlow backend and GPUs: the devices Keras can train on, in the post's format.

The post's `device_lib` is private now; the blocks come from each backend's public API.
    cd gpu-test && python main.py [--backend jax] [--require-gpu]
"""
import argparse
import os
import signal
import sys

BACKENDS = ("tensorflow", "jax", "torch")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    parser.add_argument("--require-gpu", action="store_true", help="exit 1 when no GPU is visible")
    args = parser.parse_args()
    keras = import_keras(args.backend)  # beyond the post: --backend, quietly

    # the post: print(device_lib.list_local_devices()), from each backend's public API
    backend = keras.backend.backend()
    devices, version = {"tensorflow": tensorflow_devices, "jax": jax_devices, "torch": torch_devices}[backend]()
    for device in devices:
        print("", *(f'{key}: "{value}"' if isinstance(value, str) else f"{key}: {value}"
                    for key, value in device.items() if value is not None), sep="\n")

    print("", version, sep="\n")  # beyond the post: the version, and the device Keras will train on
    gpus = [device["name"] for device in devices if device["device_type"] == "GPU"]
    print(f"Keras will train on: GPU ({', '.join(gpus)})" if gpus else "Keras will train on: CPU (no GPU visible)")
    if args.require_gpu and not gpus:
        sys.exit(f"error: --require-gpu: {backend} sees no GPU; see the README's GPU install lines, and nvidia-smi")


def block(kind, index, memory, description=None):
    """A device in the post's format; a CPU's memory_limit is the machine's RAM in bytes (none on Windows)."""
    if kind == "CPU" and hasattr(os, "sysconf"):
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"name": f"/device:{kind}:{index}", "device_type": kind, "memory_limit": memory,
            "physical_device_desc": description and f"device: {index}, {description}"}


def tensorflow_devices():
    import tensorflow as tf
    gpus = [tf.config.experimental.get_device_details(gpu) for gpu in tf.config.list_physical_devices("GPU")]
    return [block("CPU", 0, None)] + [  # NVIDIA's, or Apple's through tensorflow-metal (no compute capability)
        block("GPU", i, None, f"name: {gpu.get('device_name', 'unknown')}, compute capability: "
                              f"{'.'.join(map(str, gpu.get('compute_capability', ()))) or 'none (not CUDA)'}")
        for i, gpu in enumerate(gpus)], f"TensorFlow version: {tf.__version__} (built with CUDA: {tf.test.is_built_with_cuda()})"


def jax_devices():
    import jax
    gpus = [d for d in jax.devices() if d.platform != "cpu"]  # CUDA, or Metal (jax-metal)
    return [block("CPU", d.id, None) for d in jax.devices("cpu")] + [
        block("GPU", i, (d.memory_stats() or {}).get("bytes_limit"), f"name: {d.device_kind}, platform: {d.platform}")
        for i, d in enumerate(gpus)], f"JAX version: {jax.__version__}"


def torch_devices():
    import torch
    gpus = [block("GPU", i, torch.cuda.get_device_properties(i).total_memory, f"name: {torch.cuda.get_device_name(i)}, "
                  f"compute capability: {'.'.join(map(str, torch.cuda.get_device_capability(i)))}")
            for i in range(torch.cuda.device_count())]
    if not gpus and torch.backends.mps.is_available():  # Apple silicon
        gpus = [block("GPU", 0, torch.mps.recommended_max_memory(), "name: Apple GPU (MPS)")]
    return [block("CPU", 0, None)] + gpus, f"PyTorch version: {torch.__version__} (built with CUDA: {torch.version.cuda is not None})"


def import_keras(backend):
    """Keras on --backend, else KERAS_BACKEND, else keras.json's; or one line saying what is wrong."""
    os.environ.update({"KERAS_BACKEND": backend} if backend else {})
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow reads it once, at import
    try:
        import keras
    except ModuleNotFoundError as error:  # a backend's package
        sys.exit(f"error: {error.name.split('.')[0]} is not installed: pip install -r requirements.txt (TensorFlow), "
                 "requirements-jax.txt or requirements-torch.txt")
    except (ValueError, AttributeError) as error:  # Keras's own words on KERAS_BACKEND or keras.json
        sys.exit(f"error: Keras refuses KERAS_BACKEND or {os.environ.get('KERAS_HOME', '~/.keras')}/keras.json: {error}")
    if keras.backend.backend() not in BACKENDS:  # numpy, openvino: Keras's backends that only predict
        sys.exit(f"error: Keras backend {keras.backend.backend()} cannot train; use {', '.join(BACKENDS)}")
    print(f"Keras backend: {keras.backend.backend()}")
    return keras


if __name__ == "__main__":
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where Ctrl-C is ignored
        signal.signal(signal.SIGINT, lambda *_: (sys.stdout.flush(), print("interrupted", file=sys.stderr), os._exit(130)))
    try:
        main()
        sys.stdout.flush()
    except BrokenPipeError:  # `python main.py | head`: stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:  # a full disk, a folder that cannot be written to
        sys.exit(f"error: {error}")
