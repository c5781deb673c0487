"""Messages in English and Danish (matcher/messages.py): every message the code says has its Danish
text, the catalogue is checked when it loads, and the language holds only where it is asked for."""

from __future__ import annotations

import asyncio
import string
import threading
from pathlib import Path

import pytest
from starlette.concurrency import run_in_threadpool

from matcher.gaps import GapInputError, parse_step, read_target
from matcher.messages import MessagesError, catalogue, in_language, placeholders, said_templates, say, translated
from matcher.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parents[1]


def test_every_message_has_its_danish_text_and_the_catalogue_nothing_else() -> None:
    said = said_templates()
    danish = catalogue("da")
    assert len(said) >= 50  # the scan finds the messages (a broken scan would pass the checks below)
    missing = {template: where for template, where in said.items() if template not in danish}
    assert not missing, f"no Danish text in matcher/data/messages-da.yaml for: {missing}"
    unused = sorted(set(danish) - set(said))
    assert not unused, f"matcher/data/messages-da.yaml has texts the code never says: {unused}"


def test_an_english_message_is_read_back_in_danish() -> None:
    # what a document made in English (a recommendation from the API) says, for a Danish plan
    checked = 0
    for english in catalogue("da"):
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(english) if name]
        if any(not name.isidentifier() for name, _ in fields):
            continue
        values = {name: (2.5 if spec else f"«{name.upper()} 1.5»") for name, spec in fields}
        message = say(english, **values)
        with in_language("da"):
            danish = say(english, **values)
        assert translated(message, "da") == danish, english
        checked += 1
    assert checked > 80
    assert translated("the catalogue has no current course in IT & Digital", "da") == "kataloget har intet aktuelt kursus i IT & Digital"
    assert translated("kataloget har intet aktuelt kursus i IT & Digital", "da") == "kataloget har intet aktuelt kursus i IT & Digital"
    assert translated("something no template says", "da") == "something no template says"


def test_a_translation_must_fill_in_the_same_names(tmp_path: Path) -> None:
    assert placeholders("{name}: line {line}, {above:.2f} {text!r}") == {"name", "line", "above", "text"}
    broken = tmp_path / "messages-da.yaml"
    broken.write_text('"{name}: line {line}": "{name}: linje {linje}"\n', encoding="utf-8")
    with pytest.raises(MessagesError, match=r"fills in \['linje', 'name'\], the English \['line', 'name'\]"):
        catalogue("da", broken)
    broken.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(MessagesError, match="must map each English template"):
        catalogue("da", broken)
    # a syntax error read while Danish is spoken is named in English, not looked up in the broken file itself
    broken.write_text('"a": [b\n', encoding="utf-8")
    with in_language("da"), pytest.raises(MessagesError, match="messages-da.yaml:1: YAML syntax error: a bracket"):
        catalogue("da", broken)


def test_the_domain_speaks_danish_only_inside_in_language(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^'7' is outside 1–5$"):
        parse_step("7")
    with in_language("da"), pytest.raises(ValueError, match=r"^»7« ligger uden for 1–5$"):
        parse_step("7")
    target = tmp_path / "maal.yaml"
    target.write_text("fields:\n  lov_myndighd:\n    required_level: 3\n", encoding="utf-8")
    with in_language("da"), pytest.raises(GapInputError) as danish:
        read_target(target, load_taxonomy())
    assert str(danish.value) == (
        f"{target}: linje 2, fields.lov_myndighd: ukendt felt »lov_myndighd« (mente du lov_myndighed?); felterne er "
        "arbejdsmarked_uddannelse, lov_myndighed, it_digital, borgernaere_metoder, virksomhedsvendte_metoder, netvaerk_facilitering"
    )
    with in_language("da"):
        assert say("mean level {above:.2f} step(s) above the required level", above=2.5) == (
            "gennemsnittet ligger 2,50 trin over kravet")  # the Danish decimal mark
        assert say("{name}: the file is empty", name="hold.v2.csv") == "hold.v2.csv: filen er tom"  # only in numbers
    assert say("{name}: the file is empty", name="x.csv") == "x.csv: the file is empty"  # back to English after the block
    assert say("mean level {above:.2f} step(s) above the required level", above=2.5).startswith("mean level 2.50 ")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        with in_language("de"):
            pass


def test_the_language_follows_work_into_the_thread_pool_but_not_into_other_threads() -> None:
    """The web page hands uploads to Starlette's thread pool, which must keep the page's language."""

    async def in_the_pool() -> str:
        with in_language("da"):
            return await run_in_threadpool(say, "{name}: the file is empty", name="x.csv")

    assert asyncio.run(in_the_pool()) == "x.csv: filen er tom"
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.append(say("{name}: the file is empty", name="y.csv")))
    with in_language("da"):
        thread.start()  # a thread of its own does not inherit the language
        thread.join()
    assert seen == ["y.csv: the file is empty"]


def test_serve_refuses_a_broken_message_file_in_one_line(tagged_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import matcher.messages
    from service.cli import main

    (tmp_path / "messages-da.yaml").write_text('"{name}: line {line}": "{navn}: linje {line}"\n', encoding="utf-8")
    monkeypatch.setattr(matcher.messages, "DATA_DIR", tmp_path)
    catalogue.cache_clear()
    try:
        result = CliRunner().invoke(main, ["--db", str(tagged_catalogue), "serve", "--port", "1"])
    finally:
        catalogue.cache_clear()
    assert result.exit_code == 1
    assert "messages-da.yaml: '{name}: line {line}': the translation fills in ['line', 'navn']" in result.output
    assert "Traceback" not in result.output and "serving" not in result.output


def test_a_count_of_one_is_said_in_the_singular_and_quotes_are_danish(tmp_path: Path) -> None:
    from matcher.tabular import read_table

    short = tmp_path / "hold.csv"
    short.write_bytes("rolle;lm.1;lm.2\nmedarbejder\nmedarbejder;3\n".encode())
    with in_language("da"):
        problems = read_table(short).bad_rows
    assert [reason.split(":")[0] for _, reason in problems] == ["1 celle mod 3 i overskriftsrækken",
                                                                "2 celler mod 3 i overskriftsrækken"]
    with in_language("da"):
        assert say("{text!r} is outside {low}–{high}", text="7", low=1, high=5) == "»7« ligger uden for 1–5"
    assert say("{text!r} is outside {low}–{high}", text="7", low=1, high=5) == "'7' is outside 1–5"  # English keeps repr


@pytest.mark.parametrize(("value", "said"), [("", "the translation is empty"), ("no", "the translation is read as False, not as text"),
                                             ("12", "the translation is read as 12, not as text")])
def test_a_translation_that_is_no_text_is_named_at_its_line(tmp_path: Path, value: str, said: str) -> None:
    path = tmp_path / "messages-da.yaml"
    path.write_text('"{name}: line {line}": "{name}: linje {line}"\n"the file is empty": ' + value + "\n", encoding="utf-8")
    with pytest.raises(MessagesError, match=rf"messages-da.yaml:2: 'the file is empty': {said}"):
        catalogue("da", path)
