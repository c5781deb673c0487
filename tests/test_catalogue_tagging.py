"""`fagmatch tag` (matcher.catalogue_tagging): what counts as up to date is what the service shows."""

from __future__ import annotations

import shutil
from pathlib import Path

from matcher.catalogue_index import CatalogueIndex
from matcher.catalogue_tagging import tag_catalogue
from matcher.embeddings import Embedder
from matcher.store import open_catalogue, write_catalogue
from matcher.tagging import Tagger
from matcher.taxonomy import load_taxonomy
from tests.conftest import held_elsewhere


def test_tags_of_an_undone_taxonomy_are_replaced_by_the_current_taggers(tagged_catalogue: Path, tmp_path: Path) -> None:
    """A domain expert tags with a mistaken copy of the framework, then goes back to the right one.
    The service shows each course's latest tags, so `tag` must not call the course up to date while
    the mistaken ones are what is shown (it did: the right version's tags were still stored)."""
    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    taxonomy = load_taxonomy()
    tagger = Tagger.default(taxonomy, Embedder.load())
    with open_catalogue(db) as reader:
        course = next(reader.courses(include_withdrawn=False))
    with write_catalogue(db, "tag", ["mistaken-taxonomy"]) as writer:  # as a run with the mistaken copy stores it
        writer.store_tagging(course.course_id, "mistaken-taxonomy", course.compute_hash(), primary_field="it_digital",
                             assigned_fields=["it_digital"], level="grundlaeggende", course_type=None,
                             result={"model": "mistaken-taxonomy", "assigned_fields": ["it_digital"]}, item_scores=[])

    with open_catalogue(db) as reader:  # status says whose tags each course shows (it had counted one twice)
        assert reader.summary()["tagged_by_model"] == {tagger.model_version: 29, "mistaken-taxonomy": 1}
    report = tag_catalogue(db, tagger)
    assert (report.tagged, report.up_to_date) == (1, 29)
    assert report.earlier_models == {"mistaken-taxonomy": 1}  # why it tagged it, as the command says
    with open_catalogue(db) as reader:
        index = CatalogueIndex.load(reader, taxonomy.field_keys)
        assert {tags.model for tags in index.tags} == {tagger.model_version}  # what the service and the feeds show
    assert tag_catalogue(db, tagger).tagged == 0  # and then it is up to date


def test_courses_an_older_fagmatch_stored_with_invisible_characters_read_and_are_tagged(
    tagged_catalogue: Path, tmp_path: Path
) -> None:
    """An older fagmatch stored a title of one zero-width space and a text with Windows line breaks.
    Reading now drops such characters: the title failed validation, taking down the service, `tag`
    and `export`; and the text hashed otherwise than stored, so `tag` called the course "changed
    while tagging" on every run and it kept the old tagger's tags."""
    from matcher.store import connect_duckdb

    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    with open_catalogue(db) as reader:
        first, second = [c.course_id for c in reader.courses(include_withdrawn=False)][:2]
    con = connect_duckdb(str(db))  # as the older fagmatch stored them (its hashes: not today's)
    try:
        con.execute("UPDATE course SET title = '\u200b', content_hash = 'older-1' WHERE id = ?", [first])
        con.execute("UPDATE course SET description = replace(description, '. ', '.\r\n') || '\u200b', "
                    "content_hash = 'older-2' WHERE id = ?", [second])
    finally:
        con.close()
    with open_catalogue(db) as reader:
        assert reader.course(first).title == "\u200b"  # as stored: nothing else is its title
        assert "\r" not in reader.course(second).description
        CatalogueIndex.load(reader, load_taxonomy().field_keys)  # what the service loads at its start
    tagger = Tagger.default(load_taxonomy(), Embedder.load())
    report = tag_catalogue(db, tagger)
    assert (report.tagged, report.skipped_changed) == (2, 0)
    assert tag_catalogue(db, tagger).tagged == 0


def test_a_second_tagging_run_waits_for_the_first_then_tags_only_what_is_left(tagged_catalogue: Path, tmp_path: Path) -> None:
    """Two overlapping cron runs each tagged the same courses; now the second waits and finds them done."""
    from matcher.file_lock import exclusive_lock

    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    tagger = Tagger.default(load_taxonomy(), Embedder.load())
    told: list[str] = []
    with held_elsewhere(lambda: exclusive_lock(db.with_name(db.name + ".tag.lock")), for_seconds=1.0):  # the first run
        report = tag_catalogue(db, tagger, waiting=lambda: told.append("waiting"))
    assert told == ["waiting"] and (report.tagged, report.up_to_date) == (0, 30)


def test_a_read_only_catalogue_is_refused_before_any_course_is_tagged_or_page_fetched(tmp_path: Path, run_cli) -> None:
    import pytest

    from crawler.runner import CrawlError, crawl
    from matcher.ingest import ingest_file
    from matcher.store import CatalogueError
    from tests.conftest import course_record, write_jsonl

    db = tmp_path / "catalogue.duckdb"
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1)]))
    db.chmod(0o444)
    tagged = []
    with pytest.raises(CatalogueError, match="is read-only"):
        tag_catalogue(db, Tagger.default(load_taxonomy(), Embedder.load()), progress=lambda done, total: tagged.append(done))
    assert not tagged
    with pytest.raises(CrawlError, match="is read-only"):  # nothing listens there: it never got that far
        crawl(db, url="http://127.0.0.1:9/")


def test_a_model_that_cannot_be_loaded_is_one_line_not_a_traceback(run_cli) -> None:
    for command in (["tag"], ["gaps", "--text", "forvaltningsret"]):
        result = run_cli("--model", "/no/such/model", *command)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert "error: embedding model path '/no/such/model' (from the model argument) does not exist" in result.output


def test_a_stopped_tagging_run_keeps_what_it_tagged_and_the_next_goes_on(tmp_path: Path, monkeypatch) -> None:
    """A 30 000-course run is hours of work: Ctrl-C, SIGTERM or a kill near the end lost all of it, since
    the tags were stored only once, at the end."""
    import pytest

    import matcher.catalogue_tagging as catalogue_tagging
    from matcher.ingest import ingest_file
    from tests.conftest import course_record, write_jsonl

    db = tmp_path / "catalogue.duckdb"
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(i) for i in range(1, 8)]))
    tagger = Tagger.default(load_taxonomy(), Embedder.load())
    monkeypatch.setattr(catalogue_tagging, "BATCH", 2)
    calls = 0
    real_tag = Tagger.tag

    def stopped_at_the_third_batch(self, items, **kwargs):  # noqa: ANN001, ANN003, ANN202
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return real_tag(self, items, **kwargs)

    monkeypatch.setattr(Tagger, "tag", stopped_at_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        tag_catalogue(db, tagger)
    with open_catalogue(db) as reader:
        assert reader.summary()["tagged"] == 4  # the two batches done
    monkeypatch.undo()

    monkeypatch.setattr(catalogue_tagging, "BATCH", 2)
    monkeypatch.setattr(catalogue_tagging, "SAVE_EVERY_SECONDS", 0.0)  # a long run: stored as it goes
    report = tag_catalogue(db, tagger)
    assert (report.tagged, report.up_to_date) == (3, 4)
    with open_catalogue(db) as reader:
        assert reader.summary()["tagged"] == 7
        tag_runs = [run for run in reader.runs(limit=10) if run["kind"] == "tag"]
    assert [run["counts"]["tagged"] for run in tag_runs] == [1, 2, 4]  # latest first: stored after each batch


def test_the_command_says_a_stopped_run_kept_its_work_and_shows_time_left(run_cli, tmp_path: Path, monkeypatch) -> None:
    import matcher.catalogue_tagging as catalogue_tagging

    def stopped(db, tagger, *, progress, **kwargs):  # noqa: ANN001, ANN003, ANN202
        progress(64, 640)
        raise KeyboardInterrupt

    monkeypatch.setattr(catalogue_tagging, "tag_catalogue", stopped)
    result = run_cli("tag")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "… tagged 64/640 in 0 s, about" in result.output and "left" in result.output
    assert "error: tagging stopped; what was tagged is kept" in result.output and "run `fagmatch tag` again" in result.output
