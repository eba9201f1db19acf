"""The `stance` command: each subcommand is a thin wrapper over a library function."""
from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path

import click

from stance.config import ConfigError, load_config

EXIT_CODES = """Exit codes: 0 success; 3 success, but some records were rejected (see the rejects
table); 1 failure (nothing from this run was loaded); 2 usage error; 75 another run
is already working on this warehouse (nothing was touched)."""


class Context:
    def __init__(self, config_path):
        try:
            self.config = load_config(config_path)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None

    def db(self, value: str | None) -> str:
        return value or self.config.db

    def settings(self, **overrides):
        from etl.pipeline import Settings

        cfg = self.config
        values = {"model": cfg.model, "taxonomy": cfg.taxonomy, "aliases": cfg.aliases,
                  "label_models": cfg.label_models, "embed_backend": cfg.embed_backend, "data_path": cfg.data_path}
        values.update({k: v for k, v in overrides.items() if v})
        return Settings(**values)

    def engine(self, **overrides):
        """Engine options: command line over stance.toml's `engine` and [ray] table."""
        from etl.engines import EngineOptions

        ray = self.config.ray
        values = {"name": self.config.engine, "ray_address": ray.get("address"), "workers": ray.get("workers"),
                  "batch_size": ray.get("batch_size"), "cpus_per_worker": ray.get("cpus_per_worker"),
                  "gpus_per_worker": ray.get("gpus_per_worker")}
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return EngineOptions(**{k: v for k, v in values.items() if v is not None})
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="stance.toml to read settings from.")
@click.option("-v", "--verbose", is_flag=True, help="Log every document loaded (with --engine ray, Ray's own log too).")
@click.version_option(package_name="stance")
@click.pass_context
def cli(ctx, config_path, verbose):
    """Who said what about immigration, elections and regulation, with what stance."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("stance").setLevel(logging.INFO)
    ctx.obj = Context(config_path)


db_option = click.option("--db", help="Warehouse: a folder (created if new), or a DuckLake location such as "
                         "ducklake:sqlite:/srv/catalog.sqlite (default: from config, else stance.lake).")
data_path_option = click.option("--data-path", help="Where a new DuckLake location keeps its Parquet files "
                                "(a folder, or s3://bucket/prefix/); stored in its catalog.")
model_option = click.option("--model", help="sentence-transformers model name or path (default: multilingual-e5-small, packaged).")


@cli.command(epilog=EXIT_CODES)
@db_option
@data_path_option
@model_option
@click.option("--taxonomy", type=click.Path(exists=True, dir_okay=False), help="Topic taxonomy YAML.")
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False), help="Speaker alias YAML, merged on the bundled one.")
@click.option("--labels", "label_models", type=click.Path(exists=True, file_okay=False), help="Label models from `stance train`.")
@click.option("--inbox", type=click.Path(file_okay=False), help="Load new files from this folder, then move each to done/ or failed/.")
@click.option("--engine", type=click.Choice(["local", "ray"]), help="Where to segment, embed and label: this process (default) or a Ray cluster.")
@click.option("--ray-address", help="Ray cluster to join (host:port, ray://host:10001, auto); default: $RAY_ADDRESS, else a local Ray instance.")
@click.option("--workers", type=int, help="Ray workers, each holding the models (default: as many as the cluster's CPUs, or GPUs, allow).")
@click.option("--batch-size", type=int, help="Documents per Ray batch (default 8).")
@click.option("--cpus-per-worker", type=float, help="CPUs each Ray worker declares and uses (default 1).")
@click.option("--gpus-per-worker", type=float, help="GPUs each Ray worker declares (default: 1 where the cluster has GPUs).")
@click.argument("inputs", nargs=-1, type=click.Path())
@click.pass_obj
def etl(obj: Context, db, data_path, model, taxonomy, aliases, label_models, inbox, engine, ray_address, workers,
        batch_size, cpus_per_worker, gpus_per_worker, inputs):
    """Load transcripts and news (files or folders) into the warehouse."""
    from etl.engines import EngineUnavailable, check_available
    from etl.pipeline import EXIT_RUNNING, EXIT_USAGE, run_etl
    from warehouse.store import AlreadyRunning

    options = obj.engine(name=engine, ray_address=ray_address, workers=workers, batch_size=batch_size,
                         cpus_per_worker=cpus_per_worker, gpus_per_worker=gpus_per_worker)
    try:
        check_available(options)
    except EngineUnavailable as exc:
        click.echo(f"stance etl: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    files = _inbox_files(Path(inbox)) if inbox else list(inputs)
    if not files:
        raise click.UsageError("nothing to load: give INPUT files/folders or --inbox DIR")
    try:
        summary = run_etl(obj.db(db), files, obj.settings(model=model, taxonomy=taxonomy, aliases=aliases,
                                                          label_models=label_models, data_path=data_path), options)
    except AlreadyRunning as exc:
        click.echo(f"stance etl: {exc}", err=True)
        sys.exit(EXIT_RUNNING)
    for reject in summary.rejects:
        click.echo(f"rejected: {reject}", err=True)
    if summary.error:
        click.echo(f"stance etl: failed: {summary.error}", err=True)
    if inbox:
        _file_away(Path(inbox), files, summary)
    click.echo(summary.line())
    sys.exit(summary.exit_code)


def _inbox_files(inbox: Path) -> list[str]:
    inbox.mkdir(parents=True, exist_ok=True)
    return sorted(str(p) for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))


def _file_away(inbox: Path, files: list[str], summary) -> None:
    """Files with any rejected record go to failed/ for a person to look at; the rest to done/."""
    bad = {Path(r.file).resolve() for r in summary.rejects}
    for name in files:
        path = Path(name)
        dest = inbox / ("failed" if summary.status == "failed" or path.resolve() in bad else "done")
        dest.mkdir(exist_ok=True)
        shutil.move(str(path), dest / path.name)


@cli.command()
@db_option
@click.option("--host", help="Address to bind (default 127.0.0.1; others need authentication configured).")
@click.option("--port", type=int, help="Port (default 8050).")
@click.pass_obj
def dashboard(obj: Context, db, host, port):
    """Serve the dashboard for a warehouse."""
    from dashboard.app import serve

    conf = obj.config.dashboard
    try:
        serve(obj.db(db), host=host or conf.get("host", "127.0.0.1"), port=port or int(conf.get("port", 8050)))
    except (FileNotFoundError, PermissionError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option("--db", default="stance-demo.lake", show_default=True, help="Where to build the demo warehouse.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only build the warehouse.")
@click.pass_obj
def demo(obj: Context, db, host, port, no_serve):
    """Build a warehouse from the bundled (fictional) demo corpus and serve the dashboard."""
    from stance.demo_corpus import build_demo

    summary = build_demo(db, obj.settings())
    click.echo(summary.line())
    if summary.status == "failed":
        raise click.ClickException(summary.error or "demo build failed")
    if not no_serve:
        from dashboard.app import serve

        click.echo(f"Dashboard: http://{host}:{port}/  (Ctrl+C to stop)")
        serve(db, host=host, port=port)


@cli.command()
@db_option
@click.pass_obj
def check(obj: Context, db):
    """Integrity check: no orphan rows, counts consistent. Exit 1 on any problem."""
    from warehouse.check import check_warehouse

    problems = check_warehouse(obj.db(db))
    for p in problems:
        click.echo(f"problem: {p}", err=True)
    click.echo("ok" if not problems else f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


@cli.command()
@db_option
@click.option("--refit", is_flag=True, help="Fit a new layout (old segments move) instead of placing new ones.")
@click.pass_obj
def layout(obj: Context, db, refit):
    """Compute the map's layout: place new segments, or refit (the ETL runs this itself)."""
    from etl.layout import update_warehouse
    from warehouse.store import AlreadyRunning, etl_lock, location

    path = obj.db(db)
    if not location(path).exists():
        raise click.ClickException(f"{path}: no such warehouse (run `stance etl --db {path} INPUT...` first)")
    try:
        with etl_lock(path):
            summary = update_warehouse(path, refit=refit)
    except AlreadyRunning as exc:
        click.echo(f"stance layout: {exc}", err=True)
        sys.exit(75)
    click.echo(summary.line())


@cli.command()
@db_option
@click.argument("query")
@click.option("--k", "limit", default=10, show_default=True, type=click.IntRange(1, 1000), help="Number of hits.")
@click.option("--mode", type=click.Choice(["meaning", "words", "both"]), default="meaning", show_default=True,
              help="By meaning (any language), by the words, or by meaning among segments with the words.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
@click.pass_obj
def search(obj: Context, db, query, limit, mode, as_json):
    """Search the warehouse as the dashboard's Search page does (every speaker, narration included)."""
    from dashboard.search import exact_search
    from warehouse import queries as q
    from warehouse.store import Reader

    filters = q.Filters(include_moderators=True, include_narration=True)
    try:
        hits = exact_search(Reader(obj.db(db)), filters, query, mode, limit)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    for hit in hits:
        row = {"speaker": hit.get("speaker"), "text": hit.get("text"), "language": hit.get("language"),
               "topic": hit.get("topic"), "stance": hit.get("stance"),
               "score": None if hit.get("score") is None else round(float(hit["score"]), 4),
               "document": hit.get("document_id"), "segment_id": hit.get("segment_id"),
               "published": str(hit["published"]) if hit.get("published") else None}
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else
                   f"{row['score'] if row['score'] is not None else '-':>7}  {row['speaker'] or '(narration)'}: "
                   f"{' '.join((row['text'] or '').split())[:160]}  [{row['document']}]")


@cli.command()
@click.argument("task", type=click.Choice(["topic", "stance", "agreement"]))
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for the trained model.")
@model_option
@click.pass_obj
def train(obj: Context, task, csv_file, out, model):
    """Train a TASK model from a labelled CSV (see README for columns)."""
    from etl.embed import get_embedder
    from etl.labels.training import train as train_model

    summary = _label_call(train_model, task, csv_file, out, get_embedder(model or obj.config.model, obj.config.embed_backend))
    click.echo(json.dumps(summary, indent=2, default=str))


@cli.command("eval")
@click.argument("task", type=click.Choice(["topic", "stance", "agreement"]))
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model_dir", type=click.Path(exists=True, file_okay=False), help="Model dir (default: shipped).")
@click.pass_obj
def evaluate(obj: Context, task, csv_file, model_dir):
    """Evaluate a TASK model on a labelled CSV; prints one JSON object."""
    from etl.embed import get_embedder
    from etl.labels.training import evaluate as evaluate_model

    click.echo(json.dumps(_label_call(evaluate_model, task, csv_file, model_dir, get_embedder(obj.config.model, obj.config.embed_backend))))


def _label_call(fn, *args):
    try:
        return fn(*args)
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@db_option
@click.option("--model", "label_models", type=click.Path(exists=True, file_okay=False), help="Label models from `stance train`.")
@click.pass_obj
def relabel(obj: Context, db, label_models):
    """Re-label the warehouse with (new) label models, without re-embedding."""
    from etl.relabel import relabel_warehouse
    from warehouse.store import AlreadyRunning

    try:
        counts = relabel_warehouse(obj.db(db), obj.settings(label_models=label_models))
    except AlreadyRunning as exc:
        click.echo(f"stance relabel: {exc}", err=True)
        sys.exit(75)
    click.echo(json.dumps(counts))


@cli.command("export-corrections")
@db_option
@click.argument("task", type=click.Choice(["topic", "stance", "agreement"]))
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", help="CSV file (default: stdout).")
@click.pass_obj
def export_corrections(obj: Context, db, task, out):
    """Write human corrections as a training CSV for `stance train`."""
    from warehouse.corrections import export_training_csv

    n = export_training_csv(obj.db(db), task, out)
    click.echo(f"{n} rows", err=True)


@cli.command()
@db_option
@click.option("-c", "--query", help="Run this SQL, print the result and exit (default: an interactive shell).")
@click.option("--format", "fmt", type=click.Choice(["duckbox", "box", "csv", "json", "jsonlines", "markdown", "line", "list"]),
              help="Output format (default: DuckDB's tables).")
@click.pass_obj
def sql(obj: Context, db, query, fmt):
    """DuckDB's shell with the warehouse attached read-only (the views in scope)."""
    import os

    from warehouse.shell import shell_argv

    argv = shell_argv(obj.db(db), query, fmt)
    sys.stdout.flush()
    os.execv(argv[0], argv)


@cli.command()
@db_option
@click.option("--keep-hours", type=float, default=1.0, show_default=True,
              help="Keep snapshots (time travel) this recent; older ones are expired and their files deleted.")
@click.pass_obj
def compact(obj: Context, db, keep_hours):
    """Merge small files, expire old snapshots, delete unused files (exit 75 while a run works)."""
    import datetime as dt

    from warehouse.maintenance import compact as compact_warehouse
    from warehouse.store import AlreadyRunning

    try:
        result = compact_warehouse(obj.db(db), keep=dt.timedelta(hours=keep_hours))
    except AlreadyRunning as exc:
        click.echo(f"stance compact: {exc}", err=True)
        sys.exit(75)
    click.echo(result.line())


@cli.command()
@click.option("--from", "src", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The single-file warehouse (a .duckdb file from an earlier release).")
@db_option
@data_path_option
@click.pass_obj
def migrate(obj: Context, src, db, data_path):
    """Move a single-file warehouse into a new warehouse folder or DuckLake location (the file is kept)."""
    from warehouse.single_file import import_single_file

    try:
        counts = import_single_file(src, obj.db(db), data_path or obj.config.data_path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(counts))


def main() -> None:
    try:
        cli(prog_name="stance")
    except Exception as exc:
        from warehouse.location import SingleFileWarehouse

        if not isinstance(exc, (SingleFileWarehouse, FileNotFoundError)):
            raise
        click.echo(f"stance: {exc}", err=True)
        sys.exit(2)
