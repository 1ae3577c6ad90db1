"""Shared helpers of the benchmarks: timing and JSON results."""

from __future__ import annotations

import ctypes
import json
import platform
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_best_seconds(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1
                             ) -> dict[str, float]:
    """Fastest wall time of each ``fns[name]()`` over ``repeats`` rounds that call every function once, in turn,
    after ``warmup`` untimed rounds: a burst of load from other jobs slows one round of all of them, not all
    repeats of one, so ratios between them stay fair on a shared machine."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for round_ in range(warmup + repeats):
        for name, fn in fns.items():
            _synchronize()
            start = time.perf_counter()
            fn()
            _synchronize()
            if round_ >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


def _synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _proc_status_kib(field: str) -> int:
    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def peak_memory_mib(fn: Callable[[], object], device: str) -> float:
    """Peak memory that ``fn()`` adds, in MiB: CUDA memory allocated (``torch.cuda.max_memory_allocated``)
    on a GPU; on CPU the process's resident-set high-water mark (VmHWM, reset through
    ``/proc/self/clear_refs``) above its resident size before the call, after glibc's ``malloc_trim`` has
    returned freed memory to the system (Linux with glibc only)."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / 2**20
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    Path("/proc/self/clear_refs").write_text("5")
    before = _proc_status_kib("VmRSS")
    fn()
    return (_proc_status_kib("VmHWM") - before) / 1024


def machine() -> dict:
    """What the numbers were measured on."""
    return {
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }


def write_result(name: str, result: dict, quiet: bool = False) -> Path:
    """Write ``result`` to ``benchmarks/results/<name>.json`` (and print it unless ``quiet``)."""
    result = {"benchmark": name, "machine": machine(), **result}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    if not quiet:
        print(json.dumps(result, indent=2))
    return path
