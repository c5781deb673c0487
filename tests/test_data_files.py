"""The data files a domain expert edits: `fagmatch check-data` reads every one and names each mistake
by file and line, and no mistake passes silently (a key written twice, a file saved as Windows-1252,
a town in two regions, a phrase that could never match)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.catalogue_index import load_regions
from matcher.data_files import DataFileError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The project's code and data files, as an expert's own copy to edit."""
    for part in ("matcher", "service", "crawler"):
        shutil.copytree(REPO / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.npz", "samples"))
    return tmp_path


def check_data(checkout: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    return subprocess.run([sys.executable, "-m", "service.cli", "check-data"], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=120)


def words_line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if text in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_check_data_passes_the_shipped_files_and_names_each_mistake_by_line(checkout: Path) -> None:
    valid = check_data(checkout)
    assert valid.returncode == 0 and "run `fagmatch tag` to tag the catalogue's courses again" in valid.stdout  # what makes an edit take effect
    data = checkout / "matcher" / "data"
    regions = data / "regions.yaml"
    regions.write_text(regions.read_text(encoding="utf-8") + "  Midtjylland: [Randers]\n", encoding="utf-8")
    with (data / "gap_level_words.yaml").open("a", encoding="utf-8") as words:
        words.write("grundlaeggende:\n  - opfriskning\n")
    edit(data / "tagging_cues.yaml", "domain:\n", "domain:\n  - (ledig|arbejdsløs)\n")
    stop = data / "stopwords-da.txt"
    stop.write_bytes(stop.read_bytes() + "i dag\n".encode("utf-8"))
    overrides = data / "stem-overrides-da.txt"
    overrides.write_bytes((overrides.read_text(encoding="utf-8") + "# ændret\n").encode("cp1252"))
    words = checkout / "crawler" / "page_words.yaml"
    edit(words, "  Pris: price\n", "  Pris: pris\n")
    edit(words, "  januar: 1\n", "  Januar: 1\n")
    edit(words, "  online: ", "  online: (unclosed|")
    edit(words, "  fysisk: ", "  fysisk: fremmøde||")
    result = check_data(checkout)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    errors = result.stderr
    for line, problem in ((words_line(words, "Pris: pris"), "labels.Pris: 'pris' is not allowed: input should be 'price'"),
                          (words_line(words, "Januar: 1"), "months.Januar.[key]: write it in lower case ('januar')"),
                          (words_line(words, "online: (unclosed|"), "form_cues.online: not a valid regular expression"),
                          (words_line(words, "fysisk: fremmøde||"), "form_cues.fysisk: matches an empty text")):
        assert f"page_words.yaml:{line}: {problem}" in errors, errors
    assert f"{regions}:" in errors and "regions.Midtjylland: key 'Midtjylland' appears twice (first on line" in errors
    assert "gap_level_words.yaml:" in errors and "key 'grundlaeggende' appears twice" in errors
    assert "tagging_cues.yaml:" in errors and "'(ledig|arbejdsløs)': a phrase is plain words" in errors
    assert "stopwords-da.txt:" in errors and "'i dag': one word a line" in errors
    # the first line with a letter Windows-1252 writes otherwise than UTF-8 (the file's own "…", or the "æ" added)
    lines = next(n for n, line in enumerate(overrides.read_bytes().split(b"\n"), start=1) if max(line, default=0) >= 0x80)
    assert f"stem-overrides-da.txt:{lines}: not UTF-8 text" in errors and "save the file as UTF-8" in errors


def test_a_changed_message_key_is_named_not_ignored(checkout: Path) -> None:
    edit(checkout / "matcher" / "data" / "messages-da.yaml", '"unknown region {region!r}; known: {known}"',
         '"unknown region {region!r}; known {known}"')
    result = check_data(checkout)
    assert result.returncode == 1 and "no code says these English keys" in result.stderr
    assert "'unknown region {region!r}; known {known}'" in result.stderr
    # the English text the code says is now without a Danish one: named too, with where the code says it
    assert "these messages have no Danish text, so the web page shows them in English" in result.stderr
    assert "'unknown region {region!r}; known: {known}' (said in matcher/" in result.stderr


def test_a_deleted_danish_text_is_named_not_shown_in_english(checkout: Path) -> None:
    messages = checkout / "matcher" / "data" / "messages-da.yaml"
    messages.write_text("".join(line for line in messages.read_text(encoding="utf-8").splitlines(keepends=True)
                                if not line.startswith('"the header row is empty":')), encoding="utf-8")
    result = check_data(checkout)
    assert result.returncode == 1 and "these messages have no Danish text" in result.stderr
    assert "'the header row is empty' (said in matcher/tabular.py" in result.stderr


def test_a_town_belongs_to_one_region_and_a_region_has_towns(tmp_path: Path) -> None:
    path = tmp_path / "regions.yaml"
    for text, problem in (
        ("regions:\n  Midtjylland: [Aarhus]\n  Sjælland: [Roskilde, Århus]\n", "Århus is listed under both Midtjylland and Sjælland"),
        ("regions:\n  Midtjylland: [Aarhus]\n  Nordjylland: []\n", ":3: regions.Nordjylland: must not be empty"),
        ("regions:\n\tMidtjylland: [Aarhus]\n", ":2: YAML syntax error: a tab character"),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DataFileError, match=problem):
            load_regions.__wrapped__(path)


def test_a_command_meets_a_broken_data_file_with_its_problem_not_a_traceback(checkout: Path) -> None:
    regions = checkout / "matcher" / "data" / "regions.yaml"
    edit(regions, "  Nordjylland:", "\tNordjylland:")
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    result = subprocess.run([sys.executable, "-m", "service.cli", "--db", str(checkout / "none.duckdb"), "recommend",
                             "--query", "jura", "--region", "Midtjylland"], cwd=checkout, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"error: {regions}:" in result.stderr and "a tab character" in result.stderr
    assert "--constraints" not in result.stderr and "Usage:" not in result.stderr


@pytest.mark.parametrize(("text", "problem"), [
    ("a:\n  - x\n\t- y\n", ":3: YAML syntax error: a tab character; indent with spaces only"),
    ("a:\n  b:\n    - x\n   - y\n", ":4: YAML syntax error: the indentation is off"),
    ("fields:\n  - key: a\n    name: b\n   text: c\n", ":4: YAML syntax error: the indentation is off"),
    ('a:\n  text: "Forstår "logikker", og"\n  b: 1\n', ":2: YAML syntax error: a quotation mark inside a text in quotes"),
    ("a:\n  - *kursus for nye\n", ":2: YAML syntax error: a text that starts with *, &, @ or ` must be in quotes"),
])
def test_an_editors_common_yaml_slips_are_said_in_plain_words(tmp_path: Path, text: str, problem: str) -> None:
    from matcher.data_files import DataFileError, compose

    with pytest.raises(DataFileError, match=re.escape(problem)):
        compose(tmp_path / "cues.yaml", text)


def test_a_key_yaml_reads_as_yes_or_no_is_named_at_its_own_line(tmp_path: Path) -> None:
    from matcher.abbreviations import Abbreviations, AbbreviationsError

    path = tmp_path / "abbreviations-da.yaml"
    path.write_text("abbreviations:\n  LAB: beskæftigelsesloven\n  FVL: forvaltningsloven\n  ON: offentlig nøgle\n",
                    encoding="utf-8")
    with pytest.raises(AbbreviationsError, match=r"abbreviations-da.yaml:4: .*YAML reads this word as yes/no: put quotes"):
        Abbreviations.load(path)


def test_a_field_renamed_without_its_former_name_is_caught_in_the_sample_team_file(checkout: Path) -> None:
    edit(checkout / "matcher" / "data" / "taxonomy.yaml", '    name: "IT & Digital"', '    name: "Digitalisering & IT"')
    result = check_data(checkout)
    assert result.returncode == 1 and "proficiency-assessment.csv" in result.stderr
    assert "a sample team file no longer reads under the framework in use: give a renamed field its `former_names`" in result.stderr


def test_a_cue_line_that_lost_its_dash_is_named_not_joined_to_the_item_above(tmp_path: Path) -> None:
    from matcher.gap_level import GapLevelWords, GapLevelWordsError

    path = tmp_path / "gap_level_words.yaml"
    path.write_text("grundlaeggende:\n  - rådgive kolleger\n    rådgiver kolleger\nspecialiseret: [fordybelse]\n", encoding="utf-8")
    with pytest.raises(GapLevelWordsError, match=r"gap_level_words.yaml:2: grundlaeggende\[0\]: the item runs on to line 3"):
        GapLevelWords.load(path)
