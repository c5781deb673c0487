"""The gap table: a gap's words embedded without the model where the table knows them, as the model would."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from matcher.catalogue_index import CourseFilters
from matcher.embeddings import Embedder
from matcher.gap_table import (
    SHIPPED_TABLE, CourseProducts, GapEmbedder, GapTable, GapTableError, GapTableWarning, TextTokens, corpus_texts,
    fit_gap_table, shipped_gap_embedder,
)
from matcher.recommend import Recommender
from matcher.tagging import Tagger
from matcher.taxonomy import load_taxonomy
from tests.conftest import SAMPLE_FEED

# gap texts as HR writes them (not the graded evaluation queries)
GAPS = [
    "vi mangler specialiseret viden om sygedagpengeloven og jobafklaring",
    "nye medarbejdere skal lære den motiverende samtale med ledige",
    "vores virksomhedskonsulenter skal blive bedre til at matche virksomheder med kandidater",
    "grundlæggende digitale kompetencer og brug af fagsystemer i sagsbehandlingen",
]


@pytest.fixture(scope="module")
def model() -> Embedder:
    return Embedder.load()


@pytest.fixture(scope="module")
def gaps(model: Embedder) -> GapEmbedder:
    embedder = shipped_gap_embedder(model)
    assert embedder is not None, "the shipped gap table must belong to the built-in model"
    return embedder


class ModelMustNotRun:
    """A stand-in that fails the test if the model is asked to embed anything."""

    def __init__(self, model: Embedder) -> None:
        self.model_version, self.dim, self.encoder = model.model_version, model.dim, model.encoder

    def embed_passages(self, texts, batch_size=32):  # noqa: ANN001, ANN201
        raise AssertionError(f"the model ran for {texts!r}")


def test_the_shipped_table_embeds_gap_words_as_the_model_does(model: Embedder, gaps: GapEmbedder) -> None:
    assert gaps.knows(GAPS)
    table_vectors = gaps.embed_passages(GAPS)
    model_vectors = model.embed_passages(GAPS)
    cosines = (table_vectors * model_vectors).sum(axis=1)
    assert cosines.min() > 0.95, cosines
    # each gap is nearer its own model vector than any other gap's
    assert (np.argmax(table_vectors @ model_vectors.T, axis=1) == np.arange(len(GAPS))).all()
    assert np.allclose(np.linalg.norm(table_vectors, axis=1), 1.0, atol=1e-5)


def test_token_ids_word_by_word_are_the_tokenizers_own(model: Embedder) -> None:
    tokens = TextTokens(model)
    texts = [*GAPS, *corpus_texts([SAMPLE_FEED])[:300], "to  mellemrum", "linje\nskift", " kant ", "Æble-grød, 12.500 kr."]
    whole = Tokenizer.from_str(model.encoder.tokenizer.backend_tokenizer.to_str())  # a copy: no padding, no truncation
    whole.no_padding()
    whole.no_truncation()
    expected = [whole.encode(t, add_special_tokens=False).ids for t in texts]
    assert tokens(texts) == expected
    assert tokens(texts) == expected  # again, from the word cache
    assert "sygedagpengeloven" in tokens._word_ids


def test_words_the_table_does_not_know_go_to_the_model(model: Embedder, gaps: GapEmbedder) -> None:
    foreign = ["Zur Vorbereitung auf die Prüfung lesen Sie bitte das Kapitel über Quantenchromodynamik"]
    assert not gaps.knows(foreign)
    assert np.array_equal(gaps.embed_passages(foreign), model.embed_passages(foreign))
    # a word or two is the model's: a lone token's table vector is fitted on sentences that held it
    for short in (["hjælp"], ["Hjælp"], ["mere viden"]):
        assert not gaps.knows(short)
        assert np.array_equal(gaps.embed_passages(short), model.embed_passages(short))
    # a number it has not seen does not count against it: "hold 98765" means what "hold 17" means
    assert gaps.knows([GAPS[0] + ", hold 98765"])


def test_a_recommender_tags_new_words_without_the_model_and_ranks_much_as_it_would(model: Embedder, tagged_catalogue: Path) -> None:
    tagger = Tagger.default(load_taxonomy(), model)
    with_table = Recommender.from_catalogue(tagged_catalogue, tagger)
    without = Recommender.from_catalogue(tagged_catalogue, tagger, gap_table=None)
    assert with_table.gap_embedder is not None and without.gap_embedder is None
    text = GAPS[0]
    assert not with_table.needs_model([text]) and without.needs_model([text])
    with_table._gap_tagger = tagger.with_embedder(GapEmbedder(ModelMustNotRun(model), with_table.gap_embedder.table))
    fast, slow = with_table.gap_from_text(text), without.gap_from_text(text)
    assert (fast.fields, fast.level) == (slow.fields, slow.level) == (["lov_myndighed"], "specialiseret")
    # close, not identical: the same first course, and most of the top three
    top = [r["course_id"] for r in with_table.recommend([fast], CourseFilters(), top=3)["results"]]
    model_top = [r["course_id"] for r in without.recommend([slow], CourseFilters(), top=3)["results"]]
    assert top[0] == model_top[0] and len(set(top) & set(model_top)) >= 2, (top, model_top)


def test_precomputed_course_products_rank_new_words_as_the_course_vectors_do(model: Embedder, tagged_catalogue: Path) -> None:
    tagger = Tagger.default(load_taxonomy(), model)
    fast = Recommender.from_catalogue(tagged_catalogue, tagger, course_products=True)
    plain = Recommender.from_catalogue(tagged_catalogue, tagger)
    # the products are of the courses' vectors in the framework's terms, which the ranking compares
    products, vectors = fast.course_products, fast._course_space
    assert products is not None and plain.course_products is None and plain.vote_products is None
    assert products.by_token.shape == (len(products.table.token_ids), len(vectors))
    for text in [*GAPS, GAPS[1] + ", hold 4711"]:
        _, vector = fast._analysed(text)
        cosines = products.cosines(fast.gap_embedder.words(text), vector)
        assert cosines is not None and np.allclose(cosines, vectors @ vector, atol=1e-5)
        # the vote on the gap's field and level reads the raw cosine, from products of its own
        assert np.allclose(fast.vote_products.cosines(fast.gap_embedder.words(text), vector), fast.index.vectors @ vector, atol=1e-5)
        ranked = fast.recommend([fast.gap_from_text(text)], CourseFilters(), top=5)["results"]
        expected = plain.recommend([plain.gap_from_text(text)], CourseFilters(), top=5)["results"]
        assert [(r["course_id"], r["parts"]) for r in ranked] == [(r["course_id"], r["parts"]) for r in expected]
    # words the model embedded (the table does not know them) are not the table's sum of tokens:
    # the products decline, and the course vectors answer
    foreign = "Quantenchromodynamik und Gitterfeldtheorie für Fortgeschrittene"
    _, vector = fast._analysed(foreign)
    assert products.cosines(fast.gap_embedder.words(foreign), vector) is None
    assert np.allclose(fast._text_cosines(foreign, vector), fast.space.similarities(vectors, vector), atol=1e-6)
    # a catalogue too large for the memory budget gets none, and ranks from the course vectors
    assert CourseProducts.build(products.table, vectors, max_bytes=products.by_token.nbytes - 1) is None


def test_a_gap_tagged_without_explanation_has_the_same_tags(model: Embedder) -> None:
    from matcher.tagging import CourseText

    tagger = Tagger.default(load_taxonomy(), model)
    item = [CourseText(id="gap", title="", text=GAPS[1])]
    full = tagger.tag(item, in_domain=True)[0]
    bare = tagger.tag(item, in_domain=True, explain=False)[0]
    assert (bare.fields, bare.assigned_fields, bare.level, bare.dimensions) == (full.fields, full.assigned_fields, full.level, full.dimensions)
    assert np.array_equal(bare.course_vector, full.course_vector)
    assert full.why and full.basic_competences and full.profiles
    assert (bare.why, bare.basic_competences, bare.profiles) == ({}, [], [])


def test_another_model_gets_no_table(model: Embedder) -> None:
    class Other:
        model_version, dim, encoder = "someone/else@1", model.dim, model.encoder

    assert shipped_gap_embedder(Other()) is None
    with pytest.raises(GapTableError, match="fitted for .* not for someone/else@1"):
        GapEmbedder(Other(), GapTable.load(SHIPPED_TABLE))


def test_a_broken_table_file_is_named_with_its_problem(model: Embedder, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a table")
    with pytest.raises(GapTableError, match="garbage.npz: not a gap table"):
        GapTable.load(garbage)
    # the table only saves time: a recommender with a broken one embeds gap words with the model
    with pytest.warns(GapTableWarning, match="garbage.npz: not a gap table.*embedded by the model"):
        assert shipped_gap_embedder(model, garbage) is None
    good = GapTable.load(SHIPPED_TABLE)
    crooked = tmp_path / "crooked.npz"
    np.savez(crooked, token_ids=good.token_ids[:10], vectors=good.vectors[:9], bias=good.bias,
             about=np.array(json.dumps({"model_version": good.model_version})))
    with pytest.raises(GapTableError, match="10 token ids for 9 vectors"):
        GapTable.load(crooked)


def test_a_table_fitted_on_course_texts_reproduces_the_model(model: Embedder, tmp_path: Path) -> None:
    texts = corpus_texts([SAMPLE_FEED])[:400]
    table = fit_gap_table(model, texts, about={"sources": ["courses.jsonl"]})
    assert table.model_version == model.model_version and table.about["texts"] == 400
    assert table.about["validation_cosine_mean"] > 0.85  # on texts left out of the fit
    table.save(tmp_path / "table.npz")
    loaded = GapTable.load(tmp_path / "table.npz")
    assert np.array_equal(loaded.token_ids, table.token_ids) and loaded.about["sources"] == ["courses.jsonl"]
    fitted = GapEmbedder(model, loaded)
    assert fitted.knows(texts[:5])
    cosines = (fitted.embed_passages(texts[:50]) * model.embed_passages(texts[:50])).sum(axis=1)
    assert cosines.mean() > 0.9
    with pytest.raises(GapTableError, match="at least 50 distinct texts"):
        fit_gap_table(model, texts[:10])


def test_the_service_uses_the_table_unless_told_not_to(tagged_catalogue: Path) -> None:
    from service.state import ServiceConfig, ServiceState

    assert ServiceState(ServiceConfig(db=tagged_catalogue)).recommender.gap_embedder is not None
    assert ServiceState(ServiceConfig(db=tagged_catalogue, gap_table=False)).recommender.gap_embedder is None


def test_fit_gap_table_writes_a_table_the_recommender_can_use(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matcher.gap_table as gap_table

    real = gap_table.corpus_texts
    monkeypatch.setattr(gap_table, "default_sources", lambda: [SAMPLE_FEED])
    monkeypatch.setattr(gap_table, "corpus_texts", lambda sources: real(sources)[:200])  # a quick fit
    notes = tmp_path / "noter.txt"
    notes.write_text("Sygedagpenge og jobafklaring.\n\nVirksomhedskontakt og rekruttering.\n", encoding="utf-8")
    output = tmp_path / "table.npz"
    result = run_cli("model", "fit-gap-table", "--also", str(notes), "--output", str(output))
    assert result.exit_code == 0, result.output
    assert "gap table for intfloat/multilingual-e5-small" in result.stdout and str(output) in result.stdout
    table = GapTable.load(output)
    assert table.about["sources"][-1] == "noter.txt" and table.about["texts"] == 200
    assert not (tmp_path / "table.npz.partial").exists()
    missing = run_cli("model", "fit-gap-table", "--also", str(tmp_path / "nowhere.txt"), "--output", str(output))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    # unreadable extra texts: a message naming the file, and the table written before stays as it was
    written = output.read_bytes()
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Kærlighed og arbejde\n".encode("cp1252"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("tekster: [ikke lukket\n", encoding="utf-8")
    for bad, message in ((latin1, "latin1.txt: not UTF-8 text"), (broken, "broken.yaml:2: YAML syntax error")):
        result = run_cli("model", "fit-gap-table", "--also", str(bad), "--output", str(output))
        assert result.exit_code != 0 and message in result.stderr, result.output
    assert output.read_bytes() == written
