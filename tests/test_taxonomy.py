"""The bundled competence framework matches the seeds, and broken files are reported usefully."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from matcher.taxonomy import BUNDLED_TAXONOMY, LEVELS, Taxonomy, TaxonomyError, format_summary, load_taxonomy

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# Counted by hand from the seeds (bullets under GRUNDLÆGGENDE / SPECIALISERET NIVEAU per field).
EXPECTED_COMPETENCES = {
    "arbejdsmarked_uddannelse": {"grundlaeggende": 6, "specialiseret": 5},
    "lov_myndighed": {"grundlaeggende": 5, "specialiseret": 5},
    "it_digital": {"grundlaeggende": 4, "specialiseret": 5},
    "borgernaere_metoder": {"grundlaeggende": 6, "specialiseret": 5},
    "virksomhedsvendte_metoder": {"grundlaeggende": 5, "specialiseret": 5},
    "netvaerk_facilitering": {"grundlaeggende": 6, "specialiseret": 4},
}
EXPECTED_PROFILES = {
    "virksomhedsprofilen": 9,
    "kompetenceprofilen": 4,
    "koordinationsprofilen": 3,
    "empowermentprofilen": 5,
    "integrationsprofilen": 5,
    "udviklingsprofilen": 5,
}
EXPECTED_BASIC = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7",
                  "3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6"]  # fmt: skip
EXPECTED_SURVEY = {
    "arbejdsmarked_uddannelse": 9,
    "lov_myndighed": 4,
    "it_digital": 5,
    "borgernaere_metoder": 9,  # the survey's merged Borgernære + Virksomhedsvendte group
    "virksomhedsvendte_metoder": 9,
    "netvaerk_facilitering": 3,
}


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


# --- the bundled file has the seeds' content ------------------------------------------------


def test_six_fields_with_both_levels_and_the_seed_bullet_counts(tax: Taxonomy) -> None:
    assert tax.field_keys == list(EXPECTED_COMPETENCES)
    for key, per_level in EXPECTED_COMPETENCES.items():
        for level, count in per_level.items():
            competences = tax.competences(key, level)
            assert len(competences) == count, (key, level)
            assert all(c.field == key and c.level == level for c in competences)
    assert len(tax.competences("lov_myndighed")) == 10
    assert tax.competences("lov_myndighed", "specialiseret")[2].id == "lov_myndighed.s3"


def test_field_names_summaries_and_definitions(tax: Taxonomy) -> None:
    assert tax.field("borgernaere_metoder").name == "Borgernære Metoder & Virkning"
    assert tax.field("arbejdsmarked_uddannelse").summary.startswith("Evnen til at arbejde efterspørgselsorienteret")
    assert all(len(tax.field(k).definition) > 300 for k in tax.field_keys)


def test_dimensions_and_learning_forms(tax: Taxonomy) -> None:
    forms = {d.key: d.learning_forms for d in tax.dimensions}
    assert forms == {
        "praktisk": ["sidemandsoplæring", "e-læringsforløb", "click-through-moduler"],
        "refleksiv": ["reflekterende teams", "case-analyse", "undringslaboratorier"],
        "relationel": ["rollespil", "simulerede samtaler", "supervision", "samtaleanalyse", "feedback-sessioner"],
    }
    assert all(d.expressions is not None for d in tax.dimensions)
    assert "rollespil" in tax.dimensions[2].embedding_text


def test_basic_competences_in_four_groups(tax: Taxonomy) -> None:
    assert [bc.id for bc in tax.basic_competences] == EXPECTED_BASIC
    assert [(g.number, len(g.competences)) for g in tax.basic_competence_groups] == [(1, 6), (2, 7), (3, 3), (4, 6)]
    assert tax.basic_competence_groups[2].name == "Juridisk kompetence"


def test_profiles_with_all_their_competences(tax: Taxonomy) -> None:
    assert {p.key: len(p.competences) for p in tax.profiles} == EXPECTED_PROFILES
    assert tax.profile("virksomhedsprofilen").competences[0].id == "virksomhedsprofilen.1"
    assert tax.profile("empowermentprofilen").focus == "fokus på borgerens inddragelse og ejerskab for egen situation"


def test_crosswalk_covers_every_basic_competence_and_profile(tax: Taxonomy) -> None:
    for bc in tax.basic_competences:
        assert set(tax.fields_for_basic_competence(bc.id)) <= set(tax.field_keys)
        assert tax.fields_for_basic_competence(bc.id), bc.id
    for p in tax.profiles:
        assert tax.fields_for_profile(p.key), p.key
    for entry in tax.crosswalk:
        assert all(link.field in tax.field_keys and link.reason for link in entry.links)
    assert tax.fields_for_basic_competence("3.1") == ["lov_myndighed"]
    assert "3.2" in [bc.id for bc in tax.basic_competences_for_field("lov_myndighed")]
    assert "virksomhedsprofilen" in [p.key for p in tax.profiles_for_field("virksomhedsvendte_metoder")]
    # Every field is reachable from the older framework.
    assert all(tax.basic_competences_for_field(k) or tax.profiles_for_field(k) for k in tax.field_keys)


# The links a domain review of the seeds added (issue #20); the 44 before it were kept.
REVIEWED_LINKS = [
    ("4.1", "arbejdsmarked_uddannelse"),
    ("2.4", "virksomhedsvendte_metoder"),
    ("koordinationsprofilen", "lov_myndighed"),
    ("integrationsprofilen", "arbejdsmarked_uddannelse"),
    ("udviklingsprofilen", "virksomhedsvendte_metoder"),
]
_CITATION = re.compile(r"\(([^()]*)\)\.?$")


def _cited_ids(reason: str) -> list[str]:
    """The example ids in a reason's closing parentheses, short forms expanded: "(lov_myndighed.g2, g5)"."""
    found = _CITATION.search(reason)
    ids, field = [], ""
    for part in found.group(1).split(",") if found else []:
        part = part.strip()
        if "." in part:
            field = part.split(".")[0]
        ids.append(part if "." in part else f"{field}.{part}")
    return ids


def test_crosswalk_has_the_reviewed_links(tax: Taxonomy) -> None:
    for item, field in REVIEWED_LINKS:
        linked = tax.fields_for_basic_competence(item) if item[0].isdigit() else tax.fields_for_profile(item)
        assert field in linked, (item, field)
    assert sum(len(entry.links) for entry in tax.crosswalk) == 44 + len(REVIEWED_LINKS)


def test_every_crosswalk_reason_cites_examples_of_its_field(tax: Taxonomy) -> None:
    # The file's header promises it: a link is argued from the field's own examples.
    field_of = {c.id: c.field for key in tax.field_keys for c in tax.competences(key)}
    for entry in tax.crosswalk:
        for link in entry.links:
            cited = _cited_ids(link.reason)
            assert cited, f"{entry.item} -> {link.field}: the reason cites no example id"
            for example in cited:
                assert field_of.get(example) == link.field, f"{entry.item} -> {link.field}: {example} is no example of it"


def test_survey_statements_per_field(tax: Taxonomy) -> None:
    per_field = {k: sum(k in s.fields for s in tax.survey_statements) for k in tax.field_keys}
    assert per_field == EXPECTED_SURVEY
    assert len(tax.survey_statements) == 30
    assert tax.statement("bv.1").fields == ("borgernaere_metoder", "virksomhedsvendte_metoder")
    n = tax.survey.samples
    assert (n.staff, n.leaders, n.near, n.far) == (761, 85, 315, 220)


def test_survey_shares_agree_with_the_seed_top_five_pages(tax: Taxonomy) -> None:
    ai = tax.statement("it.4")
    assert "nye teknologier (fx AI)" in ai.text
    assert (ai.shares.leaders, ai.shares.staff, ai.shares.near, ai.shares.far) == (65, 50, 49, 53)
    assert tax.statement("au.6").shares.near is None  # not asked to near-only respondents
    # The seed's top-5 values per group; the PDF scrambled their labels but not the values.
    top5 = {"leaders": [65, 61, 60, 59, 58], "staff": [50, 49, 48, 47, 47], "near": [50, 49, 47, 46, 44], "far": [53, 50, 50, 50, 49]}
    for series, expected in top5.items():
        values = [getattr(s.shares, series) for s in tax.survey_statements]
        assert sorted((v for v in values if v is not None), reverse=True)[:5] == expected, series


def test_field_shares_are_the_mean_of_the_statement_shares(tax: Taxonomy) -> None:
    # How the flattened charts were read is confirmed by this: the field ranking is the mean.
    for group in tax.survey.groups:
        for series in ("staff", "leaders", "near", "far"):
            values = [getattr(s.shares, series) for s in group.statements if getattr(s.shares, series) is not None]
            if values:
                assert abs(sum(values) / len(values) - getattr(group.field_shares, series)) <= 1.5, (group.key, series)


def test_proficiency_scale_and_transfer(tax: Taxonomy) -> None:
    assert [(s.step, s.name) for s in tax.proficiency_scale] == [
        (1, "Nybegynder"), (2, "Avanceret begynder"), (3, "Øvet udøver"), (4, "Kompetent udøver"), (5, "Ekspert"),
    ]  # fmt: skip
    assert len(tax.transfer_factors) == 12
    assert [len(g.factors) for g in tax.transfer.factor_groups] == [3, 5, 4]
    assert [a.key for a in tax.transfer.attention_points] == ["forventningsafstemning", "inddragelse", "praksiskobling", "motivation"]
    rule = tax.transfer.rule_30_30_40
    assert [(r.min, r.max) for r in (rule.before, rule.during, rule.after)] == [(20, 30), (30, 30), (40, 50)]
    assert [g.key for g in tax.transfer.learning_goals] == ["metoder_og_teknikker", "faglig_viden", "rolle"]


def test_every_item_names_its_source(tax: Taxonomy) -> None:
    seeds = {"faglighed-fundament-seks-felter.txt", "fagligheder-beskaeftigelse-fase3-rapport.md",
             "baseline-survey-resultater.txt", "strategisk-efteruddannelse-guide.txt"}  # fmt: skip
    assert {seed for seed, _, _ in _seed_texts(tax)} <= seeds
    assert all(c.source.section for k in tax.field_keys for c in tax.competences(k))


def _key(text: str) -> str:
    # Line breaks, PDF hyphenation, list dashes and markdown emphasis are layout, not wording.
    return re.sub(r"[\s\-*\u00ad]", "", text)


def _seed_texts(tax: Taxonomy) -> Iterator[tuple[str, str, str]]:
    """(seed file, where, text) for every verbatim text in the framework."""
    for f in tax.fields:
        yield f.source.seed, f"{f.key}.definition", f.definition
        yield f.source.seed, f"{f.key}.summary", f.summary
        for c in tax.competences(f.key):
            yield c.source.seed, c.id, c.text
    for d in tax.dimensions:
        yield d.source.seed, d.key, d.description
        yield d.source.seed, d.key, d.learning_forms_text
        assert d.expressions is not None
        for text in (d.expressions.individuelt, d.expressions.borger_og_virksomhedsvendt, d.expressions.organisatorisk):
            yield d.source.seed, d.key, text
    for g in tax.basic_competence_groups:
        yield g.source.seed, f"group {g.number}", g.name
        yield g.source.seed, f"group {g.number}", g.description
        for bc in g.competences:
            yield bc.source.seed, bc.id, bc.text
    for p in tax.profiles:
        yield p.source.seed, p.key, f"{p.name} ({p.focus})"
        for pc in p.competences:
            yield pc.source.seed, pc.id, pc.text
    for s in tax.survey_statements:
        yield s.source.seed, s.id, s.text
    for step in tax.proficiency_scale:
        yield step.source.seed, f"step {step.step}", f"{step.step}. {step.name} - {step.description}"
    for group in tax.transfer.factor_groups:
        for factor in group.factors:
            yield factor.source.seed, factor.key, factor.name
            for detail in factor.details:
                yield factor.source.seed, factor.key, detail
    for a in tax.transfer.attention_points:
        yield a.source.seed, a.key, a.text
        for point in a.points:
            yield a.source.seed, a.key, point
    rule = tax.transfer.rule_30_30_40
    yield rule.source.seed, "rule_30_30_40", rule.text
    for goal in tax.transfer.learning_goals:
        yield goal.source.seed, goal.key, goal.text
        yield goal.source.seed, goal.key, goal.learning_forms


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found at {SEEDS}; verbatim check needs them")
def test_texts_occur_verbatim_in_the_seeds(tax: Taxonomy) -> None:
    seeds: dict[str, str] = {}
    missing = []
    for seed, where, text in _seed_texts(tax):
        if seed not in seeds:
            seeds[seed] = _key((SEEDS / seed).read_text(encoding="utf-8"))
        if _key(text) not in seeds[seed]:
            missing.append(f"{where}: {text[:80]}")
    assert not missing, "not found verbatim in the seed:\n" + "\n".join(missing)


def test_spot_checks_against_the_seed_wording(tax: Taxonomy) -> None:
    assert tax.competences("lov_myndighed", "specialiseret")[0].text == (
        "Indgående viden om fx beskæftigelseslovgivningen, sygedagpengeloven, afklaring til fleksjob og førtidspension."
    )
    assert tax.competences("arbejdsmarked_uddannelse", "grundlaeggende")[4].text.endswith("i arbejdskraftoplandet.")
    assert "(erkendte som ikke-erkendte)" in tax.competences("virksomhedsvendte_metoder", "grundlaeggende")[1].text
    assert tax.basic_competences[16].text == "Gennemfører professionelle jobrettede samtaler"


def test_summary_lists_every_section(tax: Taxonomy) -> None:
    text = format_summary(tax)
    for needle in ("Lov & Myndighed: grundlaeggende 5, specialiseret 5", "Basic competences (22 in 4 groups)",
                   "Udviklingsprofilen", "Survey statements (30;", "5 Ekspert", "Transfer factors (12)", "before 20–30 %"):  # fmt: skip
        assert needle in text


def test_accessors_reject_unknown_names(tax: Taxonomy) -> None:
    with pytest.raises(KeyError, match="unknown field"):
        tax.field("nope")
    with pytest.raises(ValueError, match="unknown level"):
        tax.competences("it_digital", "ekspert")
    with pytest.raises(KeyError):
        tax.statement("zz.1")
    with pytest.raises(KeyError):
        tax.fields_for_basic_competence("9.9")


def test_load_accepts_str_and_path(tmp_path: Path) -> None:
    copy = tmp_path / "taxonomy.yaml"
    copy.write_text(BUNDLED_TAXONOMY.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_taxonomy(str(copy)).field_keys == load_taxonomy(copy).field_keys
    assert set(LEVELS) == {"grundlaeggende", "specialiseret"}


# --- broken files are reported with file, key path and line ----------------------------------


def _broken(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    """A copy of the bundled file with one edit; returns the file and the edited text."""
    text = BUNDLED_TAXONOMY.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    edited = text.replace(old, new, 1)
    path = tmp_path / "kommune-taxonomy.yaml"
    path.write_text(edited, encoding="utf-8")
    return path, edited


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _error(path: Path) -> str:
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path, text = _broken(tmp_path, "  - key: lov_myndighed\n", "  - key: [lov_myndighed\n")
    message = _error(path)
    assert "YAML syntax error" in message
    line = int(re.search(rf"{re.escape(str(path))}:(\d+)", message).group(1))  # type: ignore[union-attr]
    assert abs(line - _line_of(text, "[lov_myndighed")) <= 3


def test_unknown_key(tmp_path: Path) -> None:
    path, text = _broken(tmp_path, '    summary: "Evnen til at omsætte lovgivningen', '    sumary: "Evnen til at omsætte lovgivningen')
    message = _error(path)
    assert f":{_line_of(text, 'sumary:')}: fields[1].sumary: unknown key" in message
    assert "summary" in message  # the allowed keys are listed
    assert "fields[1].summary: required key is missing" in message


def test_crosswalk_to_a_missing_field(tmp_path: Path) -> None:
    path, text = _broken(tmp_path, "{field: it_digital, reason:", "{field: it_digitale, reason:")
    message = _error(path)
    assert f":{_line_of(text, 'it_digitale')}: crosswalk[0].links[0].field: field 'it_digitale' does not exist" in message


def test_crosswalk_from_a_missing_item(tmp_path: Path) -> None:
    path, text = _broken(tmp_path, '  - item: "1.1"\n', '  - item: "1.9"\n')
    message = _error(path)
    line = _line_of(text, '- item: "1.9"')
    assert f":{line}: crosswalk[0].item: '1.9' is not a basic competence" in message
    assert "basic_competences.groups[0].competences[0].id: basic competence '1.1' has no crosswalk link" in message


def test_missing_level(tmp_path: Path) -> None:
    data = yaml.safe_load(BUNDLED_TAXONOMY.read_text(encoding="utf-8"))
    del data["fields"][2]["competences"]["specialiseret"]
    path = tmp_path / "no-level.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    message = _error(path)
    assert "fields[2].competences.specialiseret: required key is missing" in message
    assert re.search(rf"{re.escape(str(path))}:\d+: fields\[2\]", message)


def test_empty_level(tmp_path: Path) -> None:
    data = yaml.safe_load(BUNDLED_TAXONOMY.read_text(encoding="utf-8"))
    data["fields"][5]["competences"]["grundlaeggende"] = []
    path = tmp_path / "empty-level.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert "fields[5].competences.grundlaeggende: must not be empty" in _error(path)


def test_duplicate_ids(tmp_path: Path) -> None:
    path, text = _broken(tmp_path, "- id: lov_myndighed.g2\n", "- id: lov_myndighed.g1\n")
    message = _error(path)
    line = text.count("\n", 0, text.index("lov_myndighed.g1", text.index("lov_myndighed.g1") + 1)) + 1
    assert f":{line}: fields[1].competences.grundlaeggende[1].id: duplicate id 'lov_myndighed.g1'" in message
    assert "already used at fields[1].competences.grundlaeggende[0].id" in message


def test_proficiency_step_six(tmp_path: Path) -> None:
    path, text = _broken(tmp_path, "  - step: 5\n", "  - step: 6\n")
    message = _error(path)
    assert f":{_line_of(text, 'step: 6')}: proficiency_scale[4].step: step 6 is out of place" in message
    assert "1 to 5" in message


def test_unquoted_basic_competence_id_gets_a_hint(tmp_path: Path) -> None:
    path, _ = _broken(tmp_path, '- id: "3.1"', "- id: 3.1")
    message = _error(path)
    assert "basic_competences.groups[2].competences[0].id: must be text, but YAML reads it as the number 3.1" in message
    assert "put quotes around it" in message


def test_survey_group_with_an_unknown_field(tmp_path: Path) -> None:
    path, _ = _broken(tmp_path, "fields: [borgernaere_metoder, virksomhedsvendte_metoder]", "fields: [borgernaere_metoder, virksomheder]")
    assert "survey.groups[3].fields[1]: field 'virksomheder' does not exist" in _error(path)


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    path, text = _broken(tmp_path, '    name: "IT & Digital"\n', '    name: "IT & Digital"\n    name: "IT"\n')
    message = _error(path)
    line = _line_of(text, 'name: "IT"\n')
    assert f":{line}: fields[2].name: key 'name' appears twice" in message


def test_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "absent.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="empty"):
        load_taxonomy(empty)


def test_two_fields_of_one_name_case_aside_are_refused(tmp_path: Path) -> None:
    """A field's name heads its column in the proficiency assessment, read whatever its case: two fields
    of one name passed the check, and then the template could not be read back, or a column was lost."""
    path, text = _broken(tmp_path, 'name: "Netværk & Facilitering"', 'name: "borgernære metoder &  virkning"')
    message = _error(path)
    assert (f":{_line_of(text, 'borgernære metoder &  virkning')}: fields[5].name: the name 'borgernære metoder &  "
            "virkning' is field 'borgernaere_metoder''s too") in message


def test_an_emptied_list_and_a_file_saved_as_windows_1252_are_said_plainly(tmp_path: Path) -> None:
    path, text = _broken(tmp_path, '    links:\n      - {field: it_digital, reason:', '    links:\n      - {field: it_digital, reason:')
    data = yaml.safe_load(text)
    data["crosswalk"][0]["links"] = None  # "links:" with every line under it deleted
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert "crosswalk[0].links: is empty: give it at least one item" in _error(path)  # was "must be a list, got NoneType"
    saved = tmp_path / "ansi.yaml"  # Notepad's "ANSI": æ, ø, å as one byte each
    text = BUNDLED_TAXONOMY.read_text(encoding="utf-8")
    saved.write_bytes(text.encode("cp1252", errors="replace"))
    first = next(i for i, line in enumerate(text.splitlines(), start=1) if any(ch in line for ch in "æøåÆØÅ"))
    assert f"{saved}:{first}: not UTF-8 text" in _error(saved)
