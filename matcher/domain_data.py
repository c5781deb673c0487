"""Every data file a domain expert edits, read and checked at once: `fagmatch check-data`, and the
service before it starts, so that a mistake in one shows at once and not in the middle of a search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from matcher.data_files import DataFileError


def domain_data_problems(
    taxonomy_path: Path | None = None, registry_path: Path | None = None, *, serving: bool = False
) -> dict[str, str]:
    """File name → what is wrong with it, for every data file that cannot be used (empty: all fine).
    `serving`: only what the service reads; the source registry (which only crawls need, and which
    `serve` warns about itself) and the scan of the code for unused Danish texts are left out."""
    from crawler.page_words import PAGE_WORDS_PATH, page_words
    from crawler.registry import REGISTRY_PATH, load_registry
    from matcher.abbreviations import ABBREVIATIONS_FILE, Abbreviations
    from matcher.catalogue_index import REGIONS_FILE, load_regions
    from matcher.gap_level import DEFAULT_WORDS, GapLevelWords
    from matcher.keyword_search import STEM_OVERRIDES_FILE, STOPWORDS_FILE, load_stem_overrides, load_stopwords
    from matcher.messages import DATA_DIR, catalogue
    from matcher.tagging import CUES, TaggingCues, labelled_fields_problem
    from matcher.taxonomy import BUNDLED_TAXONOMY, load_taxonomy
    from matcher.transfer import DEFAULT_CUES, TransferCues

    problems: dict[str, str] = {}

    def check(name: Path, load: Callable[[], Any]) -> Any:
        try:
            return load()
        except DataFileError as exc:
            problems[str(name)] = str(exc)
            return None

    taxonomy = check(taxonomy_path or BUNDLED_TAXONOMY, lambda: load_taxonomy(taxonomy_path))
    if taxonomy is not None and (problem := labelled_fields_problem(taxonomy, str(taxonomy_path or BUNDLED_TAXONOMY))):
        problems[str(taxonomy_path or BUNDLED_TAXONOMY)] = problem
    check(CUES, TaggingCues.load)
    check(DEFAULT_WORDS, GapLevelWords.load)
    check(DEFAULT_CUES, lambda: TransferCues.load(DEFAULT_CUES, taxonomy))  # its keys checked where the taxonomy reads
    check(REGIONS_FILE, load_regions)
    check(STOPWORDS_FILE, load_stopwords)
    check(STEM_OVERRIDES_FILE, load_stem_overrides)
    check(ABBREVIATIONS_FILE, Abbreviations.load)
    check(PAGE_WORDS_PATH, page_words)
    messages = DATA_DIR / "messages-da.yaml"
    check(messages, lambda: catalogue("da") if serving else _texts_said(messages))
    if not serving:
        check(registry_path or REGISTRY_PATH, lambda: load_registry(registry_path))
        if taxonomy is not None:
            problems.update(_sample_files_problems(taxonomy))
    return problems


def _sample_files_problems(taxonomy: Any) -> dict[str, str]:
    """The team files shipped as examples (the README tells users to upload them), read under the
    framework in use: a field renamed without `former_names` would make the product refuse its own."""
    from matcher.gaps import TEMPLATE_DIR, GapInputError, read_assessment, read_needs_survey, read_target

    root = TEMPLATE_DIR.parents[2]
    readers = {
        TEMPLATE_DIR / "proficiency-assessment.csv": read_assessment,
        root / "service" / "samples" / "team-of-four.csv": read_assessment,
        TEMPLATE_DIR / "needs-survey.csv": read_needs_survey,
        TEMPLATE_DIR / "target-profile.yaml": read_target,
    }
    problems = {}
    for path, read in readers.items():
        if not path.is_file():  # a copy of the project without its samples
            continue
        try:
            read(path, taxonomy)
        except GapInputError as exc:
            problems[str(path)] = (f"{exc}\n  (a sample team file no longer reads under the framework in use: give a renamed "
                                   "field its `former_names`, or write the file anew, e.g. `fagmatch gaps --template "
                                   "proficiency-assessment --output FILE`)")
    return problems


def _texts_said(path: Path) -> None:
    """MessagesError for a message the code says with no Danish text (one deleted by mistake), and
    for Danish texts whose English key no code says (a changed key): either message then shows in
    English on the Danish page."""
    from matcher.messages import MessagesError, catalogue, said_templates

    danish, said = catalogue("da", path), said_templates()
    missing = [f"{template!r} (said in {where})" for template, where in said.items() if template not in danish]
    unused = sorted(set(danish) - set(said))
    problems = []
    if missing:
        problems.append(
            "these messages have no Danish text, so the web page shows them in English; add a line "
            f"\"English text\": \"dansk tekst\" for each: {'; '.join(missing[:5])}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    if unused:
        problems.append("no code says these English keys, so their Danish text is never shown (was a key changed? "
                        f"it must be the English text exactly): {'; '.join(map(repr, unused[:5]))}")
    if problems:
        raise MessagesError(f"{path}: " + ". Also, ".join(problems))
