"""Gap identification: hand-worked examples from the seeds' logic, strict input validation,
the shipped templates and `fagmatch gaps`."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.gaps import (
    TEMPLATE_DIR,
    TEMPLATE_FILES,
    GapInputError,
    _team_notes,
    analyse_assessment,
    analyse_needs,
    format_needs_report,
    format_team_report,
    parse_step,
    priority_score,
    read_assessment,
    read_needs_survey,
    read_target,
    template_bytes,
    template_text,
)
from matcher.messages import in_language
from matcher.taxonomy import Taxonomy, load_taxonomy

FIELDS = [
    "arbejdsmarked_uddannelse", "lov_myndighed", "it_digital",
    "borgernaere_metoder", "virksomhedsvendte_metoder", "netvaerk_facilitering",
]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def write_csv(path: Path, rows: list[list[object]], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def write_target(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def team_file(tmp_path: Path, levels: dict[str, list[int]], name: str = "team.csv") -> Path:
    """An assessment with one column per field in `levels` and employees E1, E2, …"""
    count = len(next(iter(levels.values())))
    rows: list[list[object]] = [["employee", *levels]]
    rows += [[f"E{i + 1}", *(levels[k][i] for k in levels)] for i in range(count)]
    return write_csv(tmp_path / name, rows)


def target_yaml(tmp_path: Path, fields: dict[str, tuple[int, int]], extra: str = "") -> Path:
    body = "".join(f"  {k}:\n    required_level: {r}\n    specialists: {s}\n" for k, (r, s) in fields.items())
    return write_target(tmp_path / "target.yaml", f"{extra}fields:\n{body}")


def problems(excinfo: pytest.ExceptionInfo[GapInputError]) -> str:
    return str(excinfo.value)


# --- hand-worked examples: proficiency assessment -----------------------------------------------


def test_everyone_at_step_2_in_lov_myndighed_against_target_3_with_one_specialist(tmp_path, taxonomy) -> None:
    # The issue's example: the other fields meet their targets, so Lov & Myndighed is priority 1.
    levels = {k: [4, 3, 3, 3] for k in FIELDS}
    levels["lov_myndighed"] = [2, 2, 2, 2]
    team = read_assessment(team_file(tmp_path, levels), taxonomy)
    target = read_target(target_yaml(tmp_path, {k: (3, 1) for k in FIELDS}), taxonomy)
    analysis = analyse_assessment(team, target, taxonomy)
    lm = analysis.field("lov_myndighed")
    assert lm.mean_level == 2.0
    assert lm.gap == 1.0
    assert lm.below_target == 4 and lm.share_below_pct == 100.0
    assert lm.employees_below == ["E1", "E2", "E3", "E4"]
    assert lm.resource_persons == [] and lm.specialist_shortfall == 1
    assert lm.distribution == {"1": 0, "2": 4, "3": 0, "4": 0, "5": 0}
    # 100 × (0.4 × 4/4 + 0.3 × 1/4 + 0.3 × 1/1) = 77.5
    assert lm.priority_score == 77.5
    assert lm.priority_rank == 1 and lm.status == "gap"
    assert analysis.fields[0].field == "lov_myndighed"
    for key in FIELDS:
        if key != "lov_myndighed":
            other = analysis.field(key)
            assert other.status == "met" and other.priority_score == 0.0 and other.resource_persons == ["E1"]
    for employee in analysis.employees:
        assert [(g.field, g.level, g.required_level, g.short_by) for g in employee.gaps] == [("lov_myndighed", 2.0, 3, 1.0)]
    assert analysis.employee("E1").resource_fields == [k for k in FIELDS if k != "lov_myndighed"]


def test_priority_formula_weights() -> None:
    assert priority_score(1.0, 1.0, 1, 1) == pytest.approx(77.5)
    assert priority_score(0.5, 0.25, 0, 1) == pytest.approx(100 * (0.4 * 0.5 + 0.3 * 0.25 / 4))
    assert priority_score(0.0, -1.0, 0, 0) == 0.0  # above target: the mean gap does not go negative
    assert priority_score(0.0, 0.0, 2, 2) == pytest.approx(30.0)  # only the specialist shortfall


def test_ranks_by_score_then_mean_gap_then_framework_order(tmp_path, taxonomy) -> None:
    levels = {
        "arbejdsmarked_uddannelse": [3, 3, 3, 3],
        "lov_myndighed": [2, 3, 3, 3],  # 1 of 4 below, small gap
        "it_digital": [1, 1, 1, 1],  # all far below
        "netvaerk_facilitering": [2, 3, 3, 3],  # same score as lov_myndighed: framework order
    }
    analysis = analyse_assessment(
        read_assessment(team_file(tmp_path, levels), taxonomy),
        read_target(target_yaml(tmp_path, {k: (3, 0) for k in levels}), taxonomy), taxonomy,
    )
    assert [(f.field, f.priority_rank) for f in analysis.fields] == [
        ("it_digital", 1), ("lov_myndighed", 2), ("netvaerk_facilitering", 3), ("arbejdsmarked_uddannelse", 4),
    ]


def test_resource_persons_over_representation_and_vulnerability(tmp_path, taxonomy) -> None:
    levels = {
        "it_digital": [5, 4, 4, 4, 2],  # 4 resource persons, 1 needed: surplus 3 → over-represented
        "lov_myndighed": [4, 4, 4, 4, 5],  # mean 4.2 ≥ required 3 + 1.0 → over-represented
        "borgernaere_metoder": [4, 3, 3, 3, 3],  # one resource person for the one needed: vulnerable
        "netvaerk_facilitering": [4, 4, 3, 3, 3],  # surplus 1, mean 3.4: neither
    }
    target = target_yaml(tmp_path, {
        "it_digital": (3, 1), "lov_myndighed": (3, 4), "borgernaere_metoder": (3, 1), "netvaerk_facilitering": (3, 1),
    })
    analysis = analyse_assessment(read_assessment(team_file(tmp_path, levels), taxonomy), read_target(target, taxonomy), taxonomy)
    it = analysis.field("it_digital")
    assert it.resource_persons == ["E1", "E2", "E3", "E4"] and it.surplus_resource_persons == 3
    assert it.over_represented and it.over_representation == ["3 resource person(s) beyond the 1 needed"]
    # a strong field with one person behind: a negative gap is not the team's gap, but E5's
    assert it.status == "individual" and it.employees_below == ["E5"] and it.gap < 0
    lm = analysis.field("lov_myndighed")
    assert lm.surplus_resource_persons == 1 and lm.gap == -1.2
    assert lm.over_represented and lm.over_representation == ["mean level 1.20 step(s) above the required level"]
    bm = analysis.field("borgernaere_metoder")
    assert bm.vulnerable and not bm.over_represented and bm.specialist_shortfall == 0
    nf = analysis.field("netvaerk_facilitering")
    assert not nf.over_represented and not nf.vulnerable
    assert analysis.employee("E1").resource_fields == ["lov_myndighed", "it_digital", "borgernaere_metoder", "netvaerk_facilitering"]


def test_specialist_level_can_be_raised(tmp_path, taxonomy) -> None:
    levels = {"lov_myndighed": [4, 4, 5]}
    team = read_assessment(team_file(tmp_path, levels), taxonomy)
    target = read_target(target_yaml(tmp_path, {"lov_myndighed": (3, 2)}, extra="specialist_level: 5\n"), taxonomy)
    analysis = analyse_assessment(team, target, taxonomy)
    assert analysis.specialist_level == 5 and analysis.specialist_level_name == "Ekspert"
    assert analysis.field("lov_myndighed").resource_persons == ["E3"]
    assert analysis.field("lov_myndighed").specialist_shortfall == 1


def test_individual_gaps_are_largest_first(tmp_path, taxonomy) -> None:
    levels = {"lov_myndighed": [2, 3], "it_digital": [1, 3], "netvaerk_facilitering": [3, 5]}
    target = target_yaml(tmp_path, {"lov_myndighed": (3, 0), "it_digital": (4, 0), "netvaerk_facilitering": (3, 0)})
    analysis = analyse_assessment(read_assessment(team_file(tmp_path, levels), taxonomy), read_target(target, taxonomy), taxonomy)
    e1 = analysis.employee("E1")
    assert [(g.field, g.short_by) for g in e1.gaps] == [("it_digital", 3.0), ("lov_myndighed", 1.0)]
    e2 = analysis.employee("E2")
    assert [(g.field, g.short_by) for g in e2.gaps] == [("it_digital", 1.0)]
    assert e2.resource_fields == ["netvaerk_facilitering"]


def test_statement_columns_roll_up_to_their_fields_when_the_field_cell_is_blank(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "team.csv", [
        ["employee", "lov_myndighed", "lm.1", "lm.2", "bv.1", "bv.2"],
        ["AB", "", 2, 3, 4, 3],
        ["CD", 4, 1, 1, "", ""],  # the field cell wins over its statements
    ])
    team = read_assessment(path, taxonomy)
    assert team.fields == ["lov_myndighed", "borgernaere_metoder", "virksomhedsvendte_metoder"]
    ab, cd = team.employees
    assert ab.levels == {"lov_myndighed": 2.5, "borgernaere_metoder": 3.5, "virksomhedsvendte_metoder": 3.5}
    assert ab.rolled_up == {"lov_myndighed", "borgernaere_metoder", "virksomhedsvendte_metoder"}
    assert cd.levels == {"lov_myndighed": 4.0}
    target = read_target(target_yaml(tmp_path, {"lov_myndighed": (3, 1)}), taxonomy)
    analysis = analyse_assessment(team, target, taxonomy)
    lm = analysis.field("lov_myndighed")
    assert lm.mean_level == 3.25 and lm.employees_below == ["AB"] and lm.resource_persons == ["CD"]
    assert lm.distribution == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 0}  # 2.5 rounds half up to step 3
    bm = analysis.field("borgernaere_metoder")
    assert bm.status == "no target" and bm.priority_rank is None and bm.assessed == 1
    assert analysis.fields[-1].status == "no target"


def test_target_field_nobody_was_assessed_in_is_an_error(tmp_path, taxonomy) -> None:
    team = read_assessment(team_file(tmp_path, {"lov_myndighed": [3, 3]}), taxonomy)
    target = read_target(target_yaml(tmp_path, {"lov_myndighed": (3, 0), "it_digital": (3, 1)}), taxonomy)
    with pytest.raises(GapInputError) as excinfo:
        analyse_assessment(team, target, taxonomy)
    assert "target.yaml: fields.it_digital: the target requires it but no employee in" in problems(excinfo)


def test_notes_for_impossible_specialist_counts_and_unassessed_employees(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "team.csv", [["employee", "lov_myndighed", "it_digital"], ["A", 3, 3], ["B", 3, ""]])
    target = read_target(target_yaml(tmp_path, {"lov_myndighed": (3, 3), "it_digital": (3, 0)}), taxonomy)
    analysis = analyse_assessment(read_assessment(path, taxonomy), target, taxonomy)
    assert any("asks for 3 specialists but the team has 2 employees" in n for n in analysis.notes)
    assert "IT & Digital: 1 employee not assessed in the field; the figures cover only those assessed (1)" in analysis.notes
    with in_language("da"):
        assert _team_notes(analysis.fields, 2)[-1] == \
            "IT & Digital: 1 medarbejder er ikke vurderet i feltet; tallene dækker kun de vurderede (1)"
        assert _team_notes(analysis.fields, 3)[-1].startswith("IT & Digital: 2 medarbejdere er ikke vurderet")


# --- hand-worked examples: needs survey ---------------------------------------------------------


def test_a_field_with_a_municipality_s_own_statement_is_not_compared_with_a_national_figure_of_fewer(tmp_path) -> None:
    """A spec audit: "Lov & Myndighed 50.0 % national 32.0 % −32.0 pp", the team's share over two
    statements and the national figure over the one that has it."""
    from matcher.taxonomy import BUNDLED_TAXONOMY

    text = BUNDLED_TAXONOMY.read_text(encoding="utf-8")
    anchor = '        - id: lm.2\n'
    own = ('        - id: lm.kbh1\n          text: "at anvende kommunens egne retningslinjer for sagsbehandling"\n'
           '          source: {seed: baseline-survey-resultater.txt, section: "4. Beskæftigelsesfaglige vidensfelter – Lov & Myndighed"}\n')
    assert anchor in text
    path = tmp_path / "kommunens.yaml"
    path.write_text(text.replace(anchor, own + anchor, 1), encoding="utf-8")
    taxonomy = load_taxonomy(path)
    survey = write_csv(tmp_path / "survey.csv", [["rolle", "lm.1", "lm.kbh1"], ["medarbejder", 2, 5], ["medarbejder", 1, 4]])
    analysis = analyse_needs(read_needs_survey(survey, taxonomy), taxonomy)
    field = next(f for f in analysis.fields if f.field == "lov_myndighed")
    assert (field.share_pct, field.baseline_pct, field.difference_pp) == (50.0, None, None)
    assert (analysis.statement("lm.1").baseline_pct, analysis.statement("lm.1").difference_pp) == (32.0, -32.0)
    assert any("Lov & Myndighed: no national share for lm.kbh1, so the field is not compared" in n for n in analysis.notices)


def test_three_of_four_staff_answering_4_or_5_is_75_percent_against_the_national_staff_share(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "survey.csv", [
        ["role", "lm.3", "lm.1"],
        ["medarbejder", 4, 1],
        ["medarbejder", 5, 4],
        ["medarbejder", 4, ""],  # lm.1 not answered
        ["staff", 2, 2],
    ])
    analysis = analyse_needs(read_needs_survey(path, taxonomy), taxonomy)
    national = taxonomy.statement("lm.3").shares.staff
    assert national == 27
    lm3 = analysis.statement("lm.3")
    assert (lm3.n, lm3.n_high, lm3.share_pct, lm3.baseline_pct, lm3.difference_pp) == (4, 3, 75.0, 27.0, 48.0)
    lm1 = analysis.statement("lm.1")
    assert (lm1.n, lm1.n_high) == (3, 1) and lm1.share_pct == pytest.approx(33.3)
    assert analysis.baseline_group == "staff"
    assert [s.id for s in analysis.statements] == ["lm.3", "lm.1"]
    field = analysis.field("lov_myndighed")
    # mean of 75 and 33.3; baseline mean of 27 and 32; difference the mean of +48 and +1.3
    assert field.share_pct == pytest.approx(54.2) and field.baseline_pct == 29.5
    assert field.difference_pp == pytest.approx(24.7) and field.n == 4
    assert field.statements == ["lm.1", "lm.3"]
    assert field.by_role["staff"].n == 4 and "leaders" not in field.by_role


def test_a_method_statement_counts_for_both_method_fields(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "survey.csv", [["bv.1", "lm.1"], [5, 1], [4, 1], [1, 1], [2, 1]])
    analysis = analyse_needs(read_needs_survey(path, taxonomy), taxonomy)
    bm, vm = analysis.field("borgernaere_metoder"), analysis.field("virksomhedsvendte_metoder")
    assert bm.statements == vm.statements == ["bv.1"]
    assert bm.share_pct == vm.share_pct == 50.0
    assert bm.baseline_pct == taxonomy.statement("bv.1").shares.staff
    assert [f.field for f in analysis.fields] == ["borgernaere_metoder", "virksomhedsvendte_metoder", "lov_myndighed"]
    assert analysis.statement("bv.1").fields == ["borgernaere_metoder", "virksomhedsvendte_metoder"]


def test_leaders_are_compared_with_the_leaders_share_and_a_leader_team_with_it_too(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "survey.csv", [["role", "it.1"], ["leder", 5], ["Leader", 4], ["medarbejder", 1]])
    analysis = analyse_needs(read_needs_survey(path, taxonomy), taxonomy)
    shares = taxonomy.statement("it.1").shares
    it1 = analysis.statement("it.1")
    assert analysis.baseline_group == "leaders" and (analysis.leaders, analysis.staff) == (2, 1)
    assert it1.baseline_pct == shares.leaders
    assert it1.by_role["leaders"].share_pct == 100.0 and it1.by_role["leaders"].baseline_pct == shares.leaders
    assert it1.by_role["staff"].share_pct == 0.0 and it1.by_role["staff"].baseline_pct == shares.staff
    assert it1.by_role["leaders"].difference_pp == 100.0 - shares.leaders


def test_half_leaders_is_not_mostly_leaders(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "survey.csv", [["role", "it.1"], ["leder", 5], ["", 4]])  # blank role = staff
    analysis = analyse_needs(read_needs_survey(path, taxonomy), taxonomy)
    assert analysis.baseline_group == "staff" and analysis.staff == 1


def test_statements_tied_on_share_rank_by_difference_to_the_baseline(tmp_path, taxonomy) -> None:
    # Both 50 %: au.1 has national staff share 47, lm.3 has 27, so lm.3 (+23 pp) outranks au.1 (+3 pp).
    path = write_csv(tmp_path / "survey.csv", [["au.1", "lm.3", "it.4"], [5, 5, 5], [1, 1, 5]])
    analysis = analyse_needs(read_needs_survey(path, taxonomy), taxonomy)
    assert [(s.id, s.priority_rank) for s in analysis.statements] == [("it.4", 1), ("lm.3", 2), ("au.1", 3)]


def test_unanswered_statement_has_no_share_and_no_rank(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "survey.csv", [["lm.1", "lm.2"], [4, ""], [2, ""]])
    analysis = analyse_needs(read_needs_survey(path, taxonomy), taxonomy)
    lm2 = analysis.statement("lm.2")
    assert lm2.share_pct is None and lm2.priority_rank is None and analysis.statements[-1].id == "lm.2"
    assert analysis.field("lov_myndighed").share_pct == 50.0


def test_a_row_with_no_answers_is_left_out_with_a_notice(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "survey.csv", [["role", "lm.1"], ["leder", ""], ["medarbejder", 4]])
    survey = read_needs_survey(path, taxonomy)
    assert len(survey.respondents) == 1
    assert survey.notices == [f"{path}: line 2: answers no statement; left out"]


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [("3", 3), (" 3 ", 3), ("3,0", 3), ("3.0", 3), ("", None), ("  ", None)])
def test_whole_steps_are_accepted_in_common_spellings(raw, expected) -> None:
    assert parse_step(raw) == expected


@pytest.mark.parametrize("raw, message", [
    ("7", "'7' is outside 1–5"), ("0", "'0' is outside 1–5"), ("-1", "'-1' is outside 1–5"),
    ("3,5", "'3,5' is not a whole step"), ("x", "'x' is not a number"), ("nan", "'nan' is not a whole step"),
])
def test_other_values_are_rejected(raw, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse_step(raw)


def test_survey_problems_name_file_line_and_column_all_at_once(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "survey.csv", [
        ["role", "lm.1", "lm.2"],
        ["medarbejder", 4, 7],
        ["boss", "x", 2],
        ["leder", "3,5", 1],
    ])
    with pytest.raises(GapInputError) as excinfo:
        read_needs_survey(path, taxonomy)
    assert excinfo.value.problems == [
        f"{path}: line 2, column lm.2: '7' is outside 1–5",
        f"{path}: line 3, column role: 'boss' is not a role; write leder (leader) or medarbejder (staff)",
        f"{path}: line 3, column lm.1: 'x' is not a number; write a whole number 1–5",
        f"{path}: line 4, column lm.1: '3,5' is not a whole step; write a whole number 1–5",
    ]


def test_a_survey_cut_off_in_a_row_is_refused_not_read_as_unanswered(tmp_path, taxonomy) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("role,lm.1,lm.2\nmedarbejder,4,5\nleder,3", encoding="utf-8")  # the upload stopped here
    with pytest.raises(GapInputError) as excinfo:
        read_needs_survey(path, taxonomy)
    assert excinfo.value.problems == [f"{path}: line 3: 2 cells but the header has 3 columns: the row is cut short "
                                      "(an empty cell is still written, as two delimiters)"]


def test_unknown_statement_ids_in_the_header_are_named(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "survey.csv", [["lm.1", "lm.9", "lov_myndighed"], [4, 4, 4]])
    with pytest.raises(GapInputError) as excinfo:
        read_needs_survey(path, taxonomy)
    message = problems(excinfo)
    # An id of a statement the framework lacks (a survey from before one was removed) gets no other
    # statement's id as a suggestion: "did you mean lm.4?" invited a team to count its answers for lm.4.
    assert (f"{path}: line 1, column lm.9: not a statement id of the framework in use (mistyped, or a statement "
            "removed from it?); see the needs-survey-statements template for the ids") in message
    # A field key is not a survey column: the survey asks per statement.
    assert f"{path}: line 1, column lov_myndighed: not a survey statement id" in message


def test_statement_ids_match_case_insensitively(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "survey.csv", [["Role", "LM.1"], ["Leder", 5]])
    survey = read_needs_survey(path, taxonomy)
    assert survey.statement_ids == ["lm.1"] and survey.respondents[0].answers == {"lm.1": 5}


def test_empty_files_and_header_only_files(tmp_path, taxonomy) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(GapInputError, match=r"empty\.csv: the file is empty"):
        read_needs_survey(empty, taxonomy)
    header_only = write_csv(tmp_path / "header.csv", [["role", "lm.1"]])
    with pytest.raises(GapInputError, match=r"header\.csv: the file has a header but no rows"):
        read_needs_survey(header_only, taxonomy)
    with pytest.raises(GapInputError, match=r"header\.csv: the file has a header but no rows; add one row per employee"):
        read_assessment(write_csv(tmp_path / "header.csv", [["employee", "lov_myndighed"]]), taxonomy)
    with pytest.raises(GapInputError, match=r"missing\.csv: cannot read file"):
        read_needs_survey(tmp_path / "missing.csv", taxonomy)


def test_a_survey_without_statement_columns(tmp_path, taxonomy) -> None:
    with pytest.raises(GapInputError, match=r"line 1: no survey statement columns"):
        read_needs_survey(write_csv(tmp_path / "s.csv", [["role"], ["leder"]]), taxonomy)


def test_a_row_with_too_many_cells_is_named_by_line(tmp_path, taxonomy) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("role,lm.1\nleder,4\nmedarbejder,3,5\n", encoding="utf-8")
    with pytest.raises(GapInputError) as excinfo:
        read_needs_survey(path, taxonomy)
    assert f"{path}: line 3: 3 cells but the header has 2 columns" in problems(excinfo)


def test_windows_1252_assessment_is_read_with_a_notice(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "team.csv", [["employee", "lov_myndighed"], ["Søren Ærø", 3], ["Åse", 2]], encoding="cp1252")
    team = read_assessment(path, taxonomy)
    assert [e.name for e in team.employees] == ["Søren Ærø", "Åse"]
    assert any("Windows-1252" in n for n in team.notices)
    target = read_target(target_yaml(tmp_path, {"lov_myndighed": (3, 0)}), taxonomy)
    assert any("Windows-1252" in n for n in analyse_assessment(team, target, taxonomy).notes)


def test_excel_semicolon_csv_with_bom(tmp_path, taxonomy) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes("\ufeffrolle;lm.1;lm.2\r\nleder;4;5\r\nmedarbejder;3,0;\r\n".encode("utf-8"))
    survey = read_needs_survey(path, taxonomy)
    assert [(r.role, r.answers) for r in survey.respondents] == [("leader", {"lm.1": 4, "lm.2": 5}), ("staff", {"lm.1": 3})]
    assert survey.has_roles and survey.notices == []
    team_path = tmp_path / "team.csv"
    team_path.write_bytes("\ufeffemployee;role;lov_myndighed\r\nÆble;leder;4\r\n".encode("utf-8"))
    assert read_assessment(team_path, taxonomy).employees[0].name == "Æble"


def test_assessment_problems_name_line_and_column(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "team.csv", [
        ["employee", "role", "lov_myndighed", "lm.2", "it_digitl"],
        ["AB", "medarbejder", 6, 2, 3],
    ])
    with pytest.raises(GapInputError) as excinfo:
        read_assessment(path, taxonomy)
    assert excinfo.value.problems == [
        f"{path}: line 1, column it_digitl: not a field (Arbejdsmarked & Uddannelse, Lov & Myndighed, IT & Digital, "
        "Borgernære Metoder & Virkning, Virksomhedsvendte Metoder & Virkning, Netværk & Facilitering) or a statement id "
        "such as lm.1 (did you mean it_digital?); see the proficiency-assessment template",
    ]
    # a misspelt field name is answered with the name as the template writes it
    path = write_csv(tmp_path / "team.csv", [["employee", "Lov & Myndighd"], ["AB", 3]])
    with pytest.raises(GapInputError, match=r"\(did you mean Lov & Myndighed\?\)"):
        read_assessment(path, taxonomy)
    # ... and where the column came closer to the key, written without its æ and underscore
    path = write_csv(tmp_path / "team.csv", [["employee", "borgernaere metoder"], ["AB", 3]])
    with pytest.raises(GapInputError, match=r"\(did you mean Borgernære Metoder & Virkning\?\)"):
        read_assessment(path, taxonomy)
    path = write_csv(tmp_path / "team.csv", [
        ["employee", "role", "lov_myndighed", "lm.2"],
        ["AB", "medarbejder", 6, 2],
        ["", "", 3, "2.5"],
        ["CD", "", "", ""],
    ])
    with pytest.raises(GapInputError) as excinfo:
        read_assessment(path, taxonomy)
    assert excinfo.value.problems == [
        f"{path}: line 2, column Lov & Myndighed: '6' is outside 1–5",  # words, not keys
        f"{path}: line 3, column employee: the employee's name or initials are missing",
        f"{path}: line 3, column lm.2: '2.5' is not a whole step; write a whole number 1–5",
        f"{path}: line 4: employee 'CD' has no level in any field; fill in at least one",
    ]


def test_duplicate_employee_names(tmp_path, taxonomy) -> None:
    path = write_csv(tmp_path / "team.csv", [["employee", "lov_myndighed"], ["Anne B", 3], ["Bo", 2], [" anne  b ", 4]])
    with pytest.raises(GapInputError) as excinfo:
        read_assessment(path, taxonomy)
    assert excinfo.value.problems == [
        f"{path}: line 4, column employee: employee 'anne  b' is also on line 2; names or initials must be unique"
    ]


def test_an_assessment_needs_an_employee_column_and_some_field(tmp_path, taxonomy) -> None:
    with pytest.raises(GapInputError) as excinfo:
        read_assessment(write_csv(tmp_path / "t.csv", [["role", "lov_myndighed"], ["leder", 3]]), taxonomy)
    assert "line 1: no employee column" in problems(excinfo)
    with pytest.raises(GapInputError, match="line 1: no field columns"):
        read_assessment(write_csv(tmp_path / "t.csv", [["employee", "role"], ["AB", "leder"]]), taxonomy)


def test_problems_are_capped_with_a_count_of_the_rest(tmp_path, taxonomy) -> None:
    rows: list[list[object]] = [["lm.1"]] + [[9]] * 30
    with pytest.raises(GapInputError) as excinfo:
        read_needs_survey(write_csv(tmp_path / "s.csv", rows), taxonomy)
    lines = problems(excinfo).splitlines()
    assert len(excinfo.value.problems) == 30 and len(lines) == 21
    assert lines[0].endswith("line 2, column lm.1: '9' is outside 1–5")
    assert lines[-1] == "… and 10 more problem(s)"


def test_target_problems_name_line_and_key(tmp_path, taxonomy) -> None:
    path = write_target(tmp_path / "target.yaml", (
        "specialist_level: 6\n"            # 1
        "fields:\n"                         # 2
        "  lov_myndighed:\n"                # 3
        "    required_level: 0\n"           # 4
        "    specialists: -1\n"             # 5
        "  it_digital:\n"                   # 6
        "    required_level: 2.5\n"         # 7
        "    specialists: 'to'\n"           # 8
        "  lov_og_myndighed:\n"             # 9
        "    required_level: 3\n"           # 10
        "  netvaerk_facilitering:\n"        # 11
        "    specialist: 1\n"               # 12
    ))
    with pytest.raises(GapInputError) as excinfo:
        read_target(path, taxonomy)
    assert excinfo.value.problems == [
        f"{path}: line 1, specialist_level: 6 is outside 1–5",
        f"{path}: line 4, fields.lov_myndighed.required_level: 0 is outside 1–5",
        f"{path}: line 5, fields.lov_myndighed.specialists: -1 must be ≥ 0",
        f"{path}: line 7, fields.it_digital.required_level: 2.5 is not a whole number 1–5",
        f"{path}: line 8, fields.it_digital.specialists: 'to' is not a whole number ≥ 0",
        f"{path}: line 9, fields.lov_og_myndighed: unknown field 'lov_og_myndighed' (did you mean lov_myndighed?); "
        f"fields are {', '.join(FIELDS)}",
        f"{path}: line 12, fields.netvaerk_facilitering.specialist: unknown key (did you mean specialists?); "
        "allowed: required_level, specialists",
        f"{path}: line 11, fields.netvaerk_facilitering: required_level is missing (a whole number 1–5 on the proficiency scale)",
    ]


def test_target_shape_problems(tmp_path, taxonomy) -> None:
    with pytest.raises(GapInputError, match="the file is empty"):
        read_target(write_target(tmp_path / "t.yaml", "\n"), taxonomy)
    with pytest.raises(GapInputError, match=r"line 1, lov_myndighed: unknown key \(field targets go under 'fields:'\)"):
        read_target(write_target(tmp_path / "t.yaml", "lov_myndighed:\n  required_level: 3\nfields:\n  it_digital: {required_level: 3}\n"), taxonomy)
    with pytest.raises(GapInputError, match=r"t.yaml: 'fields:' must map field keys"):
        read_target(write_target(tmp_path / "t.yaml", "specialist_level: 4\n"), taxonomy)
    with pytest.raises(GapInputError, match=r"line 2, fields.lov_myndighed: must hold required_level"):
        read_target(write_target(tmp_path / "t.yaml", "fields:\n  lov_myndighed: 3\n"), taxonomy)
    with pytest.raises(GapInputError, match=r"line 4, fields.lov_myndighed: appears twice \(first on line 2\)"):
        read_target(write_target(tmp_path / "t.yaml", (
            "fields:\n  lov_myndighed: {required_level: 3}\n  it_digital: {required_level: 3}\n"
            "  lov_myndighed: {required_level: 4}\n")), taxonomy)


@pytest.mark.parametrize(("text", "problem"), [
    ("fields:\n  lov_myndighed: [required_level\n", "line 2: not valid YAML: a bracket that opens here is not closed"),
    ('fields:\n  lov_myndighed:\n    required_level: "4\n', "line 3: not valid YAML: a quote that opens here is not closed"),
    ("fields:\n\tlov_myndighed:\n    required_level: 4\n", "line 2: not valid YAML: a tab character; indent with spaces only"),
    ("fields:\n  lov_myndighed:\n    required_level: 4\n   specialists: 1\n", "line 4: not valid YAML: the indentation is off"),
    # the slips an editor makes most: a tab, a line left of its siblings, quotes in quotes, a leading *
    ("fields:\n  lov_myndighed:\n    required_level: 4\n\t  specialists: 1\n", "line 4: not valid YAML: a tab character"),
    ("fields:\n  lov_myndighed:\n    required_level: 4\n  it_digital:\n    required_level: 3\n   specialists: 1\n",
     "line 6: not valid YAML: the indentation is off"),
    ('note: "for "nye" medarbejdere"\nfields:\n  lov_myndighed: {required_level: 3}\n',
     "line 1: not valid YAML: a quotation mark inside a text in quotes ends the text early"),
])
def test_a_target_s_yaml_syntax_error_is_said_in_plain_words_where_to_fix_it(tmp_path, taxonomy, text, problem) -> None:
    # an unclosed bracket or quote is named at the line where it opens
    with pytest.raises(GapInputError, match=f"t.yaml: {re.escape(problem)}"):
        read_target(write_target(tmp_path / "t.yaml", text), taxonomy)


def test_json_target(tmp_path, taxonomy) -> None:
    path = write_target(tmp_path / "target.json", json.dumps(
        {"specialist_level": 5, "fields": {"it_digital": {"required_level": 4, "specialists": 2}}}, indent=2))
    target = read_target(path, taxonomy)
    assert target.specialist_level == 5 and target.fields["it_digital"].required_level == 4
    assert target.fields["it_digital"].specialists == 2
    bad = write_target(tmp_path / "bad.json", '{\n  "fields": {"it_digital": {"required_level": 9}},\n}\n')
    with pytest.raises(GapInputError, match=r"bad\.json: line 3: not valid JSON"):
        read_target(bad, taxonomy)
    out_of_range = write_target(tmp_path / "range.json", '{\n  "fields": {\n    "it_digital": {"required_level": 9}\n  }\n}\n')
    with pytest.raises(GapInputError, match=r"range\.json: line 3, fields.it_digital.required_level: 9 is outside 1–5"):
        read_target(out_of_range, taxonomy)


def test_specialists_default_to_zero(tmp_path, taxonomy) -> None:
    target = read_target(write_target(tmp_path / "t.yaml", "fields:\n  lov_myndighed:\n    required_level: 3\n"), taxonomy)
    assert target.fields["lov_myndighed"].specialists == 0 and target.specialist_level == 4


# --- reports and JSON ----------------------------------------------------------------------------


def test_reports_use_danish_field_names_and_json_uses_english_keys(tmp_path, taxonomy) -> None:
    levels = {k: [3, 3] for k in FIELDS}
    levels["lov_myndighed"] = [2, 2]
    analysis = analyse_assessment(
        read_assessment(team_file(tmp_path, levels), taxonomy),
        read_target(target_yaml(tmp_path, {k: (3, 1) for k in FIELDS}), taxonomy), taxonomy,
    )
    text = format_team_report(analysis)
    assert " 1. Lov & Myndighed (gap, score 77.5): mean 2.00, required 3, gap +1.00; 2 of 2 below target" in text
    assert "E1: Lov & Myndighed 2 → 3 (1 step(s))" in text
    data = json.loads(json.dumps(analysis.to_json()))
    assert data["fields"][0]["field"] == "lov_myndighed" and data["fields"][0]["priority_rank"] == 1
    assert set(data) == {"assessment", "target", "specialist_level", "specialist_level_name", "employees_assessed",
                         "fields", "employees", "notes"}

    survey = write_csv(tmp_path / "s.csv", [["lm.3"], [4], [5], [4], [2]])
    needs = analyse_needs(read_needs_survey(survey, taxonomy), taxonomy)
    text = format_needs_report(needs)
    assert "1. Lov & Myndighed" in text and "lm.3     75.0 % (3/4)  national   27.0 %   +48.0 pp  at udøve" in text
    assert needs.to_json()["statements"][0] == {
        "id": "lm.3", "text": taxonomy.statement("lm.3").text, "fields": ["lov_myndighed"], "n": 4, "n_high": 3,
        "share_pct": 75.0, "baseline_pct": 27.0, "difference_pp": 48.0, "by_role": {}, "priority_rank": 1,
    }


# --- templates -----------------------------------------------------------------------------------


def test_template_files_exist() -> None:
    for name in TEMPLATE_FILES.values():
        assert (TEMPLATE_DIR / name).is_file(), name


def test_needs_survey_template_columns_are_exactly_the_statement_ids(taxonomy) -> None:
    with (TEMPLATE_DIR / "needs-survey.csv").open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle, delimiter=";"))
    assert header == ["rolle", *(s.id for s in taxonomy.survey_statements)]
    # The shipped files are the renders for the bundled taxonomy; regenerate them if it changes.
    for kind in ("needs-survey", "needs-survey-statements", "proficiency-assessment"):
        assert (TEMPLATE_DIR / TEMPLATE_FILES[kind]).read_bytes() == template_bytes(kind, taxonomy), kind


def test_statements_template_describes_every_column(taxonomy) -> None:
    with (TEMPLATE_DIR / "needs-survey-statements.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert [r["id"] for r in rows] == [s.id for s in taxonomy.survey_statements]
    bv1 = next(r for r in rows if r["id"] == "bv.1")
    assert bv1["felt"] == "borgernaere_metoder+virksomhedsvendte_metoder"
    assert bv1["udsagn"] == taxonomy.statement("bv.1").text


def excel_columns(data: bytes) -> list[list[str]]:
    """How Danish Excel splits a CSV file it opens: UTF-8 only with a byte-order mark (else
    Windows-1252), and its list separator `;`."""
    text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("cp1252")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.mark.parametrize("kind", ["needs-survey", "needs-survey-statements", "proficiency-assessment"])
def test_templates_open_as_columns_in_danish_excel_and_as_xlsx(taxonomy, tmp_path, kind) -> None:
    from openpyxl import load_workbook

    rows = excel_columns(template_bytes(kind, taxonomy))
    assert len(rows[0]) > 3 and all(len(row) == len(rows[0]) for row in rows)
    book = load_workbook(io.BytesIO(template_bytes(kind, taxonomy, "xlsx")))
    sheet = [["" if v is None else str(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    assert sheet == rows  # the same cells
    # the tab Excel shows is named in Danish
    assert book.worksheets[0].title == {"needs-survey": "Behovsundersøgelse", "needs-survey-statements": "Udsagn",
                                        "proficiency-assessment": "Kompetencevurdering"}[kind]
    if kind == "proficiency-assessment":
        assert rows[0][:4] == ["medarbejder", "rolle", "Arbejdsmarked & Uddannelse", "Lov & Myndighed"]  # words, not keys
        for suffix, data in ((".csv", template_bytes(kind, taxonomy)), (".xlsx", template_bytes(kind, taxonomy, "xlsx"))):
            path = tmp_path / f"hold{suffix}"
            path.write_bytes(data)
            assessment = read_assessment(path, taxonomy)
            assert [e.name for e in assessment.employees] == ["AB", "CD", "EF", "GH"] and assessment.fields == list(taxonomy.field_keys)


def test_an_assessment_in_utf16_or_with_english_keys_reads_as_in_utf8(taxonomy, tmp_path) -> None:
    utf8 = tmp_path / "hold.csv"
    utf8.write_bytes(template_bytes("proficiency-assessment", taxonomy))
    expected = read_assessment(utf8, taxonomy).employees
    text = template_text("proficiency-assessment", taxonomy)
    unicode_text = tmp_path / "unicode.txt"  # Excel's "Unicode-tekst": UTF-16 LE with a mark, tab-separated
    unicode_text.write_bytes(b"\xff\xfe" + text.replace(";", "\t").encode("utf-16-le"))
    assert [(e.name, e.levels) for e in read_assessment(unicode_text, taxonomy).employees] == [(e.name, e.levels) for e in expected]
    big_endian = tmp_path / "be.csv"
    big_endian.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    assert read_assessment(big_endian, taxonomy).employees == read_assessment(utf8, taxonomy).employees
    english = tmp_path / "english.csv"
    english.write_text("employee,role," + ",".join(taxonomy.field_keys) + "\nAB,staff," + ",".join("3" * len(taxonomy.field_keys)) + "\n",
                       encoding="utf-8")
    assert read_assessment(english, taxonomy).employees[0].levels == {k: 3.0 for k in taxonomy.field_keys}
    no_mark = tmp_path / "nomark.csv"
    no_mark.write_bytes(text.encode("utf-16-le"))
    with pytest.raises(GapInputError) as excinfo:
        read_assessment(no_mark, taxonomy)
    assert len(problems(excinfo).splitlines()) == 1 and "NUL bytes" in problems(excinfo)  # one clear message


def test_templates_load_and_analyse(taxonomy) -> None:
    survey = read_needs_survey(TEMPLATE_DIR / "needs-survey.csv", taxonomy)
    assert len(survey.respondents) == 3 and survey.has_roles
    needs = analyse_needs(survey, taxonomy)
    assert {f.field for f in needs.fields} == set(FIELDS)
    team = read_assessment(TEMPLATE_DIR / "proficiency-assessment.csv", taxonomy)
    assert len(team.employees) == 4 and team.fields == FIELDS
    target = read_target(TEMPLATE_DIR / "target-profile.yaml", taxonomy)
    assert list(target.fields) == FIELDS and target.specialist_level == 4
    analysis = analyse_assessment(team, target, taxonomy)
    assert sorted(f.priority_rank for f in analysis.fields) == [1, 2, 3, 4, 5, 6]


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def gaps_cli():
    from service.cli import main
    from service.gaps_command import gaps

    if "gaps" not in main.commands:
        main.add_command(gaps)

    def run(*args: str):
        return CliRunner().invoke(main, ["gaps", *args], catch_exceptions=False)

    return run


def test_cli_survey_report_and_json(gaps_cli, tmp_path) -> None:
    path = write_csv(tmp_path / "s.csv", [["role", "lm.3"], ["medarbejder", 4], ["medarbejder", 5], ["medarbejder", 4], ["medarbejder", 2]])
    result = gaps_cli("--survey", str(path))
    assert result.exit_code == 0, result.output
    assert "4 respondents (4 staff, 0 leaders)" in result.stdout and "Lov & Myndighed" in result.stdout
    result = gaps_cli("--survey", str(path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["statements"][0]["share_pct"] == 75.0 and data["fields"][0]["field"] == "lov_myndighed"


def test_cli_assessment_with_target(gaps_cli, tmp_path) -> None:
    levels = {k: [3, 4] for k in FIELDS}
    levels["lov_myndighed"] = [2, 2]
    team, target = team_file(tmp_path, levels), target_yaml(tmp_path, {k: (3, 1) for k in FIELDS})
    result = gaps_cli("--assessment", str(team), "--target", str(target))
    assert result.exit_code == 0, result.output
    assert "1. Lov & Myndighed (gap" in result.stdout and "Individual gaps" in result.stdout
    data = json.loads(gaps_cli("--assessment", str(team), "--target", str(target), "--json").stdout)
    assert data["fields"][0]["field"] == "lov_myndighed" and data["fields"][0]["specialist_shortfall"] == 1


def test_cli_bad_input_exits_1_with_error_lines(gaps_cli, tmp_path) -> None:
    path = write_csv(tmp_path / "s.csv", [["lm.2", "lm_1"], [7, 1]])
    result = gaps_cli("--survey", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ") and lines[0].endswith("s.csv: line 1, column lm_1: not a survey statement id "
                                                               "(did you mean lm.1?); see the needs-survey-statements template for the ids")
    assert lines[1].startswith("error: ") and lines[1].endswith("s.csv: line 2, column lm.2: '7' is outside 1–5")
    result = gaps_cli("--survey", str(tmp_path / "missing.csv"))
    assert result.exit_code == 1 and "cannot read file" in result.stderr


@pytest.mark.parametrize("args, message", [
    ([], "give --survey FILE"),
    (["--assessment", "a.csv"], "--assessment needs --target"),
    (["--target", "t.yaml"], "--target needs --assessment"),
    (["--survey", "s.csv", "--assessment", "a.csv", "--target", "t.yaml"], "not both"),
    (["--template", "needs-survey", "--survey", "s.csv"], "give it alone"),
    (["--survey", "s.csv", "--output", "x"], "--output is for --template"),
    (["--template", "nope"], "Invalid value for '--template'"),
])
def test_cli_bad_usage_exits_2(gaps_cli, args, message) -> None:
    result = gaps_cli(*args)
    assert result.exit_code == 2 and message in result.stderr


def test_cli_templates(gaps_cli, tmp_path, taxonomy) -> None:
    result = gaps_cli("--template", "needs-survey")
    assert result.exit_code == 0 and result.stdout.replace("\r\n", "\n") == template_text("needs-survey", taxonomy).replace("\r\n", "\n")
    result = gaps_cli("--template", "target-profile")
    assert result.stdout == (TEMPLATE_DIR / "target-profile.yaml").read_text(encoding="utf-8")
    out = tmp_path / "team.csv"
    result = gaps_cli("--template", "proficiency-assessment", "--output", str(out))
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith("\ufeffmedarbejder;rolle;Arbejdsmarked & Uddannelse;")
    assert read_assessment(out, taxonomy).employees
    book = tmp_path / "team.xlsx"
    assert gaps_cli("--template", "proficiency-assessment", "--output", str(book)).exit_code == 0
    assert book.read_bytes().startswith(b"PK") and len(read_assessment(book, taxonomy).employees) == 4
    assert gaps_cli("--template", "target-profile", "--output", str(tmp_path / "t.xlsx")).exit_code == 2
    # the target profile is YAML: a name for a sheet is refused, and nothing is written
    refused = gaps_cli("--template", "target-profile", "--output", str(tmp_path / "maalprofil.csv"))
    assert refused.exit_code == 2 and "target-profile template is YAML, not a sheet: name the file .yaml (e.g. maalprofil.yaml)" in refused.stderr
    assert not (tmp_path / "maalprofil.csv").exists()
    assert gaps_cli("--template", "target-profile", "--output", str(tmp_path / "maalprofil.yaml")).exit_code == 0
    assert read_target(tmp_path / "maalprofil.yaml", taxonomy).fields


def test_a_blank_cell_in_a_workbooks_last_column_is_a_blank_answer(taxonomy, tmp_path) -> None:
    from openpyxl import load_workbook

    for kind, read in (("proficiency-assessment", read_assessment), ("needs-survey", read_needs_survey)):
        book = load_workbook(io.BytesIO(template_bytes(kind, taxonomy, "xlsx")))
        sheet = book.active
        sheet.cell(row=3, column=sheet.max_column).value = None  # Excel writes no cell at all for it
        path = tmp_path / f"{kind}.xlsx"
        book.save(path)
        assert read(path, taxonomy), kind  # read, not refused as "the row is cut short"
    team = read_assessment(tmp_path / "proficiency-assessment.xlsx", taxonomy)
    last = taxonomy.field_keys[-1]
    assert [last not in e.levels for e in team.employees] == [False, True, False, False]


def test_survey_rows_without_a_role_beside_rows_with_one_are_said_to_count_as_staff(taxonomy, tmp_path) -> None:
    # a merged role cell in a workbook is blank in every row but its first: the count by role is then not silent
    survey = tmp_path / "behov.csv"
    survey.write_text("rolle;lm.1\nmedarbejder;3\nleder;4\n;5\n;2\n", encoding="utf-8")
    read = read_needs_survey(survey, taxonomy, name="behov.csv")
    assert "behov.csv: 2 rows give no role (lines 4, 5); counted as staff" in read.notices
    with in_language("da"):
        assert "behov.csv: 2 rækker angiver ingen rolle (linje 4, 5) og tælles som medarbejdere" in read_needs_survey(
            survey, taxonomy, name="behov.csv").notices
    survey.write_text("lm.1\n3\n4\n", encoding="utf-8")  # no role column at all: nothing to say
    assert not read_needs_survey(survey, taxonomy).notices


def test_a_workbook_is_read_at_the_sheet_its_user_saw_and_says_which(taxonomy, tmp_path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template_bytes("proficiency-assessment", taxonomy, "xlsx")))
    book.active.title = "Hold"
    guide = book.create_sheet("Vejledning", 0)  # a guide in front of the data, the data's sheet open
    guide["A1"] = "Sådan udfylder du arket"
    book.active = 1
    path = tmp_path / "hold.xlsx"
    book.save(path)
    team = read_assessment(path, taxonomy, name="hold.xlsx")
    assert len(team.employees) == 4
    assert "hold.xlsx: read the sheet 'Hold'; the workbook's other sheets (Vejledning) are not read" in team.notices
    book.active = 0
    guide["A1"] = None  # an empty sheet open: the first sheet with something in it is read
    book.save(path)
    team = read_assessment(path, taxonomy, name="hold.xlsx")
    assert len(team.employees) == 4 and not team.notices
    old = tmp_path / "hold.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(GapInputError, match=r"hold.xls: an Excel 97–2003 workbook \(.xls\); save it as .xlsx"):
        read_assessment(old, taxonomy, name="hold.xls")


def test_a_title_above_the_column_names_and_excels_sep_line_are_read_past(taxonomy, tmp_path) -> None:
    from openpyxl import load_workbook

    header, *rows = template_text("proficiency-assessment", taxonomy).lstrip("\ufeff").splitlines()
    # a CSV whose title has a comma, which the column names' delimiter is not; a blank line under it
    path = tmp_path / "hold.csv"
    path.write_text("\n".join(["Kompetencevurdering – Jobcenter Vest, 2026", "", header, *rows]) + "\n", encoding="utf-8")
    team = read_assessment(path, taxonomy, name="hold.csv")
    assert len(team.employees) == 4
    assert "hold.csv: lines 1–2, above the column names, are read as a title and left out" in team.notices
    broken = "\n".join(["Kompetencevurdering", header, rows[0], rows[1].replace(";1;", ";x;", 1)]) + "\n"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(GapInputError, match=r"hold.csv: line 4, column"):  # lines counted as the file has them
        read_assessment(path, taxonomy, name="hold.csv")
    # a workbook's merged title row
    book = load_workbook(io.BytesIO(template_bytes("proficiency-assessment", taxonomy, "xlsx")))
    book.active.insert_rows(1)
    book.active["A1"] = "Kompetencevurdering – Jobcenter Vest, 2026"
    book.active.merge_cells("A1:H1")
    book.active.cell(row=4, column=8).value = None  # and a blank answer under the last column
    book.save(tmp_path / "hold.xlsx")
    team = read_assessment(tmp_path / "hold.xlsx", taxonomy, name="hold.xlsx")
    assert len(team.employees) == 4 and "hold.xlsx: line 1, above the column names, is read as a title and left out" in team.notices
    # Excel's "sep=;" line before the column names
    path.write_text("\n".join(["sep=;", header, *rows]) + "\n", encoding="utf-8")
    assert len(read_assessment(path, taxonomy).employees) == 4
    # a title with a date beside it, as a sheet's first row often is
    path.write_text("\n".join(["Kompetencevurdering;marts 2026;;;;;;", header, *rows]) + "\n", encoding="utf-8")
    assert len(read_assessment(path, taxonomy).employees) == 4
    # a column whose header was left blank is named, not dropped with its answers
    survey = tmp_path / "behov.csv"
    survey.write_text("rolle;;lm.1\nmedarbejder;4;3\n", encoding="utf-8")
    with pytest.raises(GapInputError, match=r"line 2: column B \('4'\) has no name in the header row; name it or empty it"):
        read_needs_survey(survey, taxonomy)
    survey.write_text(";rolle;lm.1\n4;medarbejder;3\n", encoding="utf-8")  # the first column too
    with pytest.raises(GapInputError, match=r"line 2: column A \('4'\) has no name in the header row"):
        read_needs_survey(survey, taxonomy)
    # two columns and a note in a third with no name: the column is named, not the file's quoting
    survey = tmp_path / "behov.csv"
    survey.write_text("rolle;lm.1\nmedarbejder;3\nmedarbejder;4;ferie i juli\n", encoding="utf-8")
    with pytest.raises(GapInputError, match=r"line 3: 3 cells but the header has 2 columns: column C \('ferie i juli'\) has no name"):
        read_needs_survey(survey, taxonomy)


def test_a_team_file_names_a_row_as_the_spreadsheet_shows_it(taxonomy, tmp_path) -> None:
    # a name typed with Alt+Enter takes one row in Excel and two lines in the CSV it saves
    header = template_text("proficiency-assessment", taxonomy).lstrip("\ufeff").splitlines()[0]
    path = tmp_path / "hold.csv"
    path.write_text(f'{header}\n"Anne\nBøgh";medarbejder;1;2;3;4;5;1\nCD;medarbejder;x;2;3;4;5;1\n', encoding="utf-8")
    with pytest.raises(GapInputError, match=r"hold.csv: line 3, column Arbejdsmarked & Uddannelse"):
        read_assessment(path, taxonomy, name="hold.csv")


@pytest.mark.parametrize("second", ["lov_myndighed", "Lov og Myndighed", " LOV & MYNDIGHED "])
def test_two_columns_for_one_field_are_refused_not_one_silently_dropped(taxonomy, tmp_path, second) -> None:
    header = template_text("proficiency-assessment", taxonomy).lstrip("\ufeff").splitlines()
    rows = [f"{line};{'5' if i else second}" for i, line in enumerate(header)]
    path = tmp_path / "hold.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(GapInputError, match="the same field as the column 'Lov & Myndighed'; keep one of the two"):
        read_assessment(path, taxonomy)
    survey = tmp_path / "behov.csv"
    survey.write_text("rolle;lm.1;LM.1\nmedarbejder;3;4\n", encoding="utf-8")
    with pytest.raises(GapInputError, match="column LM.1: the same statement as the column 'lm.1'"):
        read_needs_survey(survey, taxonomy)


def test_a_workbook_is_read_no_further_than_a_team_file_reaches() -> None:
    import time

    from openpyxl import Workbook

    from matcher.tabular import MAX_SHEET_ROWS, TabularError, xlsx_text

    def workbook(fill) -> bytes:
        book = Workbook()
        fill(book.active)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def far_cell(sheet) -> None:  # 5 kB that claim a sheet of 6 000 rows × 16 384 columns
        sheet["A1"] = "rolle"
        sheet.cell(row=6000, column=16384, value="x")

    started = time.perf_counter()
    assert xlsx_text(workbook(far_cell), "hold.xlsx") == ("rolle\n", [])
    assert time.perf_counter() - started < 5, "the sheet's claimed size is not read through"

    def many_rows(sheet) -> None:
        for row in range(1, MAX_SHEET_ROWS + 3):
            sheet.cell(row=row, column=1, value=f"P{row}")

    with pytest.raises(TabularError, match=f"hold.xlsx: more than {MAX_SHEET_ROWS} rows in the sheet"):
        xlsx_text(workbook(many_rows), "hold.xlsx")


def test_a_file_made_to_exhaust_the_server_is_refused_before_it_is_read(taxonomy, tmp_path) -> None:
    import zipfile

    wide = tmp_path / "wide.csv"  # 20 000 columns of one name: each was counted against every other
    wide.write_text("rolle;" + ";".join(["au.1"] * 20_000) + "\nmedarbejder;3\n", encoding="utf-8")
    with pytest.raises(GapInputError, match=r"wide.csv: line 1: 20001 columns; a table has at most 200"):
        read_needs_survey(wide, taxonomy)
    # a 60 kB workbook whose one row holds 5 million empty cells: 20 MB unpacked, gigabytes to read
    source = zipfile.ZipFile(io.BytesIO(template_bytes("needs-survey", taxonomy, "xlsx")))
    bomb = tmp_path / "behov.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="9">' + b"<c/>" * 5_000_000 + b"</row></sheetData>")
            out.writestr(part, data)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(GapInputError, match=r"behov.xlsx: the workbook unpacks to 20 MB, more than a team file holds \(16 MB\)"):
        read_needs_survey(bomb, taxonomy)


def test_a_target_profile_that_would_blow_up_is_refused_in_a_few_words(taxonomy, tmp_path) -> None:
    laughs = ["fields:", "  lov_myndighed:", "    required_level: 3", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    laughs.append("specialist_level: *a8")
    bomb = tmp_path / "maal.yaml"
    bomb.write_text("\n".join(laughs) + "\n", encoding="utf-8")  # under 500 bytes, 9⁹ values when expanded
    with pytest.raises(GapInputError, match="anchors and aliases") as refused:
        read_target(bomb, taxonomy, name="maal.yaml")
    assert len(str(refused.value)) < 300
    deep = tmp_path / "maal.json"
    deep.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(GapInputError, match="maal.json: nested too deeply"):
        read_target(deep, taxonomy, name="maal.json")
    long_list = tmp_path / "liste.yaml"
    long_list.write_text("specialist_level: [" + ", ".join(["4"] * 5000) + "]\nfields:\n  lov_myndighed:\n    required_level: 3\n",
                         encoding="utf-8")
    with pytest.raises(GapInputError, match="is not a whole number") as quoted:
        read_target(long_list, taxonomy, name="liste.yaml")
    assert len(str(quoted.value)) < 300, "a value is quoted cut short"


def test_a_field_renamed_in_a_copy_still_reads_the_teams_files_under_its_former_name(tmp_path) -> None:
    """An expert renamed "IT & Digital" in a copy of the framework; every assessment the teams had filled in
    (its columns headed by the names) was refused until its header was edited."""
    from matcher.taxonomy import BUNDLED_TAXONOMY

    filled = team_file(tmp_path, {"IT & Digital": [2, 3], "Lov & Myndighed": [3, 4]})
    renamed = BUNDLED_TAXONOMY.read_text(encoding="utf-8").replace('    name: "IT & Digital"\n', '    name: "IT & Digitalisering"\n', 1)
    plain = tmp_path / "renamed.yaml"
    plain.write_text(renamed, encoding="utf-8")
    with pytest.raises(GapInputError, match="column IT & Digital: not a field"):
        read_assessment(filled, load_taxonomy(plain))
    kept = tmp_path / "kept.yaml"  # the expert keeps the former name
    kept.write_text(renamed.replace('    name: "IT & Digitalisering"\n',
                                    '    name: "IT & Digitalisering"\n    former_names: ["IT & Digital"]\n', 1), encoding="utf-8")
    assessment = read_assessment(filled, load_taxonomy(kept))
    assert assessment.fields == ["lov_myndighed", "it_digital"]
    assert [e.levels["it_digital"] for e in assessment.employees] == [2, 3]
