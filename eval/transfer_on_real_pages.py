"""The transfer note's design factors as fagmatch reads them from real course pages, against blind labels.

Each page becomes a course record as a crawl gives it: its title, its text as the description, its
type and ECTS, and the learning goals the crawler's parser reads where the text has a goal heading.
`assess_transfer` reads it in no team context; each factor it finds is compared with the labels
(eval/transfer-labels-real.jsonl, labelled by eval/transfer-rubric.md), and its score is compared with
the labellers' overall judgement (0-3) by rank correlation.

Usage: python eval/transfer_on_real_pages.py PAGES.jsonl [LABELS.jsonl] [--half dev|held_out]

PAGES is ../shared/real-courses/labelled.jsonl (its texts stay outside the repository); LABELS holds
ids, factor labels and the half each page's provider fell into, and the second labeller's labels where
a page was labelled twice.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from crawler.parsers import has_goal_heading, parse_learning_goals  # noqa: E402
from matcher.course import Course  # noqa: E402
from matcher.taxonomy import load_taxonomy  # noqa: E402
from matcher.transfer import TransferContext, assess_transfer, default_cues  # noqa: E402

FACTORS = ("praksiskobling", "vekslen", "supervision_feedback", "traening_i_transfer", "aktionslaering",
           "laeringsmaal", "refleksion")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def as_course(page: dict) -> Course:
    """The page as a crawled course record."""
    text = page["text"]
    return Course.model_validate({
        "id": page["id"], "url": page.get("url"), "provider": page.get("provider"), "title": page["title"],
        "description": text, "course_type": page.get("course_type"), "ects": page.get("ects"),
        "learning_goals": parse_learning_goals(text) if has_goal_heading(text) else [],
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", type=Path)
    parser.add_argument("labels", type=Path, nargs="?", default=ROOT / "eval" / "transfer-labels-real.jsonl")
    parser.add_argument("--half", choices=("dev", "held_out"))
    args = parser.parse_args()
    pages = {page["id"]: page for page in read_jsonl(args.pages)}
    labels = [row for row in read_jsonl(args.labels) if args.half in (None, row["half"])]
    if missing := [row["id"] for row in labels if row["id"] not in pages]:
        sys.exit(f"error: {len(missing)} labelled page(s) not in {args.pages}, e.g. {missing[0]}")
    taxonomy, cues = load_taxonomy(), default_cues()
    found = {}
    for row in labels:
        assessment = assess_transfer(as_course(pages[row["id"]]), TransferContext(), taxonomy, cues)
        found[row["id"]] = ({f.key for f in assessment.factors_present}, assessment.score)

    print(f"{len(labels)} pages{f' ({args.half})' if args.half else ''}")
    print(f"{'factor':<22}{'labelled':>9}{'found':>7}{'P':>7}{'R':>7}{'F1':>7}")
    f1s = []
    for key in FACTORS:
        gold = [bool(row[key]) for row in labels]
        read = [key in found[row["id"]][0] for row in labels]
        p, r, f1, _ = precision_recall_fscore_support(gold, read, average="binary", zero_division=0)
        f1s.append(f1)
        print(f"{key:<22}{sum(gold):>9}{sum(read):>7}{p:>7.2f}{r:>7.2f}{f1:>7.2f}")
    print(f"macro-F1 {sum(f1s) / len(f1s):.3f}")
    rho = spearmanr([row["overall"] for row in labels], [found[row["id"]][1] for row in labels]).statistic
    print(f"transfer score against the labellers' overall judgement: Spearman {rho:.3f}")

    twice = [row for row in labels if "second" in row]
    if twice:
        print(f"two labellers on {len(twice)} pages (agreeing pages; kappa where both classes occur):")
        for key in FACTORS:
            a, b = [bool(row[key]) for row in twice], [bool(row["second"][key]) for row in twice]
            kappa = f"{cohen_kappa_score(a, b):.2f}" if len(set(a + b)) > 1 else "—"
            print(f"  {key:<22}{sum(x == y for x, y in zip(a, b)):>4}/{len(twice)}  kappa {kappa}")


if __name__ == "__main__":
    main()
