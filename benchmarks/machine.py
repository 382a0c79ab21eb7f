"""One thread everywhere, and a description of the machine the numbers come from.

`single_thread_environment()` must run before NumPy, torch or JAX is imported: it sets the
thread-count variables they read at import. `pin_threads()` then also limits the BLAS pools that
are already loaded (threadpoolctl, if installed) and torch's pools.
"""

from __future__ import annotations

import os
import platform
import subprocess

_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_SLOWING_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def single_thread_environment() -> None:
    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"
    xla = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = (
        f"{xla} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1".strip()
    )
    os.environ.setdefault("JAX_PLATFORMS", "cpu")


def pin_threads(peers: list[str]):
    """Limit every loaded thread pool to one thread; returns the threadpoolctl limiter (keep it
    alive), or None when threadpoolctl is not installed."""
    if "torch" in peers:
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=1)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_pools() -> list[str]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed: BLAS kernel unknown (threads pinned by environment)"]
    found = []
    for pool in threadpool_info():
        where = os.path.basename(os.path.dirname(pool["filepath"]))
        kernel = pool.get("architecture") or "?"
        found.append(
            f"{pool['internal_api']} {pool.get('version')} kernel {kernel} "
            f"({pool['user_api']}, {pool['num_threads']} thread(s), from {where})"
        )
    return found


def revision(package) -> str:
    """The git commit of the package's checkout, and whether its files differ from it."""
    folder = os.path.dirname(package.__file__)
    try:
        commit = subprocess.run(
            ["git", "-C", folder, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", folder, "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "not a git checkout"
    if not commit:
        return "not a git checkout"
    return f"commit {commit}" + (" with uncommitted changes" if changed else "")


def load() -> float:
    """The one-minute load average: above zero, other processes competed for the cores."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def describe(versions: dict[str, str]) -> list[str]:
    import numpy as np

    import srcgrad

    lines = [
        f"CPU: {cpu_model()} ({os.cpu_count()} logical cores, load average {load():.2f})",
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"srcgrad {srcgrad.__version__} ({revision(srcgrad)})",
        "peers: " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "none installed"),
    ]
    lines += [f"BLAS: {pool}" for pool in blas_pools()]
    slowing = [f"{n}={os.environ[n]}" for n in _SLOWING_VARIABLES if n in os.environ]
    if slowing:
        lines.append("WARNING: " + " ".join(slowing) + " set: NumPy runs slower than it can")
    return lines
