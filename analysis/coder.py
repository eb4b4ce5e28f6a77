"""The theme coder: rules compiled from the codebook, combined with a learned layer."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .codebook import Codebook
from .model import ThemeModel
from .rules import Match, RuleSet
from .textproc import Normaliser, Token

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class ThemeCode:
    """One theme assigned to a text: its id, a score in [0, 1] and evidence spans.

    ``evidence`` holds (start, end) character offsets into the original text;
    ``source`` says what assigned it: "rules", "model" or "rules+model".
    """

    theme: str
    score: float
    evidence: tuple[Span, ...]
    source: str


@dataclass(frozen=True, slots=True)
class CodingResult:
    """The coding of one text: themes (best first), concepts, and the coder version."""

    themes: tuple[ThemeCode, ...]
    concepts: tuple[str, ...]
    coder_version: str
    question: str | None = None

    @property
    def theme_ids(self) -> list[str]:
        """Ids of the assigned themes."""
        return [t.theme for t in self.themes]


@dataclass(slots=True)
class CoderSettings:
    """Decision thresholds of the combined coder.

    Each is a model probability, one per kind of rule evidence a theme can have.
    ``analysis.combine.learn_settings`` learns them from out-of-fold predictions on the
    training data (a stacked logistic layer), and ``train`` stores them in the model file.
    """

    rule_threshold: float = 0.5  # a rule match at least this strong assigns on its own
    # model probability that assigns a theme no rule found (above 1: never)
    model_only_threshold: float = 0.6
    weak_rule_threshold: float = 0.9  # model probability that confirms a weak rule match
    # model probability below which a strong rule code is dropped: ``veto_threshold``
    # when a strong match spans several words, ``single_word_veto_threshold`` when every
    # strong match is a single word (single words are the ambiguous ones: "caught", "bills")
    veto_threshold: float = 0.0
    single_word_veto_threshold: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


SETTING_NAMES = (
    "model_only_threshold",
    "weak_rule_threshold",
    "veto_threshold",
    "single_word_veto_threshold",
)


def settings_from_meta(meta: Mapping[str, Any]) -> CoderSettings:
    """The coder settings stored in a model file's ``meta`` (defaults for missing ones)."""
    settings = CoderSettings()
    stored = meta.get("settings")
    if isinstance(stored, Mapping):
        for key in SETTING_NAMES:
            if key in stored:
                setattr(settings, key, float(stored[key]))
    return settings


class Coder:
    """Codes free-text responses into codebook themes.

    Build it with :func:`analysis.load_coder`; it is immutable after construction
    and safe to share between threads.
    """

    def __init__(
        self,
        codebook: Codebook,
        model: ThemeModel | None = None,
        settings: CoderSettings | None = None,
    ) -> None:
        self.codebook = codebook
        self.normaliser = Normaliser(codebook.variants)
        self.rules = RuleSet(codebook, self.normaliser)
        self.theme_ids: list[str] = list(codebook.theme_ids)
        self.settings = settings or CoderSettings()
        self.model = model if model is not None and model.usable_for(self.theme_ids) else None
        self._model_index = (
            [self.model.theme_index.get(t, -1) for t in self.theme_ids]
            if self.model is not None
            else []
        )
        self._concepts = {t.id: t.concepts for t in codebook.active_themes}
        mo = self.settings.model_only_threshold
        self._model_only_logit = math.log(mo / (1.0 - mo)) if 0.0 < mo < 1.0 else math.inf
        rules = f"rules-{codebook.version}.{codebook.patterns_version}.{codebook.fingerprint}"
        self._version = rules if self.model is None else f"{rules}+model-{self.model.digest}"
        self._concept_order = list(codebook.concepts)

    @property
    def version(self) -> str:
        """Which rules and model make the codes: ``rules-1.3.ab12cd34+model-9f8e7d6c``."""
        return self._version

    def tokens(self, text: str) -> list[Token]:
        """The tokens the coder sees, with offsets into ``text``."""
        return self.normaliser.tokens(text)

    def rule_matches(self, text: str) -> list[Match]:
        """Surviving rule matches for ``text`` (for debugging and explanation)."""
        return self.rules.matches(self.tokens(text))

    def rule_scores(
        self, matches: Sequence[Match], model: ThemeModel | None = None
    ) -> tuple[list[float], list[bool]]:
        """Per theme: the rule score, and whether a strong match spans more than one word.

        With ``model``, each pattern's written score is first updated by the model's
        pattern statistics (see :meth:`ThemeModel.pattern_score`).
        """
        n = len(self.theme_ids)
        rule_score = [0.0] * n
        multi = [False] * n
        threshold = self.settings.rule_threshold
        seen: dict[tuple[int, str], float] = {}
        scored = []
        for m in matches:
            key = (m.theme, m.source)
            sc = seen.get(key)
            if sc is None:
                sc = (
                    m.score
                    if model is None
                    else model.pattern_score(self.theme_ids[m.theme], m.source, m.score)
                )
                seen[key] = sc
                scored.append((sc, m.theme))
            if sc >= threshold and m.last > m.first:
                multi[m.theme] = True
        scored.sort(reverse=True)
        for sc, ti in scored:
            s = rule_score[ti]
            if s == 0.0:
                rule_score[ti] = sc
            elif sc >= threshold:
                # a second strong, different pattern adds a little confidence;
                # weak patterns never add up to a code on their own
                rule_score[ti] = 1.0 - (1.0 - s) * (1.0 - sc * 0.3)
        return rule_score, multi

    def code(
        self,
        text: str | None,
        question: str | None = None,
        *,
        rules_only: bool = False,
        evidence: bool = True,
    ) -> CodingResult:
        """Code one text. ``question`` is the question id it answers, if known.

        ``evidence=False`` skips the evidence spans (faster for bulk coding).
        """
        if not text or not text.strip():
            return CodingResult((), (), self.version, question)
        tokens = self.normaliser.tokens(text)
        matches = self.rules.matches(tokens)
        n = len(self.theme_ids)
        adjust = (
            self.model
            if (self.model is not None and not rules_only and self.model.pattern_stats)
            else None
        )
        rule_score, multi = self.rule_scores(matches, adjust)
        spans: list[list[Span]] = [[] for _ in range(n)] if evidence else _NO_SPANS
        if evidence:
            for m in matches:
                spans[m.theme].append((tokens[m.first].start, tokens[m.last].end))
        st = self.settings
        out: list[ThemeCode] = []
        model = None if rules_only else self.model
        if model is None:
            for i, r in enumerate(rule_score):
                if r >= st.rule_threshold:
                    out.append(
                        ThemeCode(
                            self.theme_ids[i], round(min(r, 1.0), 3), _merge(spans[i]), "rules"
                        )
                    )
        else:
            # the learned layer is consulted where it can change the decision: weak rule
            # evidence, strong rule evidence when it may be vetoed, every theme when it may
            # assign on its own
            everything = st.model_only_threshold <= 1.0
            feat_spans: dict[str, list[Span]] | None = {} if (everything and evidence) else None
            feats: set[str] | None = None
            logits: list[float] | None = None
            if everything:
                # one pass over the features for all themes (cheaper than per theme)
                feats = model.features(tokens, question, matches, self.theme_ids, feat_spans)
                logits = model.logits(feats)
            for i, r in enumerate(rule_score):
                tid = self.theme_ids[i]
                mi = self._model_index[i]
                strong = r >= st.rule_threshold
                veto = 0.0
                if strong:
                    veto = st.veto_threshold if multi[i] else st.single_word_veto_threshold
                    if veto <= 0.0 or mi < 0:
                        out.append(ThemeCode(tid, round(min(r, 1.0), 3), _merge(spans[i]), "rules"))
                        continue
                elif mi < 0 or (r == 0.0 and not everything):
                    continue
                if logits is not None:
                    x = logits[mi]
                    if r == 0.0 and x < self._model_only_logit:
                        continue
                    p = sigmoid(x)
                else:
                    if feats is None:
                        feats = model.features(tokens, question, matches, self.theme_ids, None)
                    p = model.probability(mi, feats)
                if strong:
                    if p >= veto:
                        score = 1.0 - (1.0 - r) * (1.0 - p) ** 0.5
                        out.append(
                            ThemeCode(
                                tid, round(min(score, 1.0), 3), _merge(spans[i]), "rules+model"
                            )
                        )
                elif r > 0.0 and p >= st.weak_rule_threshold:
                    out.append(
                        ThemeCode(
                            tid, round(min(max(p, r), 1.0), 3), _merge(spans[i]), "rules+model"
                        )
                    )
                elif r == 0.0 and p >= st.model_only_threshold:
                    ev = model.evidence(tid, feat_spans) if feat_spans is not None else []
                    out.append(ThemeCode(tid, round(p, 3), _merge(ev), "model"))
        out.sort(key=lambda t: -t.score)
        ids = [t.theme for t in out]
        return CodingResult(tuple(out), tuple(self.concepts_for(ids)), self.version, question)

    def code_many(
        self,
        texts: Iterable[str | None],
        questions: Iterable[str | None] | None = None,
        *,
        rules_only: bool = False,
    ) -> Iterator[CodingResult]:
        """Code texts lazily, one result per text, in order."""
        if questions is None:
            for text in texts:
                yield self.code(text, rules_only=rules_only)
        else:
            for text, q in zip(texts, questions, strict=True):
                yield self.code(text, q, rules_only=rules_only)

    def concepts_for(self, theme_ids: Iterable[str]) -> list[str]:
        """Concepts that follow from these themes through the codebook mapping."""
        wanted: set[str] = set()
        for tid in theme_ids:
            wanted.update(self._concepts.get(tid, ()))
        return [c for c in self._concept_order if c in wanted] or sorted(wanted)


class _NoSpans:
    """Stands in for the per-theme span lists when evidence is not wanted."""

    def __getitem__(self, i: int) -> list[Span]:
        return []


_NO_SPANS: list[list[Span]] = _NoSpans()  # type: ignore[assignment]


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    if not spans:
        return ()
    spans = sorted(set(spans))
    out = [spans[0]]
    for s, e in spans[1:]:
        ps, pe = out[-1]
        if s <= pe:
            out[-1] = (ps, max(pe, e))
        else:
            out.append((s, e))
    return tuple(out)


def sigmoid(x: float) -> float:
    """Logistic function, safe for large magnitudes."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
