"""`fagmatch recommend` and `fagmatch evaluate-recommend`. Thin: parse, call `matcher.recommend`, print.

Exit codes as for the rest of the CLI: 1 for a bad input file or constraints no course can meet
(each problem on an `error:` line), 2 for bad usage."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from matcher import clock
from matcher.catalogue_index import CourseFilters, FilterError
from matcher.course import COURSE_TYPES, FORMS, number_field
from matcher.gaps import MAX_TEAM_SIZE, GapInputError, analyse_assessment, analyse_needs, read_assessment, read_needs_survey, read_target
from matcher.json_lines import error_message
from matcher.store import CatalogueError, open_catalogue
from matcher.taxonomy import LEVELS, TaxonomyError, level_name

FILE = click.Path(dir_okay=False, path_type=Path)


class DanishNumber(click.ParamType):
    """A number as a Danish user types it (matcher.numbers): 4.500 is 4500, 7,5 is 7.5."""

    name = "number"

    def __init__(self, *, positive: bool = False, field: str = "") -> None:
        self.positive = positive
        self.field = field  # read as the course record's field of that name ("ects": 7.500 is refused, not 7500)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, (int, float)):
            number = float(value)
        else:
            try:
                number = number_field(str(value), self.field)
            except ValueError as exc:
                self.fail(str(exc), param, ctx)
        if number < 0 or (self.positive and number == 0):
            self.fail(f"{value!r} must be {'above' if self.positive else 'at least'} 0", param, ctx)
        return number


def _fail(message: str) -> None:
    for line in str(message).splitlines():
        click.echo(f"error: {line}", err=True)
    sys.exit(1)


def _split(values: tuple[str, ...]) -> list[str]:
    """Repeated options and comma-separated lists alike: --form fysisk --form online, --types diplom,akademi."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def build_filters(
    region: str | None, location: str | None, forms: tuple[str, ...], max_price: float | None,
    start_before: dt.datetime | None, max_ects: float | None, types: tuple[str, ...],
) -> CourseFilters:
    try:
        return CourseFilters(
            region=region, location=location, forms=_split(forms), max_price=max_price,
            start_before=start_before.date() if start_before else None, max_ects=max_ects, types=_split(types),
        )
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error_message(error)
            if error["loc"]:  # a field's own check: named by its option; a check across fields names them itself
                field = str(error["loc"][0])
                message = f"{_OPTIONS.get(field, '--' + field.replace('_', '-'))}: {message}"
            problems.append(message)
        raise click.UsageError("; ".join(problems)) from None


_OPTIONS = {"forms": "--form"}  # CourseFilters' fields whose option is named otherwise


@click.command("recommend")
@click.option("--query", "-q", help='The gap in words, e.g. "specialiseret viden om sygedagpengeloven".')
@click.option("--level", type=click.Choice(LEVELS), help="With --query: the level the courses should be at. It decides, over any level the words state; without it the level is read from the words.")
@click.option("--learners", type=click.IntRange(1, MAX_TEAM_SIZE), help="With --query: how many take the course together (default 1). The transfer note's steps follow it: one employee, or a team.")
@click.option("--team", type=FILE, help="A needs survey, or with --target a proficiency assessment (CSV; see `fagmatch gaps --template`).")
@click.option("--target", type=FILE, help="The target profile for a --team assessment (YAML or JSON).")
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True, help="Courses per gap.")
@click.option("--region", help="A region as matcher/data/regions.yaml names it, e.g. Midtjylland (an unknown one is answered with the list).")
@click.option("--location", help="Part of the course's place, e.g. Aarhus. Online and rekvirerbar courses always pass.")
@click.option("--form", "forms", multiple=True, help=f"Form(s): {', '.join(FORMS)}.")
@click.option("--max-price", type=DanishNumber(), help="Price ceiling in DKK, e.g. 4.500 or 4500 (courses of unknown price pass).")
@click.option("--start-before", type=click.DateTime(["%Y-%m-%d"]), help="Only courses starting before this date.")
@click.option("--max-ects", type=DanishNumber(positive=True, field="ects"), help="Study-time budget per course in ECTS, e.g. 7,5; a course that states no ECTS counts its days (7.4 hours each, 27.5 hours an ECTS point).")
@click.option("--types", multiple=True, help=f"Course type(s): {', '.join(COURSE_TYPES)}.")
@click.option("--json", "as_json", is_flag=True, help="Print the recommendation as JSON.")
@click.option("--steps", is_flag=True, help="Also print each course's steps before, during and after (30-30-40) for the transfer (--json always holds them).")
@click.option("--plan", type=FILE, help="Also write an education plan: a .csv or .md file.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), hidden=True, help="Pretend today is this date (reproducible runs).")
@click.pass_obj
def recommend(
    obj: Any, query: str | None, level: str | None, learners: int | None, team: Path | None, target: Path | None,
    top: int, region: str | None, location: str | None, forms: tuple[str, ...], max_price: float | None,
    start_before: dt.datetime | None, max_ects: float | None, types: tuple[str, ...], as_json: bool, steps: bool,
    plan: Path | None, today: dt.datetime | None,
) -> None:
    """Recommend courses for a gap in words (--query) or for a team's gaps (--team [--target]), each
    with why it was chosen and a transfer-readiness note."""
    from matcher.recommend import RecommendError, Recommender

    if bool(query) == bool(team):
        raise click.UsageError("give either --query TEXT or --team FILE")
    if target and not team:
        raise click.UsageError("--target goes with --team (a proficiency assessment)")
    if level and not query:
        raise click.UsageError("--level goes with --query (a team's gaps take their level from the team's files)")
    if learners and not query:
        raise click.UsageError("--learners goes with --query (a team's gaps count their learners from the team's files)")
    if plan is not None and plan.suffix.lower() not in (".csv", ".md"):
        raise click.UsageError("--plan must name a .csv or .md file")
    filters = build_filters(region, location, forms, max_price, start_before, max_ects, types)
    day = today.date() if today else clock.today()
    try:
        open_catalogue(obj.db, create=False).close()  # a missing catalogue is told before the model loads (seconds)
        taxonomy = obj.taxonomy()
        team_gaps = _read_team(team, target, taxonomy) if team else None
        recommender = Recommender.from_catalogue(obj.db, obj.tagger())
        if team_gaps is not None:
            kind, analysis = team_gaps
            gaps = recommender.gaps_from_team(analysis) if kind == "assessment" else recommender.gaps_from_needs(analysis)
        else:
            assert query is not None
            gaps = [recommender.gap_from_text(query, level=level, learners=learners or 1)]
        document = recommender.recommend(gaps, filters, top=top, query=query, today=day)
    except (GapInputError, TaxonomyError, CatalogueError, FilterError, RecommendError) as exc:
        _fail(str(exc))
        return
    if plan is not None:
        _write_plan(document, plan)
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(format_recommendation(document, steps=steps), nl=False)


def _read_team(team: Path, target: Path | None, taxonomy: Any) -> tuple[str, Any]:
    if target is not None:
        return "assessment", analyse_assessment(read_assessment(team, taxonomy), read_target(target, taxonomy), taxonomy)
    try:
        survey = read_needs_survey(team, taxonomy)
    except GapInputError:
        if _reads_as_assessment(team, taxonomy):
            raise GapInputError(f"{team.name} is a proficiency assessment: give the team's target profile with "
                                "--target (a template: fagmatch gaps --template target-profile)") from None
        raise
    return "survey", analyse_needs(survey, taxonomy)


def _reads_as_assessment(team: Path, taxonomy: Any) -> bool:
    try:
        read_assessment(team, taxonomy)
    except GapInputError:
        return False
    return True


def _write_plan(document: dict[str, Any], path: Path) -> None:
    from matcher.plan import PlanInputError, build_plan, plan_constraints, render_plan_csv, render_plan_markdown

    try:
        rows = build_plan(document)
    except PlanInputError as exc:
        _fail(str(exc))
        return
    text = render_plan_csv(rows) if path.suffix.lower() == ".csv" else render_plan_markdown(rows, constraints=plan_constraints(document))
    from service.cli import write_output  # late: service.cli registers this command

    write_output(path, text, "education plan")


def _money(value: float | None) -> str:
    return "price unknown" if value is None else f"DKK {value:,.0f}" if float(value).is_integer() else f"DKK {value:,.2f}"


_PARTS = {"basic": " (basic part: everyone under the required step)", "resource": " (resource-person part)"}


def format_recommendation(document: dict[str, Any], *, steps: bool = False) -> str:
    """The recommendation as text: per gap its courses, why, and the transfer note (with `steps`, also
    what to do before, during and after)."""
    lines: list[str] = []
    by_gap: dict[str, list[dict[str, Any]]] = {}
    for result in document["results"]:
        by_gap.setdefault(result["gap_id"], []).append(result)
    for gap in document["gaps"]:
        who = (f" — {', '.join(gap['employees'])}" if gap["employees"]
               else f" — {gap['learners']} learners" if gap.get("learners", 1) > 1 else "")
        part = _PARTS.get(gap.get("part") or "", "")
        goal = f", goal step {gap['target_level']}" if gap.get("target_level") else ""
        lines.append(f"Gap {gap['id']}: {gap['field_name']}, {level_name(gap['level'])}{part}{goal}{who}")
        if gap.get("text"):
            lines.append(f"  \"{gap['text']}\"")
        if gap.get("why_no_courses"):
            lines.append(f"  no course: {gap['why_no_courses']}")
        for r in by_gap.get(gap["id"], []):
            facts = [(r["course_type"] + (" (read from the text)" if r.get("course_type_inferred") else ""))
                     if r["course_type"] else "type unknown"]
            if r["ects"]:
                facts.append(f"{r['ects']:g} ECTS")
            facts += [_money(r["price_dkk"]), f"start {r['next_start'] or 'unknown'}", r["form"] or "form unknown"]
            if r["location"]:
                facts.append(r["location"])
            lines.append(f"  {r['rank']}. {r['title']} — {r['provider'] or 'provider unknown'} (score {r['score']:.2f})")
            lines.append(f"     {', '.join(facts)}")
            if r.get("also_offered"):
                places = [f"{o['location'] or 'place unknown'} (start {o['next_start'] or 'unknown'})"
                          for o in r["also_offered"]]
                lines.append(f"     also offered: {', '.join(places)}")
            for reason in r["why"]:
                if reason["kind"] == "competence":
                    lines.append(f"     matches {reason['competence_id']}: {reason['competence']}")
                    if reason.get("passage"):
                        lines.append(f"       «{reason['passage'][:160]}»")
                elif reason["kind"] == "meaning":
                    outside = "; read as outside employment services" if reason["off_domain"] else ""
                    lines.append(f"     near the gap's words by meaning alone (no framework competence of the gap or "
                                 f"word of it in the text{outside}): read it before choosing")
                elif reason["kind"] == "keywords":
                    # stems, as the web page says: the passage shows the words as the course writes them
                    lines.append(f"     the gap's words in the course text: {', '.join(reason['words'])}")
                    if reason.get("passage"):
                        lines.append(f"       «{reason['passage'][:160]}»")
            lines.append(f"     transfer {r['transfer']['score']}/100: {r['transfer']['note']}")
            if steps:
                for phase in r["transfer"]["steps"].values():
                    lines.append(f"       {phase['label']} ({phase['weight']} %):")
                    lines.extend(f"         - {action}" for action in phase["actions"])
            if r["url"]:
                lines.append(f"     {r['url']}")
        lines.append("")
    for notice in document.get("notices", []):
        lines.append(f"note: {notice}")
    return "\n".join(lines) + "\n"


@click.command("evaluate-recommend")
@click.option("--queries", "queries_path", type=FILE, required=True, help="Graded queries (JSON Lines).")
@click.option("--catalogue", "catalogue_path", type=FILE, help="Evaluate over this course feed, or file of labelled course pages such as ../shared/real-courses/labelled.jsonl (ingested and tagged in a temporary catalogue), instead of --db.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--no-gap-table", is_flag=True, help="Embed every query with the model, not with the gap table (matcher/gap_table.py).")
@click.option("--out-of-fold-tags", is_flag=True, help="With --catalogue: tag the courses the tagger was fitted on by taggers fitted without them (5 folds), as unseen courses would be.")
@click.option("--per-query", is_flag=True, help="Also each query's nDCG@5 per system and the recommender's top 5 with their grades, worst query first.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Rank as on this day (YYYY-MM-DD): which starts are still open and what date constraints mean. Default: today. A catalogue with fixed dates is scored the same whatever the calendar says.")
@click.pass_obj
def evaluate_recommend(
    obj: Any, queries_path: Path, catalogue_path: Path | None, as_json: bool, no_gap_table: bool, out_of_fold_tags: bool,
    per_query: bool, as_of: dt.datetime | None,
) -> None:
    """nDCG@5, nDCG@10, recall@10 and MRR of the recommender, plain BM25 and plain embedding similarity."""
    from matcher.catalogue_tagging import retag_out_of_fold, tag_catalogue
    from matcher.feed import FeedError
    from matcher.ingest import ingest_file
    from matcher.recommend import Recommender
    from matcher.recommend_eval import (
        QueriesError, evaluate, format_report, is_labelled_pages, labelled_pages_feed, load_queries,
        query_notes, to_json,
    )

    if out_of_fold_tags and catalogue_path is None:
        raise click.UsageError("--out-of-fold-tags re-tags a temporary catalogue: give --catalogue")
    try:
        queries = load_queries(queries_path, obj.taxonomy().field_keys)
        for note in query_notes(queries):
            click.echo(f"note: {note}", err=True)
        tagger = obj.tagger()
        with tempfile.TemporaryDirectory(prefix="fagmatch-eval-") as tmp:
            db = obj.db
            if catalogue_path is not None:
                if not catalogue_path.is_file():
                    _fail(_missing_catalogue(catalogue_path))
                db = Path(tmp) / "catalogue.duckdb"
                feed = catalogue_path
                if is_labelled_pages(catalogue_path):  # converted here; the pages never enter the repository
                    feed = Path(tmp) / "pages.jsonl"
                    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labelled_pages_feed(catalogue_path)),
                                    encoding="utf-8")
                report = ingest_file(db, feed, source="evaluation")
                if report.rejected:
                    reasons = [f"rejected {catalogue_path}:{r.line}{r.also}: {r.reason}" for r in report.rejected[:10]]
                    _fail("\n".join([*reasons, f"{catalogue_path}: {len(report.rejected)} records rejected; fix them first"]))
                # the queries' graded ids, checked before the long part (tagging)
                with open_catalogue(db, create=False) as reader:
                    _check_graded(queries_path, queries, {c.course_id for c in reader.courses()})
                click.echo(f"Tagging {catalogue_path.name} …", err=True)
                tag_catalogue(db, tagger)
                if out_of_fold_tags:
                    click.echo("Re-tagging the tagger's own training courses out of fold …", err=True)
                    count = retag_out_of_fold(db, tagger)
                    click.echo(f"  {count} courses re-tagged", err=True)
            recommender = Recommender.from_catalogue(db, tagger, **({"gap_table": None} if no_gap_table else {}))
        _check_graded(queries_path, queries, [c.course_id for c in recommender.index.courses])
        results = evaluate(recommender, queries, as_of.date() if as_of else None, per_query=per_query)
    except (QueriesError, CatalogueError, FeedError, TaxonomyError) as exc:
        _fail(str(exc))
        return
    click.echo(to_json(results) if as_json else f"{queries_path}\n" + format_report(results), nl=not as_json)


def _check_graded(queries_path: Path, queries: Any, catalogue_ids: Any) -> None:
    from matcher.recommend_eval import check_queries

    if problems := check_queries(queries, catalogue_ids):
        _fail(f"{queries_path}: graded courses not in the catalogue (the queries were graded over another one?):\n  "
              + "\n  ".join(problems[:10]) + (f"\n  and {len(problems) - 10} more queries" if len(problems) > 10 else ""))


def _missing_catalogue(path: Path) -> str:
    message = f"--catalogue {path}: no such file"
    if "shared" in path.parts or "real-courses" in path.parts:
        message += ("\nthe real course pages live outside the repository, in ../shared/real-courses/ next to the"
                    " checkout; a fresh clone does not have them (eval/README.md, 'Real courses')")
    return message
