"""Command line: ``python -m analysis code|evaluate|train``.

Every command streams its CSV input (memory stays flat however many rows),
draws a progress bar on stderr, and on malformed input prints one ``error:``
line and exits with status 2.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from . import DEFAULT_MODEL, QUESTIONS, build_coder, load_codebook
from .codebook import DATA_DIR, CodebookError
from .coder import Coder
from .combine import DEFAULT_SETTINGS, INNER_FOLDS, PreparedText, learn_settings
from .evaluate import (
    DEFAULT_PRIOR_STRENGTH,
    LabelledText,
    Scorer,
    cross_validate,
    score,
    training_examples,
)
from .model import (
    NaiveBayesCounts,
    ThemeModel,
    extract_features,
    train_logistic,
    with_pattern_stats,
)

DEFAULT_EXAMPLES = DATA_DIR / "examples.csv"
LOGISTIC_MAX_BYTES = 8 * 1024 * 1024
csv.field_size_limit(16 * 1024 * 1024)


class InputError(Exception):
    """Malformed input: reported as one line, exit status 2."""


class _CountingReader(io.RawIOBase):
    """Binary reader that counts bytes consumed (for the progress bar)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        return n


class Progress:
    """A simple stderr progress bar (bytes of input read, rows done, rate)."""

    def __init__(self, label: str, total_bytes: int, enabled: bool = True) -> None:
        self.label = label
        self.total = max(total_bytes, 1)
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = 0.0
        self.rows = 0

    def update(self, done_bytes: int, rows: int, force: bool = False) -> None:
        """Redraw at most every 0.2 s (or when ``force``)."""
        self.rows = rows
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        frac = min(done_bytes / self.total, 1.0)
        width = 30
        fill = int(frac * width)
        rate = rows / max(now - self.start, 1e-9)
        sys.stderr.write(
            f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {frac * 100:5.1f}% "
            f"{rows:,} rows {rate:,.0f}/s"
        )
        sys.stderr.flush()

    def close(self, done_bytes: int, rows: int) -> None:
        """Final redraw and newline."""
        self.update(done_bytes, rows, force=True)
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _open_csv(path: str) -> tuple[IO[bytes], _CountingReader, Iterator[list[str]], list[str], int]:
    """Open a CSV file for streaming; return (file, counter, row iterator, header, size)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"{path}: file is empty")
    fh = open(p, "rb")  # noqa: SIM115 - closed by the caller
    counter = _CountingReader(fh)
    text = io.TextIOWrapper(
        io.BufferedReader(counter, buffer_size=1 << 16), encoding="utf-8-sig", newline=""
    )
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise InputError(f"{path}: file is empty") from None
    except UnicodeDecodeError:
        fh.close()
        raise InputError(f"{path}: not UTF-8 text (save the file as CSV UTF-8)") from None
    except csv.Error as exc:
        fh.close()
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    header = [h.strip() for h in header]
    if not any(header):
        fh.close()
        raise InputError(f"{path}: the first line must be a header row")
    return fh, counter, reader, header, size


def _column(header: list[str], name: str, path: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        shown = ", ".join(h for h in header if h) or "none"
        raise InputError(f"{path}: no column {name!r} (columns: {shown})") from None


def _rows(reader: Iterator[list[str]], path: str) -> Iterator[tuple[int, list[str]]]:
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise InputError(
                f"{path}: not UTF-8 text after row {line} (save the file as CSV UTF-8)"
            ) from None
        except csv.Error as exc:
            raise InputError(f"{path}: malformed CSV after row {line} ({exc})") from None
        line += 1
        yield line, row


def _question(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
    return v if v in QUESTIONS else None


def _load_coder(args: argparse.Namespace, *, rules_only: bool = False) -> Coder:
    try:
        codebook = load_codebook(args.codebook) if args.codebook else load_codebook()
    except (OSError, CodebookError) as exc:
        raise InputError(f"codebook: {exc}") from None
    if rules_only:
        return Coder(codebook)
    model_path = Path(args.model) if args.model else DEFAULT_MODEL
    if not model_path.exists():
        if args.model:
            raise InputError(f"{model_path}: no such model file")
        return Coder(codebook)
    try:
        return build_coder(codebook, ThemeModel.load(model_path))
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{model_path}: not a valid model ({exc})") from None


# -- code --------------------------------------------------------------------
_WORKER_CODER: Coder | None = None
_CHUNK = 4000


def _code_chunk(items: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """Worker: code a chunk of (text, question) pairs into (themes, concepts) strings."""
    coder = _WORKER_CODER
    assert coder is not None
    out = []
    for text, q in items:
        result = coder.code(text, q, evidence=False)
        out.append((";".join(t.theme for t in result.themes), ";".join(result.concepts)))
    return out


def cmd_code(args: argparse.Namespace) -> int:
    """Code every row of a CSV file; write all input columns plus themes and concepts."""
    global _WORKER_CODER
    coder = _load_coder(args, rules_only=args.rules_only)
    fh, counter, reader, header, size = _open_csv(args.input)
    with fh:
        ti = _column(header, args.text_column, args.input)
        qi = _column(header, args.question_column, args.input) if args.question_column else -1
        out_header = list(header)
        out_header += [c for c in ("themes", "concepts") if c not in out_header]
        t_out = out_header.index("themes")
        c_out = out_header.index("concepts")
        width = len(out_header)
        workers = (
            args.workers
            if args.workers
            else (min(os.cpu_count() or 1, 4) if size > 2_000_000 else 1)
        )
        progress = Progress("coding", size, not args.quiet)
        n = 0
        out_path = Path(args.output)
        if not out_path.parent.is_dir():
            raise InputError(f"{args.output}: the folder {out_path.parent} does not exist")
        tmp = out_path.with_name(out_path.name + ".part")

        def chunks() -> Iterator[tuple[list[list[str]], list[tuple[str, str | None]]]]:
            rows: list[list[str]] = []
            items: list[tuple[str, str | None]] = []
            for _, row in _rows(reader, args.input):
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                text = row[ti] if ti < len(row) else ""
                q = _question(row[qi]) if qi >= 0 else args.question
                rows.append(row)
                items.append((text, q))
                if len(rows) >= _CHUNK:
                    yield rows, items
                    rows, items = [], []
            if rows:
                yield rows, items

        try:
            with open(tmp, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(out_header)

                def emit(rows: list[list[str]], coded: list[tuple[str, str]]) -> None:
                    nonlocal n
                    for row, (themes, concepts) in zip(rows, coded, strict=True):
                        row[t_out] = themes
                        row[c_out] = concepts
                    writer.writerows(rows)
                    n += len(rows)
                    progress.update(counter.count, n)

                _WORKER_CODER = coder
                # Coding allocates many short-lived objects and makes no reference
                # cycles: collect rarely, and freeze what exists so forked workers
                # do not copy it page by page when the collector walks it.
                gc.collect()
                gc.freeze()
                gc.set_threshold(50_000, 50, 100)
                if workers <= 1:
                    for rows, items in chunks():
                        emit(rows, _code_chunk(items))
                else:
                    import multiprocessing as mp
                    from collections import deque

                    ctx = (
                        mp.get_context("fork")
                        if "fork" in mp.get_all_start_methods()
                        else mp.get_context()
                    )
                    with ctx.Pool(workers) as pool:
                        pending: deque[tuple[list[list[str]], Any]] = deque()
                        for rows, items in chunks():
                            pending.append((rows, pool.apply_async(_code_chunk, (items,))))
                            while len(pending) >= workers * 3:  # bounded: memory stays flat
                                done_rows, res = pending.popleft()
                                emit(done_rows, res.get())
                        while pending:
                            done_rows, res = pending.popleft()
                            emit(done_rows, res.get())
            os.replace(tmp, out_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        progress.close(counter.count, n)
    if not args.quiet:
        print(f"coded {n:,} rows with {coder.version} -> {args.output}", file=sys.stderr)
    return 0


# -- reading labelled data ----------------------------------------------------
def read_labelled(
    path: str, text_column: str, themes_column: str, question_column: str | None, quiet: bool
) -> Iterator[LabelledText]:
    """Stream labelled rows (``text``, ``themes`` as ids joined by ``;``) from a CSV file."""
    fh, counter, reader, header, size = _open_csv(path)
    with fh:
        ti = _column(header, text_column, path)
        hi = _column(header, themes_column, path)
        qi = _column(header, question_column, path) if question_column else -1
        progress = Progress(f"reading {Path(path).name}", size, not quiet)
        n = 0
        for _, row in _rows(reader, path):
            if ti >= len(row) or not row[ti].strip():
                continue
            themes = frozenset(
                t.strip() for t in (row[hi] if hi < len(row) else "").replace(",", ";").split(";")
            )
            q = _question(row[qi]) if 0 <= qi < len(row) else None
            n += 1
            if not n & 255:
                progress.update(counter.count, n)
            yield LabelledText(row[ti], frozenset(t for t in themes if t), q)
        progress.close(counter.count, n)


# -- evaluate ----------------------------------------------------------------
def cmd_evaluate(args: argparse.Namespace) -> int:
    """Print agreement with gold codes (optionally by k-fold cross-validation)."""
    coder = _load_coder(args, rules_only=args.rules_only)
    if args.cv:
        gold = list(
            read_labelled(
                args.gold, args.text_column, args.themes_column, args.question_column, args.quiet
            )
        )
        if len(gold) < args.cv:
            raise InputError(
                f"{args.gold}: {len(gold)} rows is too few for {args.cv}-fold cross-validation"
            )
        if args.rules_only:
            preds = [set(coder.code(g.text, g.question, rules_only=True).theme_ids) for g in gold]
            report = score([g.themes for g in gold], preds, coder.theme_ids)
            method = f"rules only ({coder.version}); no training, so --cv changes nothing"
        else:
            extra: list[LabelledText] = []
            for path in args.extra or (
                [str(DEFAULT_EXAMPLES)] if DEFAULT_EXAMPLES.exists() else []
            ):
                extra.extend(read_labelled(path, "text", "themes", None, True))
            # each fold's coder uses the thresholds learned from that fold's training data
            report, _ = cross_validate(coder.codebook, gold, args.cv, extra)
            method = (
                f"{args.cv}-fold cross-validation: learned layer trained on the other folds"
                f" plus {len(extra)} written examples; rules {coder.version.split('+')[0]}"
            )
    else:
        scorer = Scorer(coder.theme_ids)
        for g in read_labelled(
            args.gold, args.text_column, args.themes_column, args.question_column, args.quiet
        ):
            result = coder.code(g.text, g.question, rules_only=args.rules_only, evidence=False)
            scorer.add(g.themes, set(result.theme_ids))
        if not scorer.n:
            raise InputError(f"{args.gold}: no rows with text")
        report = scorer.report()
        method = f"coder {coder.version}" + (
            ""
            if args.rules_only
            else " (if the model was trained on this file, this is not a fair test: use --cv)"
        )
    print(f"# {method}")
    print(report.format())
    return 0


# -- train -------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> int:
    """Train the learned layer on labelled CSV files and write the model JSON."""
    rules = _load_coder(args, rules_only=True)
    trainer = args.trainer
    if trainer == "auto":
        # logistic regression holds every row's features and makes many passes: fine for
        # thousands of rows; beyond that, stream into Naive Bayes with flat memory
        total = 0
        for path in args.gold:
            try:
                total += Path(path).stat().st_size
            except OSError:
                raise InputError(f"{path}: no such file") from None
        trainer = "logistic" if total <= LOGISTIC_MAX_BYTES else "naive_bayes"
    counts = NaiveBayesCounts(rules.theme_ids)
    kept: list[PreparedText] = []
    intern = sys.intern
    unknown: set[str] = set()
    stats: dict[str, dict[str, list[int]]] = {}
    n = 0
    for path in args.gold:
        for item in read_labelled(
            path, args.text_column, args.themes_column, args.question_column, args.quiet
        ):
            tokens = rules.tokens(item.text)
            matches = rules.rules.matches(tokens)
            for tid, source in {(rules.theme_ids[m.theme], m.source) for m in matches}:
                row = stats.setdefault(tid, {}).setdefault(source, [0, 0])
                row[0 if tid in item.themes else 1] += 1
            feats = extract_features(tokens, item.question, matches, rules.theme_ids)
            unknown.update(item.themes - set(rules.theme_ids))
            if trainer == "naive_bayes":
                counts.add(feats, item.themes)
            else:
                kept.append(
                    PreparedText(frozenset(intern(f) for f in feats), tuple(matches), item.themes)
                )
            n += 1
    if n == 0:
        raise InputError("no labelled rows with text in the training files")
    meta: dict[str, Any] = {
        "n_examples": n,
        "trainer": trainer,
        "sources": [Path(p).name for p in args.gold],
        "rules": rules.version,
    }
    if trainer == "naive_bayes":
        # one streamed pass: no inner cross-validation, so the model never codes alone
        meta["settings"] = dict(DEFAULT_SETTINGS, model_only_threshold=1.01)
        model = counts.to_model(min_count=args.min_count, scale=args.scale, meta=meta)
    else:

        def fit(rows: list[tuple[set[str], set[str]]]) -> ThemeModel:
            return train_logistic(rows, rules.theme_ids, min_count=args.min_count)

        if not args.quiet:
            print(f"learning the coder's thresholds ({INNER_FOLDS}-fold)...", file=sys.stderr)
        meta["settings"], meta["combiner"] = learn_settings(rules, kept, fit, args.prior_strength)
        model = train_logistic(
            [(set(p.features), set(p.themes)) for p in kept],
            rules.theme_ids,
            min_count=args.min_count,
            meta=meta,
        )
    model = with_pattern_stats(
        model,
        {t: {s: (c[0], c[1]) for s, c in p.items()} for t, p in stats.items()},
        args.prior_strength,
    )
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    if unknown:
        print(f"note: ignored unknown theme ids: {', '.join(sorted(unknown))}", file=sys.stderr)
    print(
        f"trained on {n:,} rows: model-{model.digest}, {len(model.weights):,} features,"
        f" {out.stat().st_size / 1024:.0f} KiB -> {out}",
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m analysis``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis", description="Community Voice theme coder"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--codebook", help="codebook YAML (default: analysis/data/codebook.yaml)")
        p.add_argument("--model", help="model JSON (default: analysis/models/theme_model.json)")
        p.add_argument("--text-column", default="text")
        p.add_argument("--question-column", default=None, help="column holding the question id")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("code", help="code a CSV file of responses")
    common(p)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--question", choices=QUESTIONS, help="question id for every row")
    p.add_argument("--rules-only", action="store_true")
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="coding processes (default: CPUs, up to 4, for large files)",
    )
    p.set_defaults(func=cmd_code)

    p = sub.add_parser("evaluate", help="compare with gold codes")
    common(p)
    p.add_argument("--gold", required=True)
    p.add_argument("--themes-column", default="themes")
    p.add_argument(
        "--cv",
        type=int,
        default=0,
        help="k-fold cross-validation (learned layer retrained per fold)",
    )
    p.add_argument("--rules-only", action="store_true")
    p.add_argument(
        "--extra", action="append", help="extra training CSV for --cv (default: data/examples.csv)"
    )
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("train", help="train the learned layer")
    common(p)
    p.add_argument(
        "--gold", action="append", required=True, help="labelled CSV (text, themes); repeatable"
    )
    p.add_argument("--themes-column", default="themes")
    p.add_argument("--output", required=True)
    p.add_argument("--min-count", type=int, default=2)
    p.add_argument(
        "--prior-strength",
        type=float,
        default=DEFAULT_PRIOR_STRENGTH,
        help="pseudo-counts behind each written pattern score (lower: learn faster from data)",
    )
    p.add_argument("--scale", type=float, default=0.1, help="naive Bayes only: log-odds shrinkage")
    p.add_argument(
        "--trainer",
        choices=("auto", "logistic", "naive_bayes"),
        default="auto",
        help="logistic (keeps features in memory, several passes) or naive_bayes (one streamed "
        "pass, flat memory); auto: logistic up to 8 MB of training CSV, else naive_bayes",
    )
    p.set_defaults(func=cmd_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (BrokenPipeError, KeyboardInterrupt):
        return 130
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


__all__ = ["build_parser", "main", "read_labelled", "training_examples"]
