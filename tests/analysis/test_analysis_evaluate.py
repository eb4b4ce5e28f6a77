"""Agreement metrics and cross-validation."""

from __future__ import annotations

import pytest
from nltk.metrics.agreement import AnnotationTask

from analysis import load_codebook
from analysis.cli import read_labelled
from analysis.codebook import DATA_DIR
from analysis.coder import Coder
from analysis.evaluate import Report, cohen_kappa, cross_validate, folds, score


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


@pytest.fixture(scope="module")
def dev_cv() -> tuple[Report, Report, int]:
    """5-fold CV on the dev set as documented (learned layer and its thresholds trained
    on the other folds plus examples.csv), and the rules alone on the same quotes."""
    gold = list(read_labelled(str(DATA_DIR / "gold_dev.csv"), "text", "themes", None, True))
    extra = list(read_labelled(str(DATA_DIR / "examples.csv"), "text", "themes", None, True))
    codebook = load_codebook()
    report, preds = cross_validate(codebook, gold, 5, extra)
    rules = Coder(codebook)
    rules_preds = [set(rules.code(g.text, g.question).theme_ids) for g in gold]
    return report, score([g.themes for g in gold], rules_preds, codebook.theme_ids), len(preds)


def test_cross_validation_on_the_dev_set_meets_the_floor(
    dev_cv: tuple[Report, Report, int],
) -> None:
    report, _, n = dev_cv
    assert n == 100
    assert report.micro_f1 > 0.63  # the dictionary-coder floor


def test_combined_coder_beats_the_rules_alone_on_dev_cross_validation(
    dev_cv: tuple[Report, Report, int],
) -> None:
    combined, rules, _ = dev_cv
    print(
        f"\ndev 5-fold CV: combined micro-F1 {combined.micro_f1:.3f} macro-F1 "
        f"{combined.macro_f1:.3f}; rules alone {rules.micro_f1:.3f} / {rules.macro_f1:.3f}"
    )
    assert combined.micro_f1 > rules.micro_f1
    assert combined.macro_f1 >= rules.macro_f1
