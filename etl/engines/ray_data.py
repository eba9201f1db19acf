"""The Ray engine: the compute as a Ray Data pipeline over a pool of model-holding actors.

    stance etl --engine ray [--ray-address ADDR] [--workers N] [--batch-size B] INPUTS

The driver plans exactly as for the local engine (read, hash, skip, resolve speakers), and
Ray is started or joined only at the first new document. The tasks go into Ray's object
store in blocks of B documents; `map_batches` runs each block through one `DocumentWorker`
of a fixed pool. A worker is a callable class that loads the embedder and the label models
once, in its own process, from the run's Settings (the models are never pickled from the
driver), and declares its CPUs and GPUs. Results stream back in task order to the driver,
the single writer, which loads them through the same code as the local engine.

Ray restarts a worker that dies and retries its batch (`max_restarts`, `max_task_retries`);
the run counts the restarts it saw and reports them on its summary line.
"""
from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import os
import pickle
import re
import sys
import warnings
from collections.abc import Iterator

import pyarrow as pa

from etl.compute import Models, Result, Task, compute_document
from etl.embed import default_backend
from etl.run_speakers import ResolverReplay
from etl.taxonomy import load_taxonomy

log = logging.getLogger("stance.etl")

TASK_RETRIES = 3  # a batch whose worker dies is run again at most this often; the run fails after that
PICKLE = 5


class RayRunError(RuntimeError):
    """The Ray pipeline failed; the message is the worker's error, on one line."""


class RayEngine:
    name = "ray"

    def __init__(self, options, settings):
        self.options = options
        # The settings travel to the workers; resolve what each process would read from its own environment.
        self.settings = dataclasses.replace(settings, embed_backend=settings.embed_backend or default_backend())
        self.started = False  # this run started Ray (and shuts it down)
        self.workers = 0
        self.pids: dict[str, set[int]] = {}  # actor id -> the processes that ran it (more than one: restarted)

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc) -> None:
        if self.started:
            import ray

            ray.shutdown()

    @property
    def restarts(self) -> int:
        return sum(len(p) - 1 for p in self.pids.values())

    def report(self) -> str:
        if not self.workers:
            return "ray: no work, not started"
        return f"ray: {self.workers} worker{'s' * (self.workers != 1)}, {self.restarts} restarted"

    def results(self, planner) -> Iterator[Result]:
        blocks = self._put_blocks(planner.tasks())
        if not blocks:
            return
        dataset, done = self._pipeline(blocks, planner.speakers), 0
        try:
            for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
                self._note_workers(batch)
                done += batch.num_rows
                log.info("ray: %d of %d documents computed", done, planner.planned)
                for i in range(batch.num_rows):
                    yield pickle.loads(batch.column("result")[i].as_py())
        except Exception as exc:  # Ray wraps the worker's error in pages of traceback
            raise RayRunError(root_cause(exc)) from exc

    def _note_workers(self, batch: pa.Table) -> None:
        for actor, pid in set(zip(batch.column("actor").to_pylist(), batch.column("pid").to_pylist())):
            pids = self.pids.setdefault(actor, set())
            if pids and pid not in pids:
                log.warning("ray: worker %s died and was restarted by Ray; its batch ran again", actor[:8])
            pids.add(pid)

    def _put_blocks(self, tasks: Iterator[Task]) -> list:
        """The tasks, B documents per block, into the object store (it spills to disk when full)."""
        blocks, pending = [], []
        for task in tasks:
            pending.append(task)
            if len(pending) == self.options.batch_size:
                blocks.append(self._put(pending))
                pending = []
        if pending:
            blocks.append(self._put(pending))
        return blocks

    def _put(self, tasks: list[Task]):
        ray = self._ray()
        return ray.put(pa.table({"seq": pa.array([t.seq for t in tasks], pa.int64()),
                                 "task": pa.array([pickle.dumps(t, PICKLE) for t in tasks], pa.large_binary())}))

    def _ray(self):
        """Ray, joined or started at the first call."""
        address = self.options.ray_address or os.environ.get("RAY_ADDRESS")
        if not address:  # a local instance with Ray's default token auth, said outright: no warning
            os.environ.setdefault("RAY_AUTH_MODE", "token")
        import ray

        if not ray.is_initialized():
            load_taxonomy(self.settings.taxonomy)  # a bad file: the local engine's one-line error, before any Ray work
            local = {} if address else {"num_cpus": self._local_cpus()}
            log.info("ray: %s", f"joining the cluster at {address}" if address else "starting a local Ray instance")
            ray.init(address=address, include_dashboard=False, log_to_driver=_verbose(),
                     logging_level=logging.WARNING if _verbose() else logging.ERROR, **local)
            self.started = True
        return ray

    def _local_cpus(self) -> int:
        """A local instance offers this machine's cores, or what --workers asks for if more."""
        wanted = (self.options.workers or 0) * self.options.cpus_per_worker
        return max(os.cpu_count() or 1, int(wanted + 0.999))

    def _pipeline(self, blocks: list, speakers):
        import ray

        gpus = self._gpus_per_worker(ray)
        self.workers = min(self._pool_size(ray, gpus), len(blocks))
        log.info("ray: %d worker(s) of %g CPU and %g GPU each, %d batches", self.workers,
                 self.options.cpus_per_worker, gpus, len(blocks))
        self._warn_if_short(ray.cluster_resources(), gpus)
        source = ray.data.from_arrow_refs(blocks)
        _configure(source.context)
        with warnings.catch_warnings():  # max_task_retries has no named map_batches parameter (yet)
            warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
            return self._map(source, speakers, gpus)

    def _map(self, source, speakers, gpus: float):
        import ray

        return source.map_batches(
            DocumentWorker,
            fn_constructor_kwargs={
                "settings": self.settings,
                "speakers": (speakers.aliases, speakers.known, speakers.learned),
                "threads": max(1, int(self.options.cpus_per_worker)),
                "version": _stance_version(),
            },
            batch_size=self.options.batch_size,  # = a block: B documents (Ray Data needs it given for GPUs)
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            num_cpus=self.options.cpus_per_worker,
            num_gpus=gpus,
            max_task_retries=TASK_RETRIES,  # Ray Data's default restarts dead workers without limit
        )

    def _warn_if_short(self, resources: dict, gpus: float) -> None:
        """A pool larger than the cluster runs short until nodes join (an autoscaler's, or none): say so."""
        for kind, each in (("CPU", self.options.cpus_per_worker), ("GPU", gpus)):
            need, have = self.workers * each, resources.get(kind, 0)
            if need > have:
                log.warning("ray: %d workers need %g %ss, the cluster has %g: fewer run until more nodes join",
                            self.workers, need, kind, have)

    def _gpus_per_worker(self, ray) -> float:
        if self.options.gpus_per_worker is not None:
            return self.options.gpus_per_worker
        return 1.0 if ray.cluster_resources().get("GPU", 0) >= 1 else 0.0

    def _pool_size(self, ray, gpus: float) -> int:
        if self.options.workers:
            return self.options.workers
        resources = ray.cluster_resources()
        if gpus:
            return max(1, int(resources.get("GPU", 0) // gpus))
        return max(1, int(resources.get("CPU", 1) // self.options.cpus_per_worker))


class DocumentWorker:
    """One Ray actor: the models, loaded once in this process, then batch after batch of tasks."""

    def __init__(self, settings, speakers: tuple, threads: int, version: str):
        import ray

        if _stance_version() != version:
            raise RuntimeError(f"this Ray node runs stance {_stance_version()}, the driver {version}: "
                               "install the same version on every node")
        device = "cuda" if ray.get_gpu_ids() else None
        self.models = Models.load(settings, threads=threads, device=device)
        self.replay = ResolverReplay(*speakers)
        self.actor = ray.get_runtime_context().get_actor_id()
        self.pid = os.getpid()

    def __call__(self, batch: pa.Table) -> pa.Table:
        results = []
        for blob in batch.column("task").to_pylist():
            task: Task = pickle.loads(blob)
            result = compute_document(self.models, self.replay.at(task.names_known), task)
            results.append(pickle.dumps(result, PICKLE))
        n = len(results)
        return pa.table({"seq": batch.column("seq"), "result": pa.array(results, pa.large_binary()),
                         "actor": pa.array([self.actor] * n, pa.string()),
                         "pid": pa.array([self.pid] * n, pa.int64())})


def _stance_version() -> str:
    try:
        return importlib.metadata.version("stance")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _configure(context) -> None:
    """This dataset's own context (a copy): results in input order; no execution plans and
    progress bars in a scheduled job's log (bars only on a terminal)."""
    context.execution_options.preserve_order = True  # the writer loads in input order
    context.enable_progress_bars = sys.stderr.isatty()
    context.print_on_execution_start = False
    # Ray Data logs a failing worker's traceback at length; the run's error line names the cause
    logging.getLogger("ray.data").setLevel(logging.WARNING if _verbose() else logging.CRITICAL)
    notes = logging.getLogger("ray.data._internal.progress")  # says once that the bars are off
    if _no_progress_note not in notes.filters:
        notes.addFilter(_no_progress_note)


def _no_progress_note(record: logging.LogRecord) -> bool:
    return "Progress bars disabled" not in record.getMessage()


def _verbose() -> bool:
    """`stance -v`: Ray's own logs and the workers' output too."""
    return logging.getLogger().isEnabledFor(logging.INFO)


_ERROR_LINE = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception)): (.+)$")
_RAY_WRAPPERS = {"UserCodeException", "SystemException", "RayTaskError", "RaySystemError", "ActorDiedError"}


def root_cause(exc: BaseException) -> str:
    """A Ray failure's cause on one line: the first `SomeError: message` line that ends a
    worker's traceback, which Ray carries as text inside its own exceptions."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        causes = [m for m in (_ERROR_LINE.match(line.strip()) for line in str(exc).splitlines())
                  if m and m.group(1) not in _RAY_WRAPPERS]
        if causes:
            return f"{causes[-1].group(1)}: {causes[-1].group(2)}"
        exc = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__
    return "a Ray worker failed (run with -v for Ray's log)"
