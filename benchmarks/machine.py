"""What the numbers were measured on: the CPU, its generation, the software."""

import os
import platform

import tensorflow as tf

from benchmarks.results import Machine, cpu_generation
from snippets.fast import bfloat16_hardware


def machine():
    """This machine, as a Machine."""
    cpuinfo = {}
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                key, _, value = line.partition(":")
                # the first CPU's entries
                cpuinfo.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    flags = set(cpuinfo.get("flags", "").split())
    family = cpuinfo.get("cpu family", "?")
    return Machine(
        cpu=cpuinfo.get("model name")
        or platform.processor()
        or platform.machine(),
        cpu_family_and_model=f"{family}/{cpuinfo.get('model', '?')}",
        logical_cpus=os.cpu_count(),
        avx512f="avx512f" in flags,
        avx512_bf16="avx512_bf16" in flags,
        amx="amx_tile" in flags,
        bfloat16_hardware=bfloat16_hardware(),
        tensorflow=tf.__version__,
        keras=tf.keras.__version__,
        python=platform.python_version(),
        os=platform.platform(),
        load_average_at_start=[round(x, 2) for x in os.getloadavg()],
        generation=cpu_generation(flags),
    )


def say(message):
    print(message, flush=True)
