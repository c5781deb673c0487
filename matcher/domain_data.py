"""Every data file a domain expert edits, read and checked at once: `fagmatch check-data`, and the
service before it starts, so that a mistake in one shows at once and not in the middle of a search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from matcher.data_files import DataFileError


def _checks(taxonomy_path: Path | None, registry_path: Path | None) -> dict[str, Callable[[], Any]]:
    """File name → a function that reads and checks it (raising DataFileError)."""
    from crawler.registry import REGISTRY_PATH, load_registry
    from matcher.catalogue_index import REGIONS_FILE, load_regions
    from matcher.gap_level import DEFAULT_WORDS, GapLevelWords
    from matcher.keyword_search import STEM_OVERRIDES_FILE, STOPWORDS_FILE, load_stem_overrides, load_stopwords
    from matcher.messages import DATA_DIR, MessagesError, catalogue, said_templates
    from matcher.tagging import CUES, TaggingCues
    from matcher.taxonomy import BUNDLED_TAXONOMY, load_taxonomy
    from matcher.transfer import DEFAULT_CUES, TransferCues

    def transfer_cues() -> TransferCues:
        return TransferCues.load(DEFAULT_CUES, load_taxonomy(taxonomy_path))

    def messages() -> None:
        unused = sorted(set(catalogue("da")) - set(said_templates()))
        if unused:  # its English key was changed: the code's message shows in English on the Danish page
            raise MessagesError(
                f"{DATA_DIR / 'messages-da.yaml'}: no code says these English keys, so their Danish text is never "
                f"shown (was a key changed? it must be the English text exactly): {'; '.join(map(repr, unused[:5]))}"
            )

    return {
        str(taxonomy_path or BUNDLED_TAXONOMY): lambda: load_taxonomy(taxonomy_path),
        str(CUES): TaggingCues.load,
        str(DEFAULT_WORDS): GapLevelWords.load,
        str(DEFAULT_CUES): transfer_cues,
        str(REGIONS_FILE): load_regions,
        str(STOPWORDS_FILE): load_stopwords,
        str(STEM_OVERRIDES_FILE): load_stem_overrides,
        str(DATA_DIR / "messages-da.yaml"): messages,
        str(registry_path or REGISTRY_PATH): lambda: load_registry(registry_path),  # the last: see below
    }


def domain_data_problems(
    taxonomy_path: Path | None = None, registry_path: Path | None = None, *, registry: bool = True
) -> dict[str, str]:
    """File name → what is wrong with it, for every data file that cannot be used (empty: all fine).
    Without `registry`, the source registry is left out (the service can serve without crawling)."""
    checks = _checks(taxonomy_path, registry_path)
    problems: dict[str, str] = {}
    for name, check in list(checks.items())[: None if registry else -1]:
        try:
            check()
        except DataFileError as exc:
            problems[name] = str(exc)
    return problems
