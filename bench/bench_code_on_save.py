"""Benchmark: what coding adds to saving one response (target: under 5 ms).

Saves a one-point response 300 times on a fresh SQLite database and times
`app.coding.code_responses` for it: the theme coder, the safeguarding
detector and the writes of codes and flags, inside the request's transaction.
Prints the median and 95th percentile.

    .venv/bin/python bench/bench_code_on_save.py
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEXTS = [
    "Young people carry knives for protection because they are scared of being jumped",
    "There is nothing for teenagers to do round here since the youth club shut",
    "Older boys groom the younger ones to run drugs on county lines",
    "Parents are worried sick and keep their kids in after dark",
    "We need mentors with lived experience and more police on the estate",
    "Drill videos on social media make carrying a blade look normal",
]


def main() -> None:
    """Run the benchmark and print its figures."""
    folder = tempfile.mkdtemp()
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
    from flask_migrate import upgrade

    from app import create_app
    from app.coding import ResponseText, code_responses, current_coder
    from app.extensions import db
    from app.models import Response
    from app.reference_data import load_reference_data

    app = create_app("development")
    rng = random.Random(7)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_reference_data()
        db.session.commit()
        current_coder().code("warm up the coder", "why")
        timings = []
        for _ in range(300):
            text = rng.choice(TEXTS)
            response = Response(source="session", question_id="why", text=text)
            db.session.add(response)
            db.session.flush()
            started = time.perf_counter()
            code_responses([ResponseText(response.id, text, "why")])
            db.session.flush()
            timings.append((time.perf_counter() - started) * 1000)
            db.session.commit()
    timings.sort()
    print("coding added to saving one response (theme coder + safeguarding + writes):")
    print(f"  median: {statistics.median(timings):.2f} ms")
    print(f"  p95:    {timings[int(len(timings) * 0.95)]:.2f} ms  (target: under 5 ms)")


if __name__ == "__main__":
    main()
