"""Tagging as users meet it: file mode, incremental catalogue tagging, and `fagmatch evaluate`.

These need the embedding model; it is built into the cache on first use (about 20 s)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from matcher.embeddings import Embedder
from matcher.gaps import TEMPLATE_DIR
from matcher.store import open_catalogue
from matcher.tagging import Tagger, passages
from matcher.taxonomy import BUNDLED_TAXONOMY, load_taxonomy
from tests.conftest import ROOT, SAMPLE_FEED, write_jsonl

pytestmark = pytest.mark.slow

LAW = {
    "id": "law",
    "title": "Sygedagpengeloven og jobafklaring for erfarne sagsbehandlere",
    "text": (
        "Kurset giver indgående viden om sygedagpengeloven, revurdering, forlængelse og overgang til "
        "jobafklaringsforløb. Du lærer at kvalitetssikre afgørelser med fokus på hjemmelsgrundlag og retlig "
        "argumentation, og at rådgive kolleger i komplekse sager på tværs af beskæftigelses- og sundhedsområdet."
    ),
    "course_type": "kursus",
}
NURSING = {
    "id": "nursing",
    "title": "Sårpleje og behandling af tryksår",
    "text": (
        "Kurset for sygeplejersker og social- og sundhedsassistenter giver viden om sårheling, "
        "forebyggelse af tryksår, valg af forbindinger og dokumentation i den kommunale hjemmepleje."
    ),
}
DIGITAL = {
    "id": "ai",
    "title": "Kunstig intelligens og sprogmodeller i sagsbehandlingen",
    "description": (
        "Hvordan kan jobcentret bruge sprogmodeller og AI-værktøjer i sagsbehandlingen? Vi ser på "
        "muligheder og begrænsninger, datasikkerhed, GDPR og etik, og du prøver værktøjerne i praksis."
    ),
}


def test_passages_keep_the_whole_of_a_long_text() -> None:
    text = " ".join(f"Sætning nummer {i} handler om sygedagpenge og jobafklaring." for i in range(200))
    parts = passages("Titel", text)
    assert parts[0] == "Titel"
    assert "nummer 199" in parts[-1]
    assert all(len(p.split()) <= 70 for p in parts[1:])


def test_file_mode_tags_fields_level_and_explains(run_cli, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [LAW, NURSING, DIGITAL])
    out = tmp_path / "out.jsonl"
    result = run_cli("tag", "--input", str(source), "--output", str(out))
    assert result.exit_code == 0, result.output
    lines = {line["id"]: line for line in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(lines) == {"law", "nursing", "ai"}
    law = lines["law"]
    assert set(law) >= {"id", "fields", "assigned_fields", "primary_field", "level", "course_type",
                        "basic_competences", "profiles", "dimensions", "model"}
    assert set(law["fields"]) == {"arbejdsmarked_uddannelse", "lov_myndighed", "it_digital", "borgernaere_metoder",
                                  "virksomhedsvendte_metoder", "netvaerk_facilitering"}
    assert all(0.0 <= score <= 1.0 for score in law["fields"].values())
    assert law["primary_field"] == "lov_myndighed"
    assert law["level"] == "specialiseret"
    assert law["why"]["lov_myndighed"][0]["statement_id"].startswith("lov_myndighed.")
    assert any(bc.startswith("3.") for bc in law["basic_competences"])  # Juridisk kompetence
    assert lines["nursing"]["assigned_fields"] == [] and lines["nursing"]["level"] is None
    assert lines["ai"]["primary_field"] == "it_digital"
    assert "multilingual-e5-small" in law["model"]


def test_file_mode_rejects_bad_input_with_the_line(run_cli, tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [LAW, {"title": "uden id", "text": "tekst"}])
    result = run_cli("tag", "--input", str(bad))
    assert result.exit_code == 1
    assert "bad.jsonl:2: id: a non-empty string is required" in result.stderr
    assert run_cli("tag", "--output", str(tmp_path / "x.jsonl")).exit_code == 2


def test_catalogue_tagging_is_incremental_and_recorded(run_cli, db: Path, tmp_path: Path) -> None:
    run_cli("ingest", str(SAMPLE_FEED))
    first = run_cli("tag")
    assert first.exit_code == 0, first.output
    with open_catalogue(db) as catalogue:
        total = catalogue.summary()["active"]
        tags_before = catalogue.con.execute("SELECT course_id, result FROM course_tagging ORDER BY course_id").fetchall()
        embeddings = catalogue.con.execute("SELECT count(*), min(len(vector)) FROM embedding").fetchone()
    assert f"tagged {total}, already up to date 0" in first.stdout
    assert len(tags_before) == total and embeddings == (total, 384)

    again = run_cli("tag")
    assert f"tagged 0, already up to date {total}" in again.stdout
    with open_catalogue(db) as catalogue:
        assert catalogue.con.execute("SELECT course_id, result FROM course_tagging ORDER BY course_id").fetchall() == tags_before
        assert catalogue.runs(1)[0]["kind"] == "tag"

    records = [json.loads(line) for line in SAMPLE_FEED.read_text(encoding="utf-8").splitlines()]
    records[0]["description"] += " Kurset er opdateret med de nyeste regler."
    run_cli("ingest", str(write_jsonl(tmp_path / "changed.jsonl", records[:1])))
    assert "tagged 1, already up to date" in run_cli("tag").stdout
    assert f"tagged {total}" in run_cli("tag", "--force").stdout

    # An expert who links a basic competence to one more field sees every course tagged anew:
    # a course's tags list the basic competences and profiles linked to its fields.
    framework = (ROOT / "matcher" / "data" / "taxonomy.yaml").read_text(encoding="utf-8")
    link = '      - {field: it_digital, reason: "Fagsystemer og teknologier er kernen i IT & Digital (it_digital.g1)."}\n'
    assert framework.count(link) == 1
    edited = tmp_path / "taxonomy.yaml"
    edited.write_text(framework.replace(link, link + '      - {field: lov_myndighed, reason: "Fagsystemerne bærer sagsbehandlingen (lov_myndighed.g1)."}\n'), encoding="utf-8")
    anew = run_cli("--taxonomy", str(edited), "tag").stdout
    assert f"tagged {total}, already up to date 0" in anew
    shipped_model = first.stdout.split("; model ")[1].split()[0]  # and it says why: after an upgrade, the same
    assert "tagged anew because their tags were an earlier tagger's" in anew and f"{shipped_model} {total}" in anew


def test_evaluate_prints_the_tagger_beside_both_baselines(run_cli, tmp_path: Path) -> None:
    labels = write_jsonl(
        tmp_path / "labels.jsonl",
        [
            {**LAW, "fields": ["lov_myndighed"], "level": "specialiseret"},
            {**NURSING, "fields": [], "level": None},
            # an id a shipped example has: that example is left out of the fitting, and it is said
            {"id": "dev-001", "title": DIGITAL["title"], "text": DIGITAL["description"], "fields": ["it_digital"],
             "level": "grundlaeggende"},
        ],
    )
    result = run_cli("evaluate", "--labels", str(labels))
    assert result.exit_code == 0, result.output
    for label in ("tagger", "tfidf", "bm25", "macro-F1", "level accuracy", "off-domain precision", "lov_myndighed F"):
        assert label in result.stdout
    assert "type kursus" in result.stdout and "language da" in result.stdout  # the tagger by part
    assert "note: 1 shipped examples have the ids of scored courses" in result.stderr
    # Grouped by provider: the two pages of one site are scored by a tagger fitted on neither.
    (tmp_path / "other").mkdir()
    grouped = write_jsonl(
        tmp_path / "other" / "labels.jsonl",  # two files of one name: two rows, by their paths
        [{**LAW, "id": "law-a", "url": "https://jura.example.dk/a", "fields": ["lov_myndighed"], "level": "specialiseret"},
         {**NURSING, "id": "nursing-b", "url": "https://jura.example.dk/b", "fields": [], "level": None},
         {**NURSING, "id": "nursing-c", "url": "https://sund.example.dk/c", "fields": [], "level": None}],
    )
    result = run_cli("evaluate", "--labels", str(grouped), "--labels", str(labels), "--folds", "2")
    assert result.exit_code == 0, result.output
    assert "2-fold cross-validation grouped by provider" in result.stdout
    assert f"file {grouped}" in result.stdout and f"file {labels}" in result.stdout
    # the three courses of the first labels.jsonl name no site or provider: each is a group of its own, and it says so
    assert "3 course(s) name no url or provider and are each a group of their own" in result.stdout
    assert "the baselines on the other folds and" in result.stdout
    assert run_cli("evaluate", "--labels", str(labels), "--labels", str(labels)).stderr.startswith(
        f"error: id 'law' is in {labels}, given twice")
    # As crawled pages that state no type: the tagger reads each type from the words, and says so.
    result = run_cli("evaluate", "--labels", str(grouped), "--labels", str(labels), "--folds", "2", "--read-types")
    assert result.exit_code == 0, result.output
    assert "course types read from each course's words and URL, not the labels" in result.stdout
    broken = write_jsonl(tmp_path / "broken.jsonl", [{**LAW, "fields": ["jura"], "level": "specialiseret"}])
    result = run_cli("evaluate", "--labels", str(broken))
    assert result.exit_code == 1 and "broken.jsonl:1: unknown field key(s) jura" in result.stderr


def test_a_gap_in_words_maps_to_fields_and_level(run_cli, tmp_path: Path) -> None:
    result = run_cli("gaps", "--text", "vi mangler specialiseret viden om sygedagpengeloven og jobafklaring", "--json")
    assert result.exit_code == 0, result.output
    gap = json.loads(result.stdout)
    assert gap["fields"][0]["field"] == "lov_myndighed"
    assert gap["level"] == "specialiseret"
    assert gap["why"]["lov_myndighed"][0]["statement_id"].startswith("lov_myndighed.")
    survey = tmp_path / "survey.csv"
    survey.write_text("role,it.1\nmedarbejder,4\n", encoding="utf-8")
    assert run_cli("gaps", "--text", "AI", "--survey", str(survey)).exit_code == 2
    assert run_cli("gaps", "--text", "  ").exit_code == 1


def test_the_gate_as_one_linear_product_gives_sklearn_s_probabilities() -> None:
    import numpy as np

    from matcher.tagging import LinearProbabilities, gate_model

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 40)) * rng.uniform(0.1, 5, size=40) + rng.normal(size=40)
    y = X[:, 0] + 2 * X[:, 6] - X[:, 20] + rng.normal(size=200) > 0
    model = gate_model().fit(X, y)
    probe = rng.normal(size=(20, 40))
    folded = np.array([LinearProbabilities.of([model])(row)[0] for row in probe])
    assert np.allclose(folded, model.predict_proba(probe)[:, 1], atol=1e-12)


def _framework_copy(tmp_path: Path, edit) -> Path:  # noqa: ANN001
    data = yaml.safe_load(BUNDLED_TAXONOMY.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "kommune-taxonomy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _seventh_field(data: dict) -> None:
    new = copy.deepcopy(data["fields"][5])
    new.update(key="sundhed_beskaeftigelse", name="Sundhed & Beskæftigelse")
    for level in ("grundlaeggende", "specialiseret"):
        for competence in new["competences"][level]:
            competence["id"] = competence["id"].replace("netvaerk_facilitering", "sundhed_beskaeftigelse")
    data["fields"].append(new)


def test_a_framework_copy_that_renames_a_field_is_one_clear_error(run_cli, tmp_path: Path) -> None:
    """`taxonomy --check` called such a copy valid; then tag, recommend and gaps ended in a traceback: the
    labelled courses the tagger learns from name the field by its old key."""
    renamed = tmp_path / "kommune-taxonomy.yaml"  # as an expert renames it: everywhere in the file
    renamed.write_text(BUNDLED_TAXONOMY.read_text(encoding="utf-8").replace("it_digital", "digitalisering"), encoding="utf-8")
    checked = run_cli("taxonomy", "--check", str(renamed))
    assert checked.exit_code == 1 and "valid" not in checked.stdout
    assert f"{renamed} has no field 'it_digital', which the labelled courses the tagger learns from use" in checked.stderr
    assert "transfer_cues.yaml" in checked.stderr and "keep every field's key" in checked.stderr
    run_cli("ingest", str(SAMPLE_FEED))
    for command in (("recommend", "--query", "kunstig intelligens i jobcentret"), ("tag",), ("check-data",),
                    ("gaps", "--text", "vi mangler viden om kunstig intelligens")):
        result = run_cli("--taxonomy", str(renamed), *command)
        assert result.exit_code == 1 and "Traceback" not in result.output, command
        assert "has no field 'it_digital'" in result.stderr, (command, result.stderr)


def test_a_seventh_field_is_valid_but_said_to_have_no_labelled_course(run_cli, tmp_path: Path) -> None:
    seven = _framework_copy(tmp_path, _seventh_field)
    checked = run_cli("taxonomy", "--check", str(seven))
    assert checked.exit_code == 0 and checked.stdout.strip() == f"{seven}: valid"
    assert "warning: no labelled course builds the field 'sundhed_beskaeftigelse'" in checked.stderr
    assert "no labelled course" not in run_cli("taxonomy", "--check", str(BUNDLED_TAXONOMY)).stderr
    run_cli("ingest", str(SAMPLE_FEED))  # and `tag`, after which no course has the field, says why
    tagged = run_cli("--taxonomy", str(seven), "tag")
    assert tagged.exit_code == 0 and "warning: no labelled course builds the field 'sundhed_beskaeftigelse'" in tagged.stderr
    # and the target profile a team fills in has the field (it was the shipped file, whatever the framework)
    template = run_cli("--taxonomy", str(seven), "gaps", "--template", "target-profile").stdout
    assert "  sundhed_beskaeftigelse:     # Sundhed & Beskæftigelse\n    required_level: 3\n    specialists: 0\n" in template
    assert run_cli("gaps", "--template", "target-profile").stdout == TEMPLATE_DIR.joinpath("target-profile.yaml").read_text(encoding="utf-8")


def test_moving_a_competence_to_the_other_level_makes_the_tags_anew(tmp_path: Path) -> None:
    """The last basic competence made the first specialised one (as the file's header suggests moving the
    boundary) kept ids, texts and order: the tagger's version did not change, and `tag` left every
    course with the competence shown at its old level."""
    def move(data: dict) -> None:
        field = data["fields"][1]
        field["competences"]["specialiseret"].insert(0, field["competences"]["grundlaeggende"].pop())

    embedder = Embedder.load()
    moved = Tagger.default(load_taxonomy(_framework_copy(tmp_path, move)), embedder)
    assert moved.model_version != Tagger.default(load_taxonomy(), embedder).model_version


def test_two_topics_run_together_by_an_indentation_slip_are_refused(tmp_path: Path) -> None:
    from matcher.data_files import DataFileError
    from matcher.tagging import CUES, TaggingCues

    text = CUES.read_text(encoding="utf-8")
    second = text[text.index("off_domain:"):].splitlines()[2]  # its second topic
    assert second.startswith("    - ")
    slipped = tmp_path / "tagging_cues.yaml"
    slipped.write_text(text.replace(second, "  " + second, 1), encoding="utf-8")  # indented one step too far
    with pytest.raises(DataFileError, match="two list items run together"):
        TaggingCues.load(slipped)
