"""Tagging throughput on this machine, against the CPU's measured matmul roofline.

Prints courses/s for the full tagger (passage embedding + scoring) and for embedding alone, the
model's FLOPs per course (counted from the real token counts of the passages), and the ratio of
achieved FLOP/s to the FLOP/s a large fp32 matmul reaches here. The product bar: within 2× of the
roofline, i.e. a ratio ≥ 0.5.

Run: .venv/bin/python bench/tagging.py [--courses N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matcher.embeddings import Embedder  # noqa: E402
from matcher.evaluation import load_labels  # noqa: E402
from matcher.tagging import TRAINING_SET, Tagger, passages  # noqa: E402
from matcher.taxonomy import load_taxonomy  # noqa: E402


def matmul_roofline(threads: int, size: int = 2048, repeats: int = 10) -> float:
    """FLOP/s of a large fp32 matmul on ``threads`` threads (the practical peak)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def encoder_flops(tokens: int, layers: int, hidden: int, ff: int) -> float:
    """Multiply-adds ×2 of one BERT-style encoder pass over `tokens` tokens."""
    per_layer = 8 * tokens * hidden**2 + 4 * tokens * hidden * ff + 4 * tokens**2 * hidden
    return layers * per_layer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=300)
    args = parser.parse_args()

    taxonomy = load_taxonomy()
    embedder = Embedder.load()
    labelled = load_labels(TRAINING_SET, taxonomy.field_keys)
    items = (labelled * (args.courses // len(labelled) + 1))[: args.courses]
    tagger = Tagger(taxonomy, embedder).fit(labelled)

    config = embedder.encoder.config()
    tokenizer = embedder.encoder.tokenizer
    # The tagger embeds each course twice: as passages (evidence) and as one text (classification;
    # windows of at most 512 tokens).
    flops = 0.0
    layers, hidden, ff = config.num_hidden_layers, config.hidden_size, config.intermediate_size
    for item in items:
        for passage in passages(item.title, item.text):
            tokens = len(tokenizer("passage: " + passage)["input_ids"])
            flops += encoder_flops(tokens, layers, hidden, ff)
        whole = len(tokenizer(f"passage: {item.title}. {item.text}")["input_ids"])
        while whole > 0:
            flops += encoder_flops(min(whole, 512), layers, hidden, ff)
            whole -= 450  # the embedder's windows overlap by about 50 tokens
    flops_per_course = flops / len(items)

    tagger.tag(items[:16])  # warm-up
    start = time.perf_counter()
    tagger.tag(items)
    tag_seconds = time.perf_counter() - start

    flat = [p for item in items for p in passages(item.title, item.text)]
    start = time.perf_counter()
    embedder.embed_passages(flat)
    embedder.embed_passages([f"{item.title}. {item.text}" for item in items])
    embed_seconds = time.perf_counter() - start

    roofline = matmul_roofline(embedder.encoder.threads)
    achieved = flops_per_course * len(items) / embed_seconds
    figures = {
        "engine": type(embedder.encoder).__name__,
        "threads": embedder.encoder.threads,
        "courses": len(items),
        "passages_per_course": round(len(flat) / len(items), 2),
        "tagging_courses_per_s": round(len(items) / tag_seconds, 1),
        "embedding_courses_per_s": round(len(items) / embed_seconds, 1),
        "gflop_per_course": round(flops_per_course / 1e9, 2),
        "achieved_gflop_per_s": round(achieved / 1e9, 1),
        "matmul_roofline_gflop_per_s": round(roofline / 1e9, 1),
        "ratio_to_roofline": round(achieved / roofline, 3),
    }
    for key, value in figures.items():
        print(f"{key:>30}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
