"""Agreement metrics and cross-validation."""

from __future__ import annotations

import pytest
from nltk.metrics.agreement import AnnotationTask

from analysis import load_codebook
from analysis.cli import read_labelled
from analysis.codebook import DATA_DIR
from analysis.evaluate import cohen_kappa, cross_validate, folds, score


def test_scores_on_a_small_example() -> None:
    gold = [frozenset({"a"}), frozenset({"a", "b"}), frozenset(), frozenset({"b"})]
    pred = [{"a"}, {"a"}, {"b"}, {"b"}]
    report = score(gold, pred, ["a", "b"])
    a = next(r for r in report.per_theme if r.theme == "a")
    b = next(r for r in report.per_theme if r.theme == "b")
    assert (a.precision, a.recall, a.f1) == (1.0, 1.0, 1.0)
    assert b.precision == pytest.approx(0.5) and b.recall == pytest.approx(0.5)
    assert report.micro_precision == pytest.approx(3 / 4)
    assert report.micro_recall == pytest.approx(3 / 4)
    assert report.macro_f1 == pytest.approx((1.0 + 0.5) / 2)


def test_kappa_agrees_with_nltk() -> None:
    gold = [1, 1, 0, 0, 1, 0, 0, 0, 1, 0]
    pred = [1, 0, 0, 0, 1, 1, 0, 0, 1, 0]
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    tn = len(gold) - tp - fp - fn
    data = [("g", str(i), str(v)) for i, v in enumerate(gold)] + [
        ("p", str(i), str(v)) for i, v in enumerate(pred)
    ]
    assert cohen_kappa(tp, fp, fn, tn) == pytest.approx(AnnotationTask(data=data).kappa())


def test_folds_partition_the_data() -> None:
    parts = folds(23, 5)
    assert sorted(i for p in parts for i in p) == list(range(23))
    assert folds(23, 5) == parts
    with pytest.raises(ValueError):
        folds(3, 5)


def test_cross_validation_on_the_dev_set_meets_the_floor() -> None:
    gold = list(read_labelled(str(DATA_DIR / "gold_dev.csv"), "text", "themes", None, True))
    report, preds = cross_validate(load_codebook(), gold, 5)
    assert len(preds) == len(gold)
    assert report.micro_f1 > 0.63  # the dictionary-coder floor
