"""`fagmatch gaps`: a team's competence gaps from a needs survey, or from a proficiency assessment
against a target profile; and the input templates. Thin: parse, call `matcher.gaps`, print.

Exit codes as for the rest of the CLI: 1 for a bad input file (each problem on an `error:` line),
2 for bad usage (e.g. --assessment without --target)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from matcher.gaps import (
    TEMPLATE_FILES,
    GapInputError,
    analyse_assessment,
    analyse_needs,
    format_needs_report,
    format_team_report,
    read_assessment,
    read_needs_survey,
    read_target,
    template_bytes,
    template_text,
)
from matcher.taxonomy import TaxonomyError, level_name

if TYPE_CHECKING:  # imported where a catalogue is read: the recommender brings scikit-learn and scipy (~1 s)
    from matcher.recommend import Gap

FILE = click.Path(dir_okay=False, path_type=Path)
_LEVEL_READ_BY = {
    "level words": "stated in the words", "words": "read from the words",
    "words and catalogue": "read from the words and the catalogue's closest courses",
}


def _fail(message: str) -> None:
    for line in message.splitlines():
        click.echo(f"error: {line}", err=True)
    sys.exit(1)


def _check_usage(
    survey: Path | None, assessment: Path | None, target: Path | None, template: str | None, output: Path | None,
    text: str | None = None,
) -> None:
    if template is not None and (survey or assessment or target):
        raise click.UsageError("--template writes a template; give it alone (with --output at most)")
    if output is not None and template is None:
        raise click.UsageError("--output is for --template; reports go to standard output")
    if survey is not None and (assessment or target):
        raise click.UsageError("give either --survey, or --assessment with --target, not both")
    if assessment is not None and target is None:
        raise click.UsageError("--assessment needs --target (the required level and specialists per field)")
    if target is not None and assessment is None:
        raise click.UsageError("--target needs --assessment (the team's levels per field)")
    if template is None and survey is None and assessment is None and not text:
        raise click.UsageError(
            "give --survey FILE, or --assessment FILE --target FILE, or --text TEXT, or --template NAME"
        )
    if text and (survey or assessment or target or template):
        raise click.UsageError("--text describes a gap in words; give it alone")


@click.command("gaps")
@click.option("--survey", type=FILE, help="A needs survey (CSV: optional role column, one column per statement id, answers 1–5).")
@click.option("--assessment", type=FILE, help="A proficiency assessment (CSV: employee, optional role, 1–5 per field key or statement id).")
@click.option("--target", type=FILE, help="The target profile for --assessment (YAML or JSON: required_level and specialists per field).")
@click.option("--text", help='A gap in words, e.g. "vi mangler specialiseret viden om sygedagpengeloven".')
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@click.option("--template", type=click.Choice(list(TEMPLATE_FILES)), help="Write an input template instead of analysing.")
@click.option("--output", "-o", type=FILE, help="With --template: write it to this file (.csv for Danish Excel, with a byte-order mark; .xlsx a workbook). Default, or -: standard output.")
@click.pass_obj
def gaps(
    obj: object, survey: Path | None, assessment: Path | None, target: Path | None, text: str | None,
    as_json: bool, template: str | None, output: Path | None,
) -> None:
    """Find a team's competence gaps: from a needs survey (share wanting development vs the national
    baseline), or from a proficiency assessment against a target profile (capacity, gap, resource
    persons, over-representation, priority, individual gaps)."""
    _check_usage(survey, assessment, target, template, output, text)
    if text is not None:
        _free_text_gap(obj, text, as_json)
        return
    try:
        taxonomy = obj.taxonomy()  # type: ignore[attr-defined]
        if template is not None:
            if output is None:
                click.echo(template_text(template, taxonomy), nl=False)
                return
            # a file is for Excel: CSV with a byte-order mark, or a workbook when it is named .xlsx
            fmt = "xlsx" if output.suffix.lower() == ".xlsx" else "csv"
            if Path(TEMPLATE_FILES.get(template, "")).suffix == ".yaml" and output.suffix.lower() not in (".yaml", ".yml"):
                # YAML in a file named .csv or .xlsx would open as a broken sheet, and the upload refuses it
                raise click.UsageError(f"the {template} template is YAML, not a sheet: name the file .yaml "
                                       f"(e.g. {output.with_suffix('.yaml').name})")
            try:
                data = template_bytes(template, taxonomy, fmt)
            except KeyError as exc:
                raise click.UsageError(str(exc.args[0])) from None
            _write_template(data, output)
            return
        if survey is not None:
            needs = analyse_needs(read_needs_survey(survey, taxonomy), taxonomy)
            payload, report, notes = needs.to_json(), format_needs_report(needs), needs.notices
        else:
            assert assessment is not None and target is not None
            team = analyse_assessment(read_assessment(assessment, taxonomy), read_target(target, taxonomy), taxonomy)
            payload, report, notes = team.to_json(), format_team_report(team), team.notes
    except (GapInputError, TaxonomyError) as exc:
        _fail(str(exc))
        return
    if as_json:
        for note in notes:
            click.echo(f"note: {note}", err=True)
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        click.echo(report, nl=False)


def _write_template(data: bytes, output: Path) -> None:
    from service.cli import write_output  # late: service.cli registers this command

    write_output(output, data, "template")


def _free_text_gap(obj: object, text: str, as_json: bool) -> None:
    """Map a gap described in words to fields and level with the tagger, with the matching competences.
    With a catalogue, the main field and the level are put to the vote of its closest courses, as
    recommending does."""
    from matcher.gap_level import level_from_words
    from matcher.gap_table import tagger_for_gaps
    from matcher.tagging import CourseText

    from matcher.recommend import RecommendError, gap_text, off_domain_notice

    try:
        gap_text(text)  # as recommend --query and the API check it, before the model loads
    except RecommendError as exc:
        _fail(f"--text: {exc}")
    taxonomy = obj.taxonomy()  # type: ignore[attr-defined]
    full_tagger = obj.tagger()  # type: ignore[attr-defined]
    tagger = tagger_for_gaps(full_tagger)
    item = CourseText(id="gap", title="", text=text)
    result = tagger.tag([item], in_domain=True, explain=False)[0]
    voted = _gap_by_catalogue(obj.db, full_tagger, text)  # type: ignore[attr-defined]
    fields = voted.fields if voted else result.assigned_fields
    if voted:
        level, level_read_by, level_words = voted.level, voted.level_read_by, voted.level_words
    else:  # as the recommender reads it: a level the words state plainly is theirs
        stated = level_from_words(text)
        level, level_read_by = (stated.level, "level words") if stated.level else (result.level, "words")
        level_words = list(stated.phrases)
    # The competences at the gap's level, as recommending prefers them (the tagger's own `why` spans both).
    why = tagger.explain(item, fields, level=level)
    payload = {
        "text": text,
        "fields": [{"field": key, "score": round(result.fields[key], 4)} for key in fields],
        "level": level,
        "read_by": "words and catalogue" if voted else "words",  # what placed the fields
        "level_read_by": level_read_by,  # what placed the level: "level words" where the words state it
        "level_words": level_words,
        "domain_score": round(result.domain_score, 4),  # how far the words read as employment-services work
        "why": {key: [e.to_json() for e in why[key]] for key in fields},
    }
    notice = off_domain_notice(text, result.domain_score)
    if notice:
        click.echo(f"note: {notice}", err=True)
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"Gap: {text}")
    if voted:
        click.echo("Fields from the words, and the tags of the catalogue's closest courses:")
    how = _LEVEL_READ_BY[level_read_by] + (f": {', '.join(level_words)}" if level_read_by == "level words" else "")
    click.echo(f"Level: {level_name(level)} ({how})")
    for key in fields:
        click.echo(f"  {taxonomy.field(key).name} (the words' own score {result.fields[key]:.2f})")
        for evidence in why[key]:
            click.echo(f"    matches {evidence.statement_id}: {evidence.statement}")


def _gap_by_catalogue(db: Path, tagger: object, text: str) -> Gap | None:
    """The gap as recommendations will read it, where a catalogue has courses to vote."""
    from matcher.recommend import Recommender
    from matcher.store import CatalogueError

    if not db.exists():
        click.echo(f"note: no catalogue at {db.resolve()}; the field and level are read from the words alone.", err=True)
        return None
    click.echo(f"Reading {db.name} to put the field and level to the vote of its closest courses …", err=True)  # seconds at 10 000
    try:
        recommender = Recommender.from_catalogue(db, tagger)  # type: ignore[arg-type]
    except CatalogueError as exc:
        click.echo(f"note: {exc} The field and level are read from the words alone.", err=True)
        return None
    return recommender.gap_from_text(text) if len(recommender.index) else None
