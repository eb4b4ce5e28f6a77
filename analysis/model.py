"""The learned layer: one binary classifier per theme over simple text features.

Training uses NLTK's :class:`~nltk.classify.NaiveBayesClassifier` (data-free). A
trained Naive Bayes model over present-only binary features is a linear model in
log-odds space, so it is exported to a small JSON file of per-feature log-odds
weights and read back without NLTK or pickle. Features:

* ``w:<stem>`` word stems, with ``_NEG`` appended inside a negation scope (as
  NLTK's ``mark_negation`` does, up to the next punctuation);
* ``b:<stem>_<stem>`` stem bigrams (NLTK ``ngrams``);
* ``r:<theme>`` the rule layer matched the theme (stacking the rules into the model);
* ``q:<question>`` the question answered.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from .rules import Match
from .textproc import Token

MODEL_FORMAT = "community-voice-theme-model/1"
Span = tuple[int, int]

# Very common words carry no theme signal; dropping them keeps the model small.
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "it",
        "its",
        "it'",
        "this",
        "that",
        "these",
        "those",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "they",
        "them",
        "their",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "how",
        "so",
        "than",
        "too",
        "very",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "just",
        "about",
        "into",
        "over",
        "also",
        "then",
        "some",
        "any",
        "all",
        "more",
        "most",
        "other",
        "such",
        "only",
        "own",
        "same",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "re",
        "ve",
        "y",
    ]
)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def extract_features(
    tokens: Sequence[Token],
    question: str | None,
    matches: Sequence[Match],
    theme_ids: Sequence[str],
    spans: dict[str, list[Span]] | None = None,
) -> set[str]:
    """Feature set of one text (and, if ``spans`` is given, where each word feature occurs)."""
    feats: set[str] = set()
    negated = False
    prev: str | None = None
    for tok in tokens:
        if tok.boundary:
            negated = False
            prev = None
            continue
        stem = tok.stem
        if tok.negator:
            negated = True
            feats.add("w:NEG")
            prev = "NEG"
            continue
        if stem in _STOP:
            prev = None
            continue
        f = "w:" + stem + ("_NEG" if negated else "")
        feats.add(f)
        if spans is not None:
            spans.setdefault(f, []).append((tok.start, tok.end))
        if prev is not None:
            feats.add("b:" + prev + "_" + stem)
        prev = stem
    for m in matches:
        feats.add(("r:" if m.score >= 0.5 else "rw:") + theme_ids[m.theme])
    if question:
        feats.add("q:" + question)
    return feats


class ThemeModel:
    """A trained learned layer: per theme, a bias and sparse feature weights (log-odds)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a theme model (format {data.get('format')!r})")
        self.themes: list[str] = [str(t) for t in data["themes"]]
        self.theme_index = {t: i for i, t in enumerate(self.themes)}
        self.bias: list[float] = [float(b) for b in data["bias"]]
        self.scale: float = float(data.get("scale", 1.0))
        self.meta: dict[str, Any] = dict(data.get("meta", {}))
        weights: dict[str, list[tuple[int, float]]] = {}
        for feat, pairs in data["weights"].items():
            weights[feat] = [(int(i), float(w)) for i, w in pairs]
        self.weights = weights
        k = len(self.themes)
        self._dense: dict[str, tuple[float, ...]] = {}
        for feat, pairs in weights.items():
            row = [0.0] * k
            for i, w in pairs:
                row[i] = w
            self._dense[feat] = tuple(row)
        self.by_theme: list[dict[str, float]] = [{} for _ in self.themes]
        for feat, pairs in weights.items():
            for i, w in pairs:
                self.by_theme[i][feat] = w
        # how often each rule pattern was right (tp) and wrong (fp) on the training data
        self.pattern_stats: dict[str, dict[str, tuple[int, int]]] = {
            str(theme): {str(src): (int(c[0]), int(c[1])) for src, c in pats.items()}
            for theme, pats in dict(data.get("pattern_stats", {})).items()
        }
        self.prior_strength: float = float(data.get("prior_strength", 4.0))
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()
        self.digest = hashlib.sha256(canonical).hexdigest()[:8]

    # -- inference ---------------------------------------------------------
    def usable_for(self, theme_ids: Sequence[str]) -> bool:
        """True when the model knows at least one of these themes."""
        return any(t in self.theme_index for t in theme_ids)

    def features(
        self,
        tokens: Sequence[Token],
        question: str | None,
        matches: Sequence[Match],
        theme_ids: Sequence[str],
        spans: dict[str, list[Span]] | None = None,
    ) -> set[str]:
        """Features of one text, as used at training time."""
        return extract_features(tokens, question, matches, theme_ids, spans)

    def logits(self, feats: AbstractSet[str]) -> list[float]:
        """Per-theme log-odds for a feature set."""
        dense = self._dense
        vecs = [dense[f] for f in feats if f in dense]
        if not vecs:
            return list(self.bias)
        s = self.scale
        sums = map(sum, zip(*vecs, strict=True))
        return [b + s * x for b, x in zip(self.bias, sums, strict=True)]

    def pattern_score(self, theme: str, source: str, prior: float) -> float:
        """A rule pattern's score updated by how it fared on the training data.

        The written score is the prior mean of a Beta distribution worth
        ``prior_strength`` observations; each training text where the pattern
        matched counts as a success (the gold codes have the theme) or a failure.
        """
        counts = self.pattern_stats.get(theme, {}).get(source)
        if counts is None:
            return prior
        tp, fp = counts
        k = self.prior_strength
        return (tp + k * prior) / (tp + fp + k)

    def probability(self, theme_index: int, feats: set[str]) -> float:
        """Probability of one theme (by its index in :attr:`themes`) for a feature set."""
        table = self.by_theme[theme_index]
        acc = 0.0
        for f in feats:
            w = table.get(f)
            if w is not None:
                acc += w
        return _sigmoid(self.bias[theme_index] + self.scale * acc)

    def probabilities(self, feats: set[str]) -> list[float]:
        """Per-theme probabilities for a feature set."""
        return [_sigmoid(x) for x in self.logits(feats)]

    def evidence(self, theme: str, spans: Mapping[str, list[Span]], top: int = 3) -> list[Span]:
        """Spans of the words that pushed ``theme`` up most (for model-only codes)."""
        ti = self.theme_index.get(theme)
        if ti is None:
            return []
        scored: list[tuple[float, str]] = []
        for f in spans:
            for i, w in self.weights.get(f, ()):
                if i == ti and w > 0:
                    scored.append((w, f))
        scored.sort(reverse=True)
        out: list[Span] = []
        for _, f in scored[:top]:
            out.extend(spans[f])
        return out

    # -- persistence -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the model."""
        return {
            "format": MODEL_FORMAT,
            "themes": self.themes,
            "bias": [round(b, 4) for b in self.bias],
            "scale": self.scale,
            "meta": self.meta,
            "weights": {
                f: [[i, round(w, 4)] for i, w in pairs] for f, pairs in sorted(self.weights.items())
            },
            "pattern_stats": {
                t: {src: list(c) for src, c in sorted(p.items())}
                for t, p in sorted(self.pattern_stats.items())
            },
            "prior_strength": self.prior_strength,
        }

    def save(self, path: str | Path) -> None:
        """Write the model as compact JSON."""
        Path(path).write_text(
            json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")) + "\n",
            encoding="utf-8",
        )

    @classmethod
    def load(cls, path: str | Path) -> ThemeModel:
        """Read a model written by :meth:`save`."""
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))


class NaiveBayesCounts:
    """Streaming sufficient statistics for per-theme Naive Bayes.

    The estimates are exactly those of NLTK's ``NaiveBayesClassifier.train`` with
    ``ELEProbDist`` over present-only binary features (a test checks this against
    NLTK itself); counting is streamed so memory grows with the vocabulary, not
    with the number of training rows.
    """

    def __init__(self, theme_ids: Sequence[str]) -> None:
        self.theme_ids = list(theme_ids)
        self.index = {t: i for i, t in enumerate(self.theme_ids)}
        self.n = 0
        self.n_pos = [0] * len(self.theme_ids)
        self.total: Counter[str] = Counter()
        self.pos: dict[str, list[int]] = {}

    def add(self, feats: set[str], labels: set[str] | frozenset[str]) -> None:
        """Count one labelled example."""
        self.n += 1
        idx = [self.index[t] for t in labels if t in self.index]
        for i in idx:
            self.n_pos[i] += 1
        k = len(self.theme_ids)
        for f in feats:
            self.total[f] += 1
            if idx:
                row = self.pos.get(f)
                if row is None:
                    row = self.pos[f] = [0] * k
                for i in idx:
                    row[i] += 1

    def to_model(
        self,
        *,
        min_count: int = 2,
        min_weight: float = 0.05,
        scale: float = 0.6,
        meta: Mapping[str, Any] | None = None,
    ) -> ThemeModel:
        """Turn the counts into a linear log-odds model (see :func:`train_naive_bayes`)."""
        k = len(self.theme_ids)
        n = self.n
        bias: list[float] = []
        for i in range(k):
            npos = self.n_pos[i]
            if npos == 0:
                bias.append(-8.0)
            elif npos == n:
                bias.append(8.0)
            else:
                bias.append(
                    math.log((npos + 0.5) / (n + 1.0)) - math.log((n - npos + 0.5) / (n + 1.0))
                )
        weights: dict[str, list[tuple[int, float]]] = {}
        for f, tot in self.total.items():
            if tot < min_count:
                continue
            bins = 1 if tot == n else 2
            row = self.pos.get(f) or [0] * k
            pairs: list[tuple[int, float]] = []
            for i in range(k):
                npos = self.n_pos[i]
                nneg = n - npos
                if npos == 0 or nneg == 0:
                    continue
                fp = row[i]
                fn = tot - fp
                # ELE: (count + 0.5) / (N + 0.5 * bins), bins = distinct values of the
                # feature (True, and None where some example lacks it), as in NLTK
                p_t = (fp + 0.5) / (npos + 0.5 * bins)
                p_f = (fn + 0.5) / (nneg + 0.5 * bins)
                w = math.log(p_t) - math.log(p_f)
                if abs(w) >= min_weight:
                    pairs.append((i, w))
            if pairs:
                weights[f] = pairs
        data = {
            "format": MODEL_FORMAT,
            "themes": self.theme_ids,
            "bias": bias,
            "scale": scale,
            "meta": dict(meta or {}),
            "weights": {f: [[i, w] for i, w in pairs] for f, pairs in weights.items()},
        }
        return ThemeModel(data)


def train_naive_bayes(
    examples: Sequence[tuple[set[str], set[str]]],
    theme_ids: Sequence[str],
    *,
    min_count: int = 2,
    min_weight: float = 0.05,
    scale: float = 0.6,
    meta: Mapping[str, Any] | None = None,
) -> ThemeModel:
    """Train one Naive Bayes classifier per theme and export it as a linear model.

    ``examples`` are (feature set, set of theme ids) pairs. Features seen fewer
    than ``min_count`` times are dropped; so are weights smaller than
    ``min_weight`` in absolute value. ``scale`` shrinks the summed log-odds
    (Naive Bayes is over-confident when features are correlated).
    """
    counts = NaiveBayesCounts(theme_ids)
    for feats, labels in examples:
        counts.add(feats, labels)
    return counts.to_model(min_count=min_count, min_weight=min_weight, scale=scale, meta=meta)


def train_logistic(
    examples: Sequence[tuple[set[str], set[str]]],
    theme_ids: Sequence[str],
    *,
    epochs: int = 30,
    rate: float = 0.2,
    l2: float = 1e-3,
    min_count: int = 2,
    min_weight: float = 0.1,
    seed: int = 7,
    pos_weight: float = 2.0,
    meta: Mapping[str, Any] | None = None,
) -> ThemeModel:
    """Train one-vs-rest L2-regularised logistic regression by stochastic gradient descent.

    Pure Python over sparse binary features (no numpy); deterministic for a seed.
    Exported in the same linear JSON format as the Naive Bayes model.
    """
    import random

    counts: Counter[str] = Counter()
    for feats, _ in examples:
        counts.update(feats)
    vocab = {f for f, c in counts.items() if c >= min_count}
    k = len(theme_ids)
    index = {t: i for i, t in enumerate(theme_ids)}
    rows = [
        ([f for f in sorted(feats) if f in vocab], [index[t] for t in labels if t in index])
        for feats, labels in examples
    ]
    weights: dict[str, list[float]] = {f: [0.0] * k for f in vocab}
    n = max(len(rows), 1)
    npos = [0] * k
    for _, ys in rows:
        for i in ys:
            npos[i] += 1
    bias = [math.log((c + 0.5) / (n - c + 0.5)) for c in npos]
    order = list(range(len(rows)))
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(order)
        lr = rate / (1.0 + epoch * 0.1)
        for r in order:
            fl, ys = rows[r]
            if not fl:
                continue
            target = [0.0] * k
            for i in ys:
                target[i] = 1.0
            vecs = [weights[f] for f in fl]
            # column sums in the same order as bias + vec + vec ... (same floats, fewer steps)
            z = list(map(sum, zip(bias, *vecs, strict=True)))
            step = [
                lr * ((_sigmoid(zi) - ti) * (pos_weight if ti else 1.0))
                for zi, ti in zip(z, target, strict=True)
            ]
            bias = [b - g * 0.1 for b, g in zip(bias, step, strict=True)]
            decay = 1.0 - lr * l2
            for vec in vecs:
                vec[:] = [v * decay - g for v, g in zip(vec, step, strict=True)]
    out: dict[str, list[list[float]]] = {}
    for f, vec in weights.items():
        pairs = [[i, w] for i, w in enumerate(vec) if abs(w) >= min_weight]
        if pairs:
            out[f] = pairs  # type: ignore[assignment]
    data = {
        "format": MODEL_FORMAT,
        "themes": list(theme_ids),
        "bias": bias,
        "scale": 1.0,
        "meta": dict(meta or {}),
        "weights": out,
    }
    return ThemeModel(data)


def nltk_log_odds(
    examples: Sequence[tuple[set[str], set[str]]], theme: str, feats: set[str]
) -> float:
    """Reference: natural-log odds of ``theme`` for ``feats`` from NLTK's own
    ``NaiveBayesClassifier`` (ELE estimates), used to check the streaming trainer."""
    from nltk.classify import NaiveBayesClassifier
    from nltk.probability import ELEProbDist

    labelled = [({f: True for f in fs}, theme in labels) for fs, labels in examples]
    clf = NaiveBayesClassifier.train(labelled, estimator=ELEProbDist)
    dist = clf.prob_classify({f: True for f in feats})
    return math.log(dist.prob(True)) - math.log(dist.prob(False))


def pattern_statistics(
    matches_and_labels: Sequence[tuple[Sequence[tuple[str, str]], set[str] | frozenset[str]]],
) -> dict[str, dict[str, tuple[int, int]]]:
    """Count, per theme and pattern, the training texts where a match agreed with the
    gold codes (tp) and where it did not (fp). Input: for each text, its (theme id,
    pattern source) matches and its gold theme ids."""
    stats: dict[str, dict[str, list[int]]] = {}
    for matched, labels in matches_and_labels:
        for theme, source in set(matched):
            row = stats.setdefault(theme, {}).setdefault(source, [0, 0])
            row[0 if theme in labels else 1] += 1
    return {t: {s: (c[0], c[1]) for s, c in p.items()} for t, p in stats.items()}


def with_pattern_stats(
    model: ThemeModel,
    stats: Mapping[str, Mapping[str, tuple[int, int]]],
    prior_strength: float = 300.0,
) -> ThemeModel:
    """A copy of ``model`` carrying pattern statistics (see :meth:`ThemeModel.pattern_score`)."""
    data = model.to_dict()
    data["pattern_stats"] = {t: {s: list(c) for s, c in p.items()} for t, p in stats.items()}
    data["prior_strength"] = prior_strength
    return ThemeModel(data)
