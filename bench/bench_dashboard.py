"""Dashboard benchmark: the strategy team's pages over 100,000 coded responses.

Builds a fresh database, loads the reference and demo data, then
`flask demo bulk --responses N` (sessions and survey answers, all coded by
the real coder). Then, in one process signed in as the demo strategy user,
it times each page as the server produces it (the WSGI call, rendering and
the whole streamed body included; no network): the median of several runs.

Targets (issue 5, at 100,000 responses): overview under 1 s; theme page under
0.5 s; report under 5 s; CSV export of 100,000 rows under 10 s in flat memory.

    .venv/bin/python bench/bench_dashboard.py                      # SQLite
    .venv/bin/python bench/bench_dashboard.py --database postgresql://postgres@127.0.0.1/bench_dashboard
    .venv/bin/python bench/bench_dashboard.py --database postgresql://... --reuse   # no rebuild

`--reuse` times the pages on a database an earlier run built (PostgreSQL, or
the SQLite file given with --sqlite-file), after bringing its schema up to
date with the migrations; without it every run builds a fresh database.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import machine

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STRATEGY = ("strategy@demo.community-voice.org.uk", "demo-strategy-pass-2026")


def prepare(url: str, env: dict[str, str], responses: int) -> float:
    """Build the database; return the seconds `flask demo bulk` took."""
    if url.startswith("postgres"):
        import sqlalchemy as sa

        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    flask = str(ROOT / ".venv" / "bin" / "flask")
    for step in (["db", "upgrade"], ["reference", "load"], ["demo", "load"]):
        subprocess.run([flask, *step], cwd=ROOT, env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        [flask, "demo", "bulk", "--responses", str(responses)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


class RssSampler:
    """Samples this process's resident memory every few milliseconds, keeping the peak."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss() -> int:
        """Return the resident set size in bytes (Linux)."""
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.005)

    def __enter__(self) -> RssSampler:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    """Build the data, time each page, print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", help="PostgreSQL URL (its schema is dropped); default SQLite")
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs per page (the median is shown)")
    parser.add_argument(
        "--sqlite-file", type=Path, help="keep the SQLite database in this file (default: a temp)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the pages on the database an earlier run built; do not rebuild it",
    )
    parser.add_argument(
        "--no-exports", action="store_true", help="time the pages only, not the two exports"
    )
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="dashboard-bench-")
    sqlite_file = args.sqlite_file.resolve() if args.sqlite_file else Path(folder) / "bench.db"
    url = args.database or f"sqlite:///{sqlite_file}"
    if args.reuse and not args.database and not args.sqlite_file:
        parser.error("--reuse needs --database or --sqlite-file (the database to reuse)")
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "RATELIMIT_ENABLED": "false",
    }
    env.pop("REDIS_URL", None)
    if args.reuse:
        flask = str(ROOT / ".venv" / "bin" / "flask")
        subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        load_seconds = None
    else:
        for suffix in ("", "-wal", "-shm") if not args.database else ():
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        load_seconds = prepare(url, env, args.responses)
    os.environ.update({k: v for k, v in env.items() if k != "FLASK_APP"})
    sys.path.insert(0, str(ROOT))
    from app import create_app

    app = create_app()
    client = app.test_client()
    token = CSRF.search(client.get("/sign-in").get_data(as_text=True))
    assert token, "no CSRF token on the sign-in page"
    signed = client.post(
        "/sign-in",
        data={"email": STRATEGY[0], "password": STRATEGY[1], "csrf_token": token.group(1)},
    )
    assert signed.status_code == 302, "could not sign in as the demo strategy user"

    with app.app_context():
        import sqlalchemy as sa

        from app.extensions import db
        from app.models import Area, Response

        total = db.session.scalar(sa.select(sa.func.count(Response.id)))
        area_id = db.session.scalar(sa.select(Area.id).order_by(Area.position))
        db.session.remove()

    pages = [
        ("overview", "/dashboard/", 1.0),
        ("overview, one area", f"/dashboard/?area={area_id}", 1.0),
        ("overview, survey only", "/dashboard/?source=survey", 1.0),
        ("theme page", "/dashboard/themes/fear", 0.5),
        ("theme page, one area", f"/dashboard/themes/fear?area={area_id}", 0.5),
        ("report (web page)", "/dashboard/report", 5.0),
        ("report (PDF)", "/dashboard/report.pdf", 5.0),
        ("summary tables (XLSX)", "/dashboard/export/summary.xlsx", None),
    ]
    # One untimed view first: templates compile and the coder loads once per process.
    client.get("/dashboard/")
    print(machine.describe())
    print(f"database:               {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}")
    loaded = (
        "reused an earlier run's database"
        if load_seconds is None
        else f"{args.responses} loaded and coded in {load_seconds:.1f} s"
    )
    print(f"responses:              {total} ({loaded})")
    print(f"{'page':<28}{'median':>10}{'target':>10}")
    for name, path, target in pages:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(path)
            body = response.get_data()
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
            assert body
        verdict = (
            "" if target is None else ("  OK" if statistics.median(times) < target else "  SLOW")
        )
        limit = f"< {target:g} s" if target is not None else ""
        print(f"{name:<28}{statistics.median(times):>9.2f}s{limit:>10}{verdict}")

    for file_format, target in () if args.no_exports else (("csv", 10.0), ("xlsx", None)):
        with RssSampler() as sampler:
            before = sampler.rss()
            started = time.perf_counter()
            response = client.get(f"/dashboard/export/responses.{file_format}")
            size = 0
            rows = 0
            for chunk in response.response:  # streamed: read it as a browser would
                size += len(chunk)
                rows += chunk.count(b"\r\n") if file_format == "csv" else 0
            elapsed = time.perf_counter() - started
            response.close()
        assert response.status_code == 200
        grew = (sampler.peak - before) / 2**20
        verdict = "" if target is None else ("  OK" if elapsed < target else "  SLOW")
        limit = f"< {target:g} s" if target is not None else ""
        shown = f"{rows - 1} rows, " if file_format == "csv" else ""
        print(
            f"{'export ' + file_format.upper():<28}{elapsed:>9.2f}s{limit:>10}{verdict}"
            f"   ({shown}{size / 2**20:.1f} MiB, memory grew {grew:.0f} MiB)"
        )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
