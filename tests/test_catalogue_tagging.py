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

    report = tag_catalogue(db, tagger)
    assert (report.tagged, report.up_to_date) == (1, 29)
    with open_catalogue(db) as reader:
        index = CatalogueIndex.load(reader, taxonomy.field_keys)
        assert {tags.model for tags in index.tags} == {tagger.model_version}  # what the service and the feeds show
    assert tag_catalogue(db, tagger).tagged == 0  # and then it is up to date
