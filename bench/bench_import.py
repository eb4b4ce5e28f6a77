"""Benchmark: import 10,000 rows of session notes (target: under 10 s).

Builds a fresh database (SQLite in a temporary folder, or PostgreSQL when
BENCH_DATABASE_URL is set: its schema is dropped and rebuilt), writes a
10,000-row CSV of 500 sessions across the eight areas, then times
`flask sessions import FILE` as a whole process (start-up included) and the
import itself in-process. Prints the figures.

    .venv/bin/python bench/bench_import.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.reference import QUESTION_IDS as QUESTIONS  # noqa: E402
from app.reference_data import read_codebook  # noqa: E402
from app.sessions.importing import IMPORT_COLUMNS  # noqa: E402

AREAS: list[str] = read_codebook()["areas"]
PHRASES = [
    "young people feel unsafe walking home past the park after dark",
    "older lads are recruiting kids outside the chicken shop on the main road",
    "there is nothing for teenagers to do in the evenings since the youth club closed",
    "parents are worried and keep their children inside",
    "people carry knives because they think everyone else does",
    "more mentors with lived experience would make a difference",
    "the underpass needs better lighting and CCTV",
    "schools should teach the consequences of carrying a blade",
]


def write_csv(path: Path, rows: int) -> None:
    """Write `rows` rows of realistic notes, 20 points per session."""
    rng = random.Random(42)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_COLUMNS)
        for index in range(rows):
            session = index // 20
            writer.writerow(
                [
                    f"BENCH-{session:05d}",
                    AREAS[session % 8],
                    f"{1 + session % 28:02d}/03/2026",
                    "Community centre",
                    "residents",
                    10 + session % 30,
                    "Bench Facilitator",
                    QUESTIONS[index % 4],
                    f"{rng.choice(PHRASES)} ({index})",
                ]
            )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_file = Path(folder) / "notes.csv"
        write_csv(data_file, args.rows)
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
        env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": url, "APP_ENV": "development"}
        if url.startswith("postgres"):
            import sqlalchemy as sa

            engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
            engine.dispose()
        flask = [str(ROOT / ".venv" / "bin" / "flask")]
        for step in (["db", "upgrade"], ["reference", "load"]):
            subprocess.run(flask + step, cwd=ROOT, env=env, check=True, capture_output=True)
        started = time.perf_counter()
        result = subprocess.run(
            [*flask, "sessions", "import", str(data_file)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"import failed: {result.stderr.strip()[:2000]}")
        database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        print(f"database:          {database}")
        print(f"rows imported:     {args.rows:,}")
        print(f"output:            {result.stdout.strip()}")
        print(f"whole process:     {elapsed:.2f} s  (target: under 10 s)")
        print(f"rows per second:   {args.rows / elapsed:,.0f}")


if __name__ == "__main__":
    main()
