"""Load benchmark: residents completing the whole survey against gunicorn.

Starts gunicorn (2 sync workers, as the README's production command runs
it: on these machines threads cost more in hand-offs between them than they
gain) on a fresh database, then runs N concurrent respondents for a fixed
time. Each respondent opens the start page, answers every page (GET then
POST, as a browser does), checks their answers, sends them and opens the
confirmation page, then starts again as a new respondent. The respondents
are spread over several client processes (--client-processes), as a crowd
of phones is not one Python interpreter. At the end it counts the
submissions in the database: there must be exactly one per completed survey.

Targets (issue 4): at least 50 completed surveys per second sustained for
60 s with 50 concurrent respondents, 0 errors, one submission per survey.

    .venv/bin/python bench/bench_survey_load.py                    # SQLite
    .venv/bin/python bench/bench_survey_load.py --database postgresql://postgres@127.0.0.1/bench_survey

The per-address rate limits are switched off for the run (every simulated
respondent comes from 127.0.0.1); everything else is as in production.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import machine

ROOT = Path(__file__).resolve().parent.parent
SURVEY = "/survey/have-your-say"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REFERENCE = re.compile(r"CV-[A-Z0-9]{4}-[A-Z0-9]{4}")

ANSWERS: list[tuple[str, list[tuple[str, str]]]] = [
    ("area", [("area", "highfields")]),
    ("connection", [("connection", "live"), ("connection", "study")]),
    ("age", [("age_band", "18-24")]),
    (
        "what-where",
        [("what_where", "Fights by the park after school and robberies at the bus station")],
    ),
    (
        "why",
        [("why", "People carry knives for protection because they are scared of being jumped")],
    ),
    (
        "impact",
        [("impact", "Parents keep their children inside after dark and people avoid the park")],
    ),
    (
        "help",
        [("help", "Open the youth club in the evenings and more mentors with lived experience")],
    ),
    ("safety", [("safe_day", "4"), ("safe_after_dark", "2")]),
    ("about-you", [("gender", "woman"), ("ethnic_group", "asian-indian")]),
    ("contact", []),
]


@dataclass
class Stats:
    """What the respondents saw, shared between threads."""

    completed: int = 0
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    page_times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class ResponseError(Exception):
    """The server's answer could not be read as HTTP."""


class Respondent:
    """One browser: a connection (kept while the server allows) and a cookie.

    HTTP is written and read here directly on the socket rather than with
    http.client, which parses headers with the email package. On a shared
    2-core machine the client's CPU is taken from the server being measured:
    this halved the client's CPU, from about a quarter of the server's to
    about an eighth.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.cookie = ""
        self.times: list[float] = []

    def _close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _read_response(self, sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
        """Read one response: status, headers (lower-case names, first of each) and body."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise ResponseError("connection closed before the headers")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        if "content-length" not in headers:
            raise ResponseError(f"no Content-Length (status {status})")
        length = int(headers["content-length"])
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ResponseError("connection closed in the body")
            body += chunk
        return status, headers, body[:length]

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, str]:
        """Send one request; return status, body and Location."""
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        if self.cookie:
            lines.append(f"Cookie: {self.cookie}")
        payload = b""
        if body is not None:
            payload = body.encode()
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(payload)}",
            ]
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        started = time.perf_counter()
        try:
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.sendall(message)
            status, headers, content = self._read_response(self.sock)
        except (OSError, ValueError, ResponseError):
            self._close()
            raise
        if headers.get("connection", "").lower() == "close":
            self._close()  # at once: a sync worker waits for it
        self.times.append(time.perf_counter() - started)
        cookie = headers.get("set-cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return status, content.decode("utf-8", "replace"), headers.get("location", "")

    def complete_survey(self) -> None:
        """Answer the whole survey; raise AssertionError on anything unexpected."""
        self.cookie = ""
        status, _, _ = self.request("GET", f"{SURVEY}/")
        assert status == 200, f"start page {status}"
        for page_id, fields in ANSWERS:
            status, html, _ = self.request("GET", f"{SURVEY}/{page_id}")
            assert status == 200, f"GET {page_id}: {status}"
            token = CSRF.search(html)
            assert token, f"no CSRF token on {page_id}"
            body = urllib.parse.urlencode([*fields, ("csrf_token", token.group(1))])
            status, _, location = self.request("POST", f"{SURVEY}/{page_id}", body)
            assert status == 302, f"POST {page_id}: {status}"
        status, html, _ = self.request("GET", f"{SURVEY}/check-your-answers")
        assert status == 200, f"check your answers {status}"
        token = CSRF.search(html)
        assert token, "no CSRF token on check your answers"
        body = urllib.parse.urlencode([("csrf_token", token.group(1))])
        status, _, location = self.request("POST", f"{SURVEY}/check-your-answers", body)
        assert status == 302 and location.endswith("/confirmation"), f"submit {status}"
        status, html, _ = self.request("GET", f"{SURVEY}/confirmation")
        assert status == 200 and REFERENCE.search(html), f"confirmation {status}"


def respondent_loop(port: int, deadline: float, stats: Stats) -> None:
    """Start surveys one after another until the deadline, finishing the last one."""
    respondent = Respondent(port)
    while time.monotonic() < deadline:
        try:
            respondent.complete_survey()
        except (AssertionError, OSError, ValueError, ResponseError) as problem:
            with stats.lock:
                stats.errors += 1
                if len(stats.error_examples) < 5:
                    stats.error_examples.append(str(problem))
            continue
        with stats.lock:
            stats.completed += 1
    with stats.lock:
        stats.page_times.extend(respondent.times)


def client_process(
    port: int, deadline: float, respondents: int, results: multiprocessing.Queue[Any]
) -> None:
    """Run `respondents` threads in this process; send back what they saw and the CPU used."""
    stats = Stats()
    threads = [
        threading.Thread(target=respondent_loop, args=(port, deadline, stats))
        for _ in range(respondents)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put(
        (
            stats.completed,
            stats.errors,
            stats.error_examples,
            stats.page_times,
            usage.ru_utime + usage.ru_stime,
        )
    )


def run_clients(
    port: int, deadline: float, respondents: int, processes: int
) -> tuple[Stats, float]:
    """Spread the respondents over several processes; return their stats and CPU seconds.

    gunicorn's sync worker waits for the client to close each connection
    (RFC 9112's graceful close). Fifty respondents in one Python process
    queue for its one interpreter lock, so they close late and leave the
    workers idle, which a proxy such as nginx in front of gunicorn would not.
    """
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[Any] = context.Queue()
    shares = [respondents // processes + (i < respondents % processes) for i in range(processes)]
    workers = [
        context.Process(target=client_process, args=(port, deadline, share, results))
        for share in shares
        if share
    ]
    for worker in workers:
        worker.start()
    stats = Stats()
    cpu = 0.0
    for _ in workers:
        completed, errors, examples, times, seconds = results.get()
        stats.completed += completed
        stats.errors += errors
        stats.error_examples.extend(examples[: 5 - len(stats.error_examples)])
        stats.page_times.extend(times)
        cpu += seconds
    for worker in workers:
        worker.join()
    return stats, cpu


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, timeout: float = 30) -> None:
    """Wait until the server answers its health check."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("the server did not start")


def prepare_database(url: str, env: dict[str, str]) -> None:
    """Empty the database and build the schema and reference data."""
    if url.startswith("postgres"):
        import sqlalchemy as sa

        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    flask = str(ROOT / ".venv" / "bin" / "flask")
    for step in (["db", "upgrade"], ["reference", "load"]):
        subprocess.run([flask, *step], cwd=ROOT, env=env, check=True, capture_output=True)


def count_submissions(url: str) -> int:
    """Return the number of survey submissions in the database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        number = connection.execute(sa.text("SELECT count(*) FROM survey_submissions")).scalar()
    engine.dispose()
    return int(number or 0)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", help="PostgreSQL URL (its schema is dropped); default SQLite")
    parser.add_argument("--respondents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--worker-class",
        default="sync",
        help="gunicorn worker class (default sync, as README's production command runs it)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=5,
        help="processes the respondents are spread over (default 5)",
    )
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="survey-bench-")
    url = args.database or f"sqlite:///{folder}/bench.db"
    port = free_port()
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "RATELIMIT_ENABLED": "false",
    }
    env.pop("REDIS_URL", None)
    prepare_database(url, env)
    # The flask commands above are children too: count only gunicorn's CPU.
    prepared = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            # gunicorn quietly swaps sync workers for gthread when given threads.
            *(["--threads", str(args.threads)] if args.worker_class == "gthread" else []),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(port)
        Respondent(port).complete_survey()  # warm both the coder and the templates
        started = time.monotonic()
        stats, client_seconds = run_clients(
            port, started + args.seconds, args.respondents, args.client_processes
        )
        elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    own = resource.getrusage(resource.RUSAGE_SELF)
    client_seconds += own.ru_utime + own.ru_stime
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The client processes are children too: count only gunicorn.
    server_seconds = (
        (children.ru_utime + children.ru_stime)
        - (prepared.ru_utime + prepared.ru_stime)
        - (client_seconds - own.ru_utime - own.ru_stime)
    )
    stored = count_submissions(url) - 1  # less the warm-up survey
    times = sorted(stats.page_times)
    p95 = times[int(len(times) * 0.95)] * 1000 if times else float("nan")
    print(machine.describe())
    print(f"database:              {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}")
    per_worker = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    print(f"gunicorn:              {args.workers} {args.worker_class} workers{per_worker}")
    print(f"respondents:           {args.respondents} concurrent for {elapsed:.0f} s")
    print(f"completed surveys:     {stats.completed}")
    print(f"surveys per second:    {stats.completed / elapsed:.1f}  (target: at least 50)")
    print(f"requests:              {len(times)} ({len(times) / elapsed:.0f} per second)")
    print(f"page time p50 / p95:   {statistics.median(times) * 1000:.1f} ms / {p95:.1f} ms")
    print(f"errors:                {stats.errors}  (target: 0)")
    print(
        f"cpu seconds:           server {server_seconds:.1f}, "
        f"load client {client_seconds:.1f} "
        f"(of {elapsed * (os.cpu_count() or 1):.0f} available on {os.cpu_count()} cores)"
    )
    if stats.completed:
        server_ms = server_seconds / (stats.completed + 1) * 1000
        print(f"server cpu per survey:  {server_ms:.1f} ms")
    for example in stats.error_examples:
        print(f"  e.g. {example}")
    verdict = "OK" if stored == stats.completed else "MISMATCH"
    print(f"submissions stored:    {stored}  ({verdict}: one per completed survey)")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
