"""How the rules and the learned layer combine: a small stacked logistic layer.

For a text and a theme, the rule evidence is of one of four kinds:

* ``multi``: a strong rule match spanning several words ("feel safe", "county lines");
* ``single``: strong rule matches, every one a single word ("caught", "bills", "police");
* ``weak``: weak rule matches only (patterns scoring under 0.5);
* ``none``: no rule match.

A single word is more often ambiguous than a phrase, so the same model probability can
mean different things for the two kinds of strong evidence. ``learn_settings`` runs k-fold
cross-validation *inside the training data*: each inner fold's texts are scored by a model
trained on the other inner folds, so every training text gets an out-of-fold model logit
per theme. For each kind of evidence it then fits a one-feature logistic regression (an
intercept and a slope on the model logit, L2-regularised) to whether the gold codes have
the theme. Where that stacked layer gives a probability of 0.5 is a threshold on the
model's own probability, so the coder applies it as one threshold per kind of evidence
(:class:`analysis.coder.CoderSettings`) at no cost at run time:

* ``multi`` and ``single`` give the probability below which a rule code is vetoed;
* ``weak`` gives the probability that confirms a weak match;
* ``none`` gives the probability at which the model codes a theme on its own.

Nothing here looks at the text being coded or the data being evaluated: the thresholds
come from the training texts only.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .coder import Coder
from .model import ThemeModel, pattern_statistics, with_pattern_stats
from .rules import Match

KINDS = ("multi", "single", "weak", "none")
# the coder setting each kind of evidence sets
SETTING_FOR_KIND = {
    "multi": "veto_threshold",
    "single": "single_word_veto_threshold",
    "weak": "weak_rule_threshold",
    "none": "model_only_threshold",
}
# used when there is too little training data to learn them (and by Naive Bayes models)
DEFAULT_SETTINGS: dict[str, float] = {
    "model_only_threshold": 0.6,
    "weak_rule_threshold": 0.9,
    "veto_threshold": 0.0,
    "single_word_veto_threshold": 0.0,
}
MIN_ROWS = 50  # fewer training texts than this: keep the default settings
INNER_FOLDS = 5
INNER_SEED = 17
L2 = 1.0


@dataclass(frozen=True, slots=True)
class PreparedText:
    """A training text reduced to what training needs: features, rule matches, gold themes."""

    features: frozenset[str]
    matches: tuple[Match, ...]
    themes: frozenset[str]


@dataclass(frozen=True, slots=True)
class KindFit:
    """The stacked layer for one kind of evidence: P(theme) = sigmoid(a + b * model logit)."""

    intercept: float
    slope: float
    samples: int
    positives: int

    def threshold(self) -> float | None:
        """The model probability at which the stacked probability is 0.5 (None: none)."""
        if self.samples == 0 or self.slope <= 1e-9:
            return None
        x = -self.intercept / self.slope
        return _sigmoid(x)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def fit_kind(samples: Sequence[tuple[float, bool]], l2: float = L2) -> KindFit:
    """Fit P(y) = sigmoid(a + b x) to (x, y) pairs by Newton's method with an L2 penalty."""
    a = b = 0.0
    npos = sum(1 for _, y in samples if y)
    if not samples:
        return KindFit(0.0, 0.0, 0, 0)
    for _ in range(100):
        ga, gb = l2 * a, l2 * b
        haa, hab, hbb = l2, 0.0, l2
        for x, y in samples:
            p = _sigmoid(a + b * x)
            e = p - (1.0 if y else 0.0)
            s = p * (1.0 - p)
            ga += e
            gb += e * x
            haa += s
            hab += s * x
            hbb += s * x * x
        det = haa * hbb - hab * hab
        if det <= 0.0:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a -= da
        b -= db
        if abs(da) < 1e-9 and abs(db) < 1e-9:
            break
    return KindFit(a, b, len(samples), npos)


def evidence_kinds(rules: Coder, matches: Sequence[Match], model: ThemeModel) -> list[int]:
    """Per theme of ``rules``, the index in :data:`KINDS` of its rule evidence.

    Pattern scores are updated by ``model``'s pattern statistics, as the coder does.
    """
    scores, multi = rules.rule_scores(matches, model if model.pattern_stats else None)
    threshold = rules.settings.rule_threshold
    kinds = []
    for r, m in zip(scores, multi, strict=True):
        if r >= threshold:
            kinds.append(0 if m else 1)
        elif r > 0.0:
            kinds.append(2)
        else:
            kinds.append(3)
    return kinds


def folds(n: int, k: int, seed: int = 13) -> list[list[int]]:
    """Deterministic shuffled k-fold split of range(n)."""
    if k < 2 or k > n:
        raise ValueError("k must be between 2 and the number of texts")
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    return [idx[i::k] for i in range(k)]


def out_of_fold_samples(
    rules: Coder,
    prepared: Sequence[PreparedText],
    train: Callable[[list[tuple[set[str], set[str]]]], ThemeModel],
    prior_strength: float,
    k: int = INNER_FOLDS,
    seed: int = INNER_SEED,
) -> list[list[tuple[float, bool]]]:
    """(out-of-fold model logit, gold has the theme) pairs for every text and theme,
    grouped by kind of rule evidence."""
    theme_ids = rules.theme_ids
    by_kind: list[list[tuple[float, bool]]] = [[] for _ in KINDS]
    for fold in folds(len(prepared), k, seed):
        held = set(fold)
        part = [p for i, p in enumerate(prepared) if i not in held]
        model = train([(set(p.features), set(p.themes)) for p in part])
        stats = pattern_statistics(
            [([(theme_ids[m.theme], m.source) for m in p.matches], p.themes) for p in part]
        )
        model = with_pattern_stats(model, stats, prior_strength)
        index = [model.theme_index.get(t, -1) for t in theme_ids]
        for i in fold:
            p = prepared[i]
            logits = model.logits(p.features)
            kinds = evidence_kinds(rules, p.matches, model)
            for ti, tid in enumerate(theme_ids):
                mi = index[ti]
                if mi >= 0:
                    by_kind[kinds[ti]].append((logits[mi], tid in p.themes))
    return by_kind


def learn_settings(
    rules: Coder,
    prepared: Sequence[PreparedText],
    train: Callable[[list[tuple[set[str], set[str]]]], ThemeModel],
    prior_strength: float,
    k: int = INNER_FOLDS,
    seed: int = INNER_SEED,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Learn the coder's thresholds from the training texts by inner cross-validation.

    ``train`` trains the learned layer (without pattern statistics) on (features, themes)
    pairs, as the final model is trained. Returns the settings for the model file and a
    record of the stacked layer (per kind: intercept, slope, samples, positives). With
    fewer than :data:`MIN_ROWS` texts, the defaults are returned.
    """
    settings = dict(DEFAULT_SETTINGS)
    if len(prepared) < max(MIN_ROWS, k):
        return settings, {"method": "defaults (too few training texts to learn them)"}
    by_kind = out_of_fold_samples(rules, prepared, train, prior_strength, k, seed)
    record: dict[str, Any] = {"method": f"stacked logistic layer, {k}-fold out-of-fold logits"}
    for kind, samples in zip(KINDS, by_kind, strict=True):
        fit = fit_kind(samples)
        t = fit.threshold()
        if t is not None:
            settings[SETTING_FOR_KIND[kind]] = round(t, 4)
        record[kind] = {
            "intercept": round(fit.intercept, 4),
            "slope": round(fit.slope, 4),
            "samples": fit.samples,
            "positives": fit.positives,
        }
    return settings, record
