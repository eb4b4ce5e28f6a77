"""Evaluation: per-theme precision, recall, F1 and Cohen's kappa; k-fold cross-validation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .codebook import Codebook
from .coder import Coder, CoderSettings, settings_from_meta
from .combine import DEFAULT_SETTINGS, PreparedText, folds, learn_settings
from .model import (
    ThemeModel,
    extract_features,
    pattern_statistics,
    train_logistic,
    train_naive_bayes,
    with_pattern_stats,
)

# Pseudo-observations behind each written pattern score: a pattern's score only
# moves once the labelled data holds many more matches than this.
DEFAULT_PRIOR_STRENGTH = 300.0


@dataclass(frozen=True, slots=True)
class LabelledText:
    """A text with its gold themes (and the question it answers, if known)."""

    text: str
    themes: frozenset[str]
    question: str | None = None


@dataclass(frozen=True, slots=True)
class ThemeScore:
    """Agreement for one theme."""

    theme: str
    support: int
    predicted: int
    tp: int
    precision: float
    recall: float
    f1: float
    kappa: float


@dataclass(frozen=True, slots=True)
class Report:
    """Agreement of a coder with gold codes."""

    per_theme: tuple[ThemeScore, ...]
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    mean_kappa: float
    n_texts: int

    def format(self) -> str:
        """Human-readable table."""
        lines = [f"{'theme':<24} {'n':>4} {'pred':>4} {'P':>6} {'R':>6} {'F1':>6} {'kappa':>6}"]
        for s in self.per_theme:
            lines.append(
                f"{s.theme:<24} {s.support:>4} {s.predicted:>4} "
                f"{s.precision:>6.3f} {s.recall:>6.3f} "
                f"{s.f1:>6.3f} {s.kappa:>6.3f}"
            )
        lines.append("")
        lines.append(f"texts: {self.n_texts}")
        lines.append(
            f"micro-P {self.micro_precision:.3f}  micro-R {self.micro_recall:.3f}  "
            f"micro-F1 {self.micro_f1:.3f}"
        )
        lines.append(f"macro-F1 {self.macro_f1:.3f}  mean kappa {self.mean_kappa:.3f}")
        return "\n".join(lines)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    """Cohen's kappa for two binary raters from their 2x2 table (1.0 when both agree on all)."""
    n = tp + fp + fn + tn
    if n == 0:
        return 1.0
    po = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    if pe >= 1.0:
        return 1.0
    return (po - pe) / (1.0 - pe)


class Scorer:
    """Accumulates agreement counts one text at a time (flat memory for big files)."""

    def __init__(self, themes: Sequence[str]) -> None:
        self.themes = list(themes)
        self.n = 0
        self.tp: dict[str, int] = {}
        self.fp: dict[str, int] = {}
        self.fn: dict[str, int] = {}

    def add(self, gold: frozenset[str] | set[str], pred: set[str] | frozenset[str]) -> None:
        """Count one text's gold and predicted themes."""
        self.n += 1
        for t in gold & pred:
            self.tp[t] = self.tp.get(t, 0) + 1
        for t in pred - gold:
            self.fp[t] = self.fp.get(t, 0) + 1
        for t in gold - pred:
            self.fn[t] = self.fn.get(t, 0) + 1

    def report(self) -> Report:
        """The agreement so far.

        Macro-F1 and mean kappa average over the themes that occur in the gold codes
        (a theme nobody used and the coder never predicted says nothing).
        """
        n = self.n
        seen = set(self.tp) | set(self.fn) | set(self.fp)
        all_themes = self.themes + sorted(seen - set(self.themes))
        rows: list[ThemeScore] = []
        tp_all = fp_all = fn_all = 0
        for t in all_themes:
            tp, fp, fn = self.tp.get(t, 0), self.fp.get(t, 0), self.fn.get(t, 0)
            tn = n - tp - fp - fn
            prec = tp / (tp + fp) if tp + fp else (1.0 if tp + fn == 0 else 0.0)
            rec = tp / (tp + fn) if tp + fn else (1.0 if tp + fp == 0 else 0.0)
            rows.append(
                ThemeScore(
                    t, tp + fn, tp + fp, tp, prec, rec, _f1(prec, rec), cohen_kappa(tp, fp, fn, tn)
                )
            )
            tp_all += tp
            fp_all += fp
            fn_all += fn
        mp = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
        mr = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
        used = [r for r in rows if r.support > 0]
        macro = sum(r.f1 for r in used) / len(used) if used else 0.0
        kappa = sum(r.kappa for r in used) / len(used) if used else 0.0
        return Report(tuple(rows), mp, mr, _f1(mp, mr), macro, kappa, n)


def score(
    gold: Sequence[frozenset[str]], pred: Sequence[set[str] | frozenset[str]], themes: Sequence[str]
) -> Report:
    """Compare predicted theme sets with gold ones (see :meth:`Scorer.report`)."""
    if len(gold) != len(pred):
        raise ValueError("gold and predictions differ in length")
    scorer = Scorer(themes)
    for g, p in zip(gold, pred, strict=True):
        scorer.add(g, set(p))
    return scorer.report()


def training_examples(
    coder: Coder, data: Sequence[LabelledText]
) -> list[tuple[set[str], set[str]]]:
    """Feature sets (with rule features from ``coder``) and gold themes, ready for training."""
    out: list[tuple[set[str], set[str]]] = []
    for item in data:
        tokens = coder.tokens(item.text)
        matches = coder.rules.matches(tokens)
        feats = extract_features(tokens, item.question, matches, coder.theme_ids)
        out.append((feats, set(item.themes)))
    return out


def prepare(coder: Coder, data: Sequence[LabelledText]) -> list[PreparedText]:
    """Features, rule matches and gold themes of labelled texts, ready for training."""
    out: list[PreparedText] = []
    for item in data:
        tokens = coder.tokens(item.text)
        matches = coder.rules.matches(tokens)
        feats = extract_features(tokens, item.question, matches, coder.theme_ids)
        out.append(PreparedText(frozenset(feats), tuple(matches), item.themes))
    return out


def train_model(
    codebook: Codebook, data: Sequence[LabelledText], trainer: str = "logistic", **kwargs: float
) -> ThemeModel:
    """Train the learned layer for ``codebook`` on labelled texts.

    ``trainer`` is ``"logistic"`` (default) or ``"naive_bayes"``. A logistic model also
    carries coder thresholds learned by inner cross-validation on ``data``
    (:func:`analysis.combine.learn_settings`); ``learn_settings=0`` keeps the defaults.
    """
    rules = Coder(codebook)
    prepared = prepare(rules, data)
    stats = pattern_statistics(
        [([(rules.theme_ids[m.theme], m.source) for m in p.matches], p.themes) for p in prepared]
    )
    prior = float(kwargs.pop("prior_strength", DEFAULT_PRIOR_STRENGTH))
    learn = bool(kwargs.pop("learn_settings", 1.0))
    examples = [(set(p.features), set(p.themes)) for p in prepared]
    meta: dict[str, Any] = {"n_examples": len(data), "trainer": trainer}
    if trainer == "naive_bayes":
        meta["settings"] = dict(DEFAULT_SETTINGS, model_only_threshold=1.01)
        model = train_naive_bayes(examples, rules.theme_ids, meta=meta, **kwargs)  # type: ignore[arg-type]
    else:

        def fit(rows: list[tuple[set[str], set[str]]]) -> ThemeModel:
            return train_logistic(rows, rules.theme_ids, **kwargs)  # type: ignore[arg-type]

        if learn:
            meta["settings"], meta["combiner"] = learn_settings(rules, prepared, fit, prior)
        else:
            meta["settings"] = dict(DEFAULT_SETTINGS)
        model = train_logistic(examples, rules.theme_ids, meta=meta, **kwargs)  # type: ignore[arg-type]
    return with_pattern_stats(model, stats, prior)


def cross_validate(
    codebook: Codebook,
    gold: Sequence[LabelledText],
    k: int = 5,
    extra_training: Sequence[LabelledText] = (),
    settings: CoderSettings | None = None,
    seed: int = 13,
    progress: Callable[[int], None] | None = None,
    train_kwargs: dict[str, float] | None = None,
    trainer: str = "logistic",
) -> tuple[Report, list[set[str]]]:
    """k-fold cross-validation: for each fold the learned layer is trained on the
    other folds plus ``extra_training`` and codes the held-out fold.

    Without ``settings``, each fold's coder uses the thresholds its model learned from
    its own training data, so nothing about the held-out fold is used."""
    preds: list[set[str]] = [set() for _ in gold]
    for fold in folds(len(gold), k, seed):
        held = set(fold)
        train = [g for i, g in enumerate(gold) if i not in held] + list(extra_training)
        model = train_model(codebook, train, trainer, **(train_kwargs or {}))
        coder = Coder(codebook, model, settings or settings_from_meta(model.meta))
        for i in fold:
            preds[i] = set(coder.code(gold[i].text, gold[i].question).theme_ids)
        if progress is not None:
            progress(len(fold))
    return score([g.themes for g in gold], preds, codebook.theme_ids), preds
