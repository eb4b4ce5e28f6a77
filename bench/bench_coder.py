"""Benchmark the theme coder.

1. Generates N responses of about 30 words (realistic sentences built from a
   vocabulary, fixed seed) into a CSV file.
2. Times the whole ``python -m analysis code`` process on it (start-up and CSV
   I/O included) and reports responses/second and the child's peak memory
   (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``).
3. Times single-response coding latency in this process (median and p99 ms).

Usage: python bench/bench_coder.py [--rows 200000] [--seed 42] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import machine

ROOT = Path(__file__).resolve().parent.parent

OPENERS = [
    "I think",
    "Honestly",
    "Round here",
    "In my opinion",
    "To be honest",
    "My son says",
    "People say",
    "From what I see",
    "As a parent",
    "As a youth worker",
    "Where I live",
    "Most young people",
]
SUBJECTS = [
    "young people",
    "the kids on the estate",
    "teenagers",
    "lads from the next postcode",
    "my friends",
    "the older boys",
    "some parents",
    "the police",
    "the council",
    "local schools",
    "people in the area",
]
VERBS = [
    "carry knives because they are scared",
    "want respect on the street",
    "get groomed into county lines",
    "have nothing to do after school",
    "need somewhere safe to go",
    "feel unsupported",
    "never see an officer",
    "post drill videos online",
    "get excluded from school",
    "want quick money",
    "are worried about their children",
    "lost a friend to a stabbing",
    "think carrying is normal",
    "avoid the park after dark",
    "need jobs and training",
    "could volunteer their time",
    "should work together and share information",
    "need mentors and role models",
    "struggle with anxiety and trauma",
    "blame the parents for a lack of discipline",
    "run the youth club",
]
TAILS = [
    "and nothing really changes.",
    "so something has to be done.",
    "which makes everyone feel unsafe.",
    "and the community wants to help.",
    "but nobody listens to us.",
    "and it has been like this for years.",
    "especially at the weekends.",
    "in the city centre and in Braunstone.",
    "since the centre closed down.",
    "and families are torn apart.",
    "because there is no money.",
    "and the street lights are broken.",
]
QUESTIONS = ["what_where", "why", "impact", "help"]


def make_response(rng: random.Random) -> str:
    """One response of roughly 30 words: two clauses built from the vocabulary."""
    parts = []
    for _ in range(2):
        parts.append(
            f"{rng.choice(OPENERS)} {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(TAILS)}"
        )
    return " ".join(parts)


def generate(path: Path, rows: int, seed: int) -> float:
    """Write ``rows`` responses to ``path``; return the mean word count."""
    rng = random.Random(seed)
    words = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "question", "text"])
        for i in range(rows):
            text = make_response(rng)
            words += len(text.split())
            w.writerow([i, rng.choice(QUESTIONS), text])
    return words / max(rows, 1)


def main() -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--latency-samples", type=int, default=2000)
    ap.add_argument("--keep", help="directory to keep the generated files in")
    args = ap.parse_args()

    tmpdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_coder_"))
    tmpdir.mkdir(parents=True, exist_ok=True)
    src = tmpdir / "responses.csv"
    out = tmpdir / "coded.csv"
    mean_words = generate(src, args.rows, args.seed)
    print(machine.describe())
    print(
        f"generated {args.rows:,} responses, mean {mean_words:.1f} words, "
        f"{src.stat().st_size / 1e6:.1f} MB"
    )

    cmd = [
        sys.executable,
        "-m",
        "analysis",
        "code",
        "--input",
        str(src),
        "--output",
        str(out),
        "--question-column",
        "question",
        "--quiet",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"code command failed with status {proc.returncode}", file=sys.stderr)
        return 1
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(
        f"whole process: {elapsed:.2f} s, {args.rows / elapsed:,.0f} responses/s, "
        f"peak RSS {peak_kib / 1024:.0f} MiB"
    )

    sys.path.insert(0, str(ROOT))
    import analysis

    t0 = time.perf_counter()
    coder = analysis.load_coder()
    print(f"load_coder(): {(time.perf_counter() - t0) * 1000:.0f} ms ({coder.version})")
    rng = random.Random(args.seed + 1)
    samples = [make_response(rng) for _ in range(args.latency_samples)]
    # fresh words defeat the stem cache: measure the worst case too
    fresh = [s + f" zq{i}x" for i, s in enumerate(samples)]
    for label, texts in (("single response", samples), ("single response, unseen words", fresh)):
        times = []
        for text in texts:
            t = time.perf_counter()
            coder.code(text, question="why")
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(
            f"{label}: median {statistics.median(times):.3f} ms, "
            f"p99 {p99:.3f} ms, max {times[-1]:.3f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
