"""Where the per-document compute runs: in the ETL's own process, or on a Ray cluster.

An engine takes the driver's tasks (etl/plan.py) and yields one `etl.compute.Result` per
task, in task order; the single writer in etl/pipeline.py loads them. The engines share
the planning, the compute and the load, so they differ only in where the compute runs.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

ENGINES = ("local", "ray")
BACKENDS = ("onnx", "sentence-transformers")  # the embedder's (etl/embed.py), named here for cheap config checks
INSTALL_RAY = "pip install 'stance[ray]'"


class EngineUnavailable(RuntimeError):
    """The chosen engine cannot run here (Ray is not installed); the message says what to do."""


@dataclass
class EngineOptions:
    name: str = "local"  # "local" | "ray"
    ray_address: str | None = None  # None: $RAY_ADDRESS, else a local Ray instance started for the run
    workers: int | None = None  # Ray actors; None: as many as the cluster's CPUs (GPUs) allow
    batch_size: int = 8  # documents per Ray Data batch: the unit a worker computes and returns
    cpus_per_worker: float = 1.0
    gpus_per_worker: float | None = None  # None: 1 where the cluster has GPUs, else 0

    def __post_init__(self):
        if self.name not in ENGINES:
            raise ValueError(f"engine {self.name!r}: expected one of {', '.join(ENGINES)}")
        for key in ("workers", "batch_size"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{key} = {value!r}: expected a whole number of at least 1")
        if self.cpus_per_worker <= 0 or (self.gpus_per_worker or 0) < 0:
            raise ValueError("cpus_per_worker must be above 0 and gpus_per_worker at least 0")


def check_available(options: EngineOptions) -> None:
    """Fail at once, without importing anything heavy, if the engine cannot run here."""
    if options.name == "ray" and not _installed("ray"):
        raise EngineUnavailable(f"--engine ray needs Ray, which is not installed: {INSTALL_RAY}")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: blocked in sys.modules
        return False


def open_engine(options: EngineOptions | None, settings):
    """The engine for `options`, as a context manager whose `results(planner)` yields Results."""
    options = options or EngineOptions()
    check_available(options)
    if options.name == "ray":
        from etl.engines.ray_data import RayEngine

        return RayEngine(options, settings)
    from etl.engines.local import LocalEngine

    return LocalEngine(settings)
