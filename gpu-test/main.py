"""TensorFlow backend and GPUs: the devices Keras can train on, printed in the post's format.

The post's `device_lib.list_local_devices()` is private TensorFlow now; each backend lists its
devices in public: TensorFlow's `tf.config`, JAX's `jax.devices()`, PyTorch's `torch.cuda`.
    cd gpu-test && python main.py        (KERAS_BACKEND=jax or torch: that backend's devices)
"""
import argparse
import os

argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # only --help
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow: fewer start-up log lines
import keras  # Keras 3: KERAS_BACKEND, else ~/.keras/keras.json, picks the backend

backend = keras.backend.backend()
print(f"Keras backend: {backend}")
gpus = []  # (name, memory in bytes or None, description) of each GPU the backend sees
if backend == "tensorflow":
    import tensorflow as tf
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capability = ".".join(map(str, details.get("compute_capability", ())))
        gpus.append((details.get("device_name"), None, f"compute capability: {capability or '-'}"))
elif backend == "jax":
    import jax
    for device in jax.devices():
        if device.platform != "cpu":
            memory = (device.memory_stats() or {}).get("bytes_limit")
            gpus.append((device.device_kind, memory, f"platform: {device.platform}"))
elif backend == "torch":
    import torch
    for i in range(torch.cuda.device_count()):
        capability = ".".join(map(str, torch.cuda.get_device_capability(i)))
        memory = torch.cuda.get_device_properties(i).total_memory
        gpus.append((torch.cuda.get_device_name(i), memory, f"compute capability: {capability}"))
    if torch.backends.mps.is_available():  # a Mac's GPU, through Metal
        gpus.append(("Apple GPU (MPS)", torch.mps.recommended_max_memory(), "platform: mps"))

# the CPU's memory_limit: the machine's memory (the post's 268435456 was TensorFlow's placeholder)
ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None
print('\nname: "/device:CPU:0"\ndevice_type: "CPU"' + (f"\nmemory_limit: {ram}" if ram else ""))
for i, (name, memory, description) in enumerate(gpus):
    print(f'\nname: "/device:GPU:{i}"\ndevice_type: "GPU"')
    if memory is not None:  # left out where the backend does not say it (TensorFlow's GPUs)
        print(f"memory_limit: {memory}")
    print(f'physical_device_desc: "device: {i}, name: {name}, {description}"')
