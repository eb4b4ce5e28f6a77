"""Benchmark safeguarding detection and personal-data redaction.

Generates N responses (default 20,000; fixed seed) of one to four sentences mixing
opinions, recounted past events, risk disclosures and contact details (names, phones,
e-mails, postcodes, addresses), then times ``detect_safeguarding`` and ``redact`` on each
response in this process and prints the mean, median, p95, p99 and max per-response time,
plus how many responses were flagged / had something redacted.

Usage: python bench/bench_safeguarding_redaction.py [--rows 20000] [--seed 42]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.redaction import redact  # noqa: E402
from analysis.safeguarding import detect_safeguarding  # noqa: E402

OPINIONS = [
    "We need more youth clubs in {area}.",
    "People carry knives for protection because they are scared.",
    "There is nothing for kids to do after school round here.",
    "The police don't listen to young people in {area}.",
    "Parents need more support, not blame.",
    "Social media makes everything worse, honestly.",
    "I think it's about poverty and lack of jobs.",
    "Stop and search just makes kids hate the police.",
    "More mentors with lived experience would help.",
    "The council cut the funding for the youth centre.",
    "It's normal now, nobody reacts when someone gets stabbed.",
    "I don't feel safe walking through {area} at night.",
]
PAST = [
    "My cousin was stabbed in 2019.",
    "I used to carry a knife when I was 15 but I stopped.",
    "Three years ago a lad pulled a knife on me at the bus station.",
    "My son was groomed years ago but he is doing well now.",
]
RISK = [
    "I'm going to stab him when he comes out of school.",
    "My brother has a knife in his bag right now.",
    "Older boys keep making my son hold packages for them.",
    "I don't want to be here anymore.",
    "they said they'll hurt my little sister if I don't",
    "gonna get him tomorrow",
]
NAMES = ["Jamal", "Priya Patel", "Mrs Begum", "Tyrone", "Agnieszka", "Abdi", "Kwame", "Siobhan"]
AREAS = ["Belgrave", "Braunstone", "Beaumont Leys", "New Parks", "Saffron", "Highfields"]
CONTACT = [
    "Call me on 07700 900{n:03d}.",
    "My email is person{n}@example.com.",
    "We live at {n} Melton Road, LE4 6BX.",
    "My son {name} goes to the club on Belgrave Gate.",
    "Ask {name} on (0116) 249 6{n:03d}.",
    "Postcode le{d}5ab.",
]


def generate(rows: int, seed: int) -> list[str]:
    """Generate ``rows`` synthetic responses."""
    rng = random.Random(seed)
    out = []
    for _ in range(rows):
        parts = []
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.55:
                template = rng.choice(OPINIONS)
            elif roll < 0.7:
                template = rng.choice(PAST)
            elif roll < 0.8:
                template = rng.choice(RISK)
            else:
                template = rng.choice(CONTACT)
            parts.append(
                template.format(
                    area=rng.choice(AREAS),
                    n=rng.randint(1, 999),
                    d=rng.randint(1, 9),
                    name=rng.choice(NAMES),
                )
            )
        out.append(" ".join(parts))
    return out


def time_each(func: Callable[[str], object], texts: list[str]) -> list[float]:
    """Per-call wall time in milliseconds."""
    timings = []
    clock = time.perf_counter
    for text in texts:
        start = clock()
        func(text)
        timings.append((clock() - start) * 1000.0)
    return timings


def report(label: str, timings: list[float]) -> None:
    """Print summary statistics for one function."""
    ordered = sorted(timings)
    n = len(ordered)
    print(
        f"{label:22s} mean {statistics.fmean(ordered):.4f} ms  median {ordered[n // 2]:.4f} ms  "
        f"p95 {ordered[int(n * 0.95)]:.4f} ms  p99 {ordered[int(n * 0.99)]:.4f} ms  "
        f"max {ordered[-1]:.3f} ms  total {sum(ordered) / 1000:.2f} s"
    )


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    texts = generate(args.rows, args.seed)
    mean_len = statistics.fmean(len(t) for t in texts)
    print(f"{len(texts)} responses, mean {mean_len:.0f} characters")
    # Warm up (loads the name lists and compiles the patterns).
    detect_safeguarding(texts[0])
    redact(texts[0])

    report("detect_safeguarding", time_each(detect_safeguarding, texts))
    report("redact", time_each(redact, texts))
    flagged = sum(detect_safeguarding(t).flagged for t in texts)
    redacted = sum(bool(redact(t).spans) for t in texts)
    print(f"flagged {flagged}/{len(texts)}; something redacted in {redacted}/{len(texts)}")


if __name__ == "__main__":
    main()
