"""A gap's level follows the words that state it (matcher/data/gap_level_words.yaml). The phrasings
here are shared with the CLI, API and web page tests; a third of them were read at the other level
by the tagger and the closest courses' vote before the level words decided."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.gap_level import DEFAULT_WORDS, GapLevelWords, GapLevelWordsError, level_from_words

BASIC_PHRASINGS = [
    "Vi mangler grundlæggende viden om sygedagpengeloven",
    "grundlæggende viden om komplekse sager og forskning i beskæftigelsesindsatsen",
    "introduktion til evidensbaserede metoder og strategisk kvalitetssikring",
    "basisviden om ressourceforløb, jobafklaring og rehabiliteringsteamets indstillinger",
    "kursus i at analysere og udvikle praksis for nye medarbejdere",
    "alle medarbejdere skal kende reglerne om sanktioner i kontanthjælp",
    "et grundkursus i juridisk metode og forvaltningsret på diplomniveau",
    "intro til digitale værktøjer i jobcentret for nyansatte",
    "basale færdigheder i motiverende samtale",
    "kom godt i gang med LAB-loven",
    "begynderkursus i netværksmøder med borgere",
    "hele teamet skal have et fælles fagligt fundament i rehabilitering",
    # the less experienced: "erfarne sagsbehandlere" inside them had decided specialised
    "mindre erfarne sagsbehandlere skal lære sygedagpengeloven",
    "knap så erfarne kolleger skal kende reglerne om fleksjob",
    "nye jobkonsulenter skal lære om sygedagpenge",  # had been read specialised by the closest courses
    "de mindst erfarne sagsbehandlere skal kende reglerne om ressourceforløb",
    "sagsbehandlere uden erfaring i sygedagpengesager",
]
SPECIALISED_PHRASINGS = [
    "Fordybelse i forvaltningsret for erfarne sagsbehandlere",
    "specialiseret viden om sygedagpengeloven",
    "vi mangler en ressourceperson i digital sagsbehandling",
    "dybdegående viden om de første samtaler med ledige",
    "specialistviden om e-læring og digitale selvbetjeningsløsninger",
    "en nøgleperson der kan rådgive kolleger om fleksjob",
    "avanceret brug af data i opfølgningen på indsatser",
    "indgående kendskab til regler om dagpenge og rådighed",
    "samtaleteknik for erfarne jobkonsulenter",
    "ekspertviden om arbejdsmarkedet og brancherne i regionen",
    "masterclass i virksomhedssamarbejde",
    "sparringspartner for teamet i svære borgersamtaler",
]


# A gap may be written in English: the same decisions, by the list's English phrases.
ENGLISH_BASIC = [
    "we lack basic knowledge of sickness benefit law",
    "an introduction to GDPR in casework for new staff",
    "introductory course on flexjobs for all employees",
    "the fundamentals of motivational interviewing",
    "entry-level training in the employment act for newly hired caseworkers",
]
ENGLISH_SPECIALISED = [
    "advanced labour law for experienced caseworkers",
    "in-depth knowledge of rehabilitation teams",
    "we need a resource person in digital casework",
    "specialised training in job retention for key persons",
    "expert knowledge of the regional labour market",
]


@pytest.mark.parametrize("text", BASIC_PHRASINGS + ENGLISH_BASIC)
def test_basic_level_words_decide(text: str) -> None:
    found = level_from_words(text)
    assert found.level == "grundlaeggende" and found.phrases


@pytest.mark.parametrize("text", SPECIALISED_PHRASINGS + ENGLISH_SPECIALISED)
def test_specialised_level_words_decide(text: str) -> None:
    found = level_from_words(text)
    assert found.level == "specialiseret" and found.phrases


def test_the_phrases_found_are_named_as_written() -> None:
    assert level_from_words("Fordybelse i forvaltningsret for erfarne sagsbehandlere").phrases == ("Fordybelse", "for erfarne")
    assert level_from_words("vi mangler RESSOURCEPERSONER i fleksjob").phrases == ("RESSOURCEPERSONER",)


@pytest.mark.parametrize("text", [
    "fra grundlæggende til specialiseret niveau i beskæftigelsesret",  # both levels: the words do not decide
    "introduktion for erfarne sagsbehandlere til nye regler",
    "mere end det basale om sygedagpenge",  # says what the gap is not
    "ikke kun grundlæggende viden om fleksjob",
    "ud over introduktionen til LAB-loven",
    "behov for nye metoder i samtalen",  # "nye" without the people it is for
    "vi har brug for at blive bedre til netværksmøder",  # no level words at all
    "på basis af data vil vi styrke opfølgningen",  # "basis" here means "based on"
    "nogle metodeansvarlige skal implementere metoder i hele afdelingen",  # where, not who learns
    # the same in English
    "from basic to advanced level in employment law",  # both levels
    "more than the basics of flexjobs",  # says what the gap is not
    "not only basic rules but their use in practice",
    "on the basis of data we want better follow-up",  # "basis" here means "based on"
    "we need better network meetings with citizens",  # no level words
])
def test_words_that_do_not_state_one_level_leave_it_to_the_vote(text: str) -> None:
    assert level_from_words(text).level is None


def test_a_plain_negation_still_asks_for_the_level_it_names() -> None:
    assert level_from_words("vi har ikke den grundlæggende viden om dagpenge").level == "grundlaeggende"


def test_phrases_match_whole_words_only() -> None:
    assert level_from_words("specialkost og kostvejledning").level is None  # not "specialist"
    assert level_from_words("en grundlæggende-viden-workshop").level == "grundlaeggende"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "words.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "problem"), [
    ("grundlaeggende: [basis]\n", "specialiseret"),  # a level missing
    ("grundlaeggende: [basis]\nspecialiseret: []\n", "specialiseret"),  # an empty list
    ("grundlaeggende: [basis, fordybelse]\nspecialiseret: [Fordybelse]\n", "listed under both levels: fordybelse"),
    ("grundlaeggende: ['intro*duktion']\nspecialiseret: [fordybelse]\n", "'*' may only end a phrase"),
    ("grundlaeggende: [basis]\nspecialiseret: [fordybelse]\nniveau: [x]\n", "niveau"),  # an unknown key
    ("grundlaeggende: [basis\n", ":1: YAML syntax error: a bracket that opens here is not closed"),  # not YAML
    # a second list under the same key would silently replace the first
    ("grundlaeggende: [basis]\nspecialiseret: [fordybelse]\ngrundlaeggende: [opfriskning]\n",
     ":3: grundlaeggende: key 'grundlaeggende' appears twice (first on line 1)"),
    ("grundlaeggende: ['(ny|nye) i faget']\nspecialiseret: [fordybelse]\n", "no regular expressions"),
    ("grundlaeggende: ['fra bunden.']\nspecialiseret: [fordybelse]\n", "punctuation at either end never matches"),
    ("grundlaeggende:\n  - basal\n    - basale\nspecialiseret: [fordybelse]\n", "two list items run together"),
    # the item above ends in '*': the indentation is still what is named
    ("grundlaeggende:\n  - grundniveau*\n     - grundkursus\nspecialiseret: [fordybelse]\n", "two list items run together"),
    ("grundlaeggende: [basis]\nspecialiset: [fordybelse]\n",
     ":2: specialiset: unknown key (allowed here: grundlaeggende, specialiseret, not_before, not_level)"),
])
def test_a_bad_level_words_file_is_named_with_its_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(GapLevelWordsError) as raised:
        GapLevelWords.load(path)
    assert str(path) in str(raised.value) and problem in str(raised.value)


def test_a_level_words_file_saved_by_windows_tools_is_read_or_named(tmp_path: Path) -> None:
    text = "grundlaeggende: [grundlæggende]\nspecialiseret: [fordybelse]\n"
    path = tmp_path / "words.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # Notepad's UTF-8, with a byte-order mark
    assert GapLevelWords.load(path).grundlaeggende == ["grundlæggende"]
    path.write_bytes(text.encode("cp1252"))  # Excel's and old editors' Danish default
    with pytest.raises(GapLevelWordsError, match=r"words.yaml:\d+: not UTF-8 text \(byte \d+\); save the file as UTF-8"):
        GapLevelWords.load(path)


def test_the_shipped_file_loads_and_a_missing_one_is_named(tmp_path: Path) -> None:
    words = GapLevelWords.load(DEFAULT_WORDS)
    assert "grundlæggende" in words.grundlaeggende and "fordybelse" in words.specialiseret
    with pytest.raises(GapLevelWordsError, match="cannot read"):
        GapLevelWords.load(tmp_path / "none.yaml")
