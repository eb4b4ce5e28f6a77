"""The command line: code, evaluate, train; streaming CSV and clean errors."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.codebook import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_code_keeps_columns_and_adds_themes_and_concepts(tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "in.csv",
        ["id", "answer", "q", "note"],
        [
            ["1", "I carry a knife because I'm scared", "why", "x"],
            ["2", "Thank you", "help", ""],
            ["3", 'multi\nline, with "quotes" and no youth clubs', "", "y"],
        ],
    )
    out = tmp_path / "out.csv"
    args = ["code", "--input", str(src), "--output", str(out), "--text-column", "answer"]
    assert main([*args, "--question-column", "q", "--quiet"]) == 0
    rows = read_csv(out)
    assert list(rows[0]) == ["id", "answer", "q", "note", "themes", "concepts"]
    assert rows[0]["themes"].split(";") == sorted(
        rows[0]["themes"].split(";"), key=rows[0]["themes"].split(";").index
    )
    assert {"fear", "protection"} <= set(rows[0]["themes"].split(";"))
    assert "prevention_safety" in rows[0]["concepts"].split(";")
    assert rows[1]["themes"] == "" and rows[1]["concepts"] == ""
    assert rows[2]["answer"].startswith("multi\nline")
    assert rows[2]["themes"] == "lack_of_provision"


def test_parallel_workers_give_the_same_output(tmp_path: Path) -> None:
    texts = ["nothing to do here", "police patrols", "I was groomed", "", "my friend died"] * 500
    src = write_csv(tmp_path / "in.csv", ["text"], [[t] for t in texts])
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert (
        main(["code", "--input", str(src), "--output", str(one), "--workers", "1", "--quiet"]) == 0
    )
    assert (
        main(["code", "--input", str(src), "--output", str(two), "--workers", "2", "--quiet"]) == 0
    )
    assert one.read_bytes() == two.read_bytes()
    assert len(read_csv(two)) == len(texts)


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (b"", [], "empty"),
        (b"id,words\n1,hello\n", [], "no column 'text'"),
        (b"text\n\xff\xfe\xfa not utf8\n", [], "UTF-8"),
        (b"text\nhello\n", ["--question-column", "question"], "no column 'question'"),
        (b'text\n"unclosed\n', [], "malformed CSV"),
    ],
)
def test_malformed_input_is_one_line_and_exit_2(
    tmp_path: Path, content: bytes, extra: list[str], message: str
) -> None:
    src = tmp_path / "bad.csv"
    src.write_bytes(content)
    out = tmp_path / "out.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "code",
            "--input",
            str(src),
            "--output",
            str(out),
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == [lines[0]] and lines[0].startswith("error:") and message in lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["code", "--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.csv")])
        == 2
    )
    assert "no such file" in capsys.readouterr().err


def test_evaluate_prints_per_theme_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    gold = str(DATA_DIR / "gold_dev.csv")
    assert main(["evaluate", "--gold", gold, "--rules-only", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "fear" in out and "kappa" in out
    assert "micro-F1" in out and "macro-F1" in out and "mean kappa" in out


def test_evaluate_cross_validation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = str(DATA_DIR / "gold_dev.csv")
    # a small --extra keeps this quick; the documented run is checked in test_analysis_evaluate
    extra = write_csv(
        tmp_path / "extra.csv", ["text", "themes"], [["nothing to do", "lack_of_provision"]]
    )
    argv = ["evaluate", "--gold", gold, "--cv", "5", "--extra", str(extra), "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "5-fold cross-validation" in out
    assert "micro-F1" in out


def test_train_then_code_with_the_new_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = write_csv(
        tmp_path / "g.csv",
        ["text", "themes"],
        [["we need more mentors", "role_models"], ["nothing to do", "lack_of_provision"]] * 3,
    )
    model = tmp_path / "m.json"
    for trainer in ("logistic", "naive_bayes"):
        argv = ["train", "--gold", str(gold), "--gold", str(DATA_DIR / "examples.csv")]
        assert main([*argv, "--output", str(model), "--trainer", trainer, "--quiet"]) == 0
        assert model.exists()
        src = write_csv(tmp_path / "in.csv", ["text"], [["we need more mentors"]])
        out = tmp_path / "out.csv"
        assert (
            main(
                [
                    "code",
                    "--input",
                    str(src),
                    "--output",
                    str(out),
                    "--model",
                    str(model),
                    "--quiet",
                ]
            )
            == 0
        )
        assert read_csv(out)[0]["themes"] == "role_models"
    capsys.readouterr()


def test_train_rejects_files_without_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = write_csv(tmp_path / "g.csv", ["text", "themes"], [])
    assert (
        main(["train", "--gold", str(gold), "--output", str(tmp_path / "m.json"), "--quiet"]) == 2
    )
    assert "error:" in capsys.readouterr().err
