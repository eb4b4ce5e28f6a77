"""The codebook: themes, concepts and the rule data (patterns, lexicons, spellings).

The specification (theme ids, labels, definitions, concept mapping) lives in
``data/codebook.yaml``; the project's own rule data lives apart from it in
``data/patterns.yaml``. Both are plain data: the rules are compiled from them at
load time, so themes can be added, retired or re-worded without touching code.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CODEBOOK = DATA_DIR / "codebook.yaml"
DEFAULT_PATTERNS = DATA_DIR / "patterns.yaml"

NEGATION_MODES = ("reject", "polarity")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# Groups whose themes are about what is lacking or needed: negation there is
# polarity ("no youth clubs" is still about youth clubs), not rejection.
_POLARITY_GROUPS = frozenset({"provision", "strength"})


class CodebookError(ValueError):
    """Raised when codebook or pattern data is malformed."""


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """One rule pattern as written in the data, with the score a match gives."""

    text: str
    score: float


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme of the codebook, with its rule data."""

    id: str
    label: str
    definition: str = ""
    group: str = ""
    concepts: tuple[str, ...] = ()
    patterns: tuple[PatternSpec, ...] = ()
    excludes: tuple[str, ...] = ()
    negation: str = "reject"
    retired: bool = False


@dataclass(frozen=True, slots=True)
class Codebook:
    """A whole codebook: themes, concepts, questions and shared rule data."""

    version: str
    themes: tuple[Theme, ...]
    concepts: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    lexicons: dict[str, tuple[str, ...]] = field(default_factory=dict)
    variants: dict[str, str] = field(default_factory=dict)
    rejection_cues: tuple[str, ...] = ()
    rejection_after: tuple[str, ...] = ()
    rejection_cues_reject_mode: tuple[str, ...] = ()
    patterns_version: str = "0"

    @property
    def active_themes(self) -> tuple[Theme, ...]:
        """Themes that are not retired, in codebook order."""
        return tuple(t for t in self.themes if not t.retired)

    @property
    def theme_ids(self) -> tuple[str, ...]:
        """Ids of the active themes, in codebook order."""
        return tuple(t.id for t in self.active_themes)

    def theme(self, theme_id: str) -> Theme:
        """Return the theme with this id (KeyError if unknown)."""
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)

    def concepts_for(self, theme_ids: list[str] | tuple[str, ...]) -> list[str]:
        """Concept ids fed by these themes, in codebook concept order, without repeats."""
        wanted: set[str] = set()
        by_id = {t.id: t for t in self.themes}
        for tid in theme_ids:
            t = by_id.get(tid)
            if t is not None:
                wanted.update(t.concepts)
        order = list(self.concepts) or sorted(wanted)
        return [c for c in order if c in wanted]

    @property
    def fingerprint(self) -> str:
        """Short hash of everything the rules are built from."""
        payload = {
            "themes": [
                [
                    t.id,
                    t.negation,
                    t.retired,
                    [(p.text, p.score) for p in t.patterns],
                    list(t.excludes),
                ]
                for t in self.themes
            ],
            "lexicons": {k: list(v) for k, v in sorted(self.lexicons.items())},
            "variants": dict(sorted(self.variants.items())),
            "cues": list(self.rejection_cues),
            "after": list(self.rejection_after),
            "cues_reject_mode": list(self.rejection_cues_reject_mode),
        }
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()
        return hashlib.sha256(raw).hexdigest()[:8]


def _as_str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CodebookError(f"{where} must be a list of strings")
    return list(value)


def _parse_patterns(value: Any, default_score: float, where: str) -> list[PatternSpec]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CodebookError(f"{where} must be a list")
    out: list[PatternSpec] = []
    for item in value:
        if isinstance(item, str):
            out.append(PatternSpec(item.strip(), default_score))
        elif isinstance(item, Mapping) and isinstance(item.get("p"), str):
            score = float(item.get("score", default_score))
            if not 0.0 <= score <= 1.0:
                raise CodebookError(f"{where}: score must be in [0, 1]")
            out.append(PatternSpec(str(item["p"]).strip(), score))
        else:
            raise CodebookError(f"{where}: each pattern is a string or {{p: ..., score: ...}}")
    return [p for p in out if p.text]


def _label_patterns(label: str) -> list[PatternSpec]:
    """Fallback rules for a theme added without patterns: its label's content words."""
    small = {"and", "or", "the", "of", "to", "in", "for", "a", "an", "with", "on", "their", "its"}
    words = [w for w in re.findall(r"[a-z]+", label.lower()) if w not in small and len(w) > 2]
    return [PatternSpec(w, 0.6) for w in words]


def codebook_from_dict(
    data: Mapping[str, Any], patterns: Mapping[str, Any] | None = None
) -> Codebook:
    """Build a :class:`Codebook` from parsed codebook data, merged with pattern data.

    ``data`` has the shape of ``codebook.yaml``; a theme may also carry its own
    ``patterns``, ``excludes``, ``negation`` and ``retired`` keys (as the app's
    codebook editor stores them). ``patterns`` has the shape of ``patterns.yaml``;
    where both give patterns for a theme, they are combined. Raises
    :class:`CodebookError` on malformed data.
    """
    if not isinstance(data, Mapping):
        raise CodebookError("codebook must be a mapping")
    pdata: Mapping[str, Any] = patterns or {}
    if not isinstance(pdata, Mapping):
        raise CodebookError("pattern data must be a mapping")
    raw_themes = data.get("themes")
    if not isinstance(raw_themes, list) or not raw_themes:
        raise CodebookError("codebook needs a non-empty list of themes")
    concepts: dict[str, str] = {}
    for c in data.get("concepts") or []:
        if not isinstance(c, Mapping) or "id" not in c:
            raise CodebookError("each concept needs an id")
        concepts[str(c["id"])] = str(c.get("label", c["id"]))
    questions: dict[str, str] = {}
    for q in data.get("questions") or []:
        if not isinstance(q, Mapping) or "id" not in q:
            raise CodebookError("each question needs an id")
        questions[str(q["id"])] = str(q.get("text", q["id"]))

    ptheme_data = pdata.get("themes") or {}
    if not isinstance(ptheme_data, Mapping):
        raise CodebookError("patterns: themes must be a mapping of theme id to rules")
    default_score = float(pdata.get("default_score", 0.9))

    themes: list[Theme] = []
    seen: set[str] = set()
    for i, t in enumerate(raw_themes):
        if not isinstance(t, Mapping):
            raise CodebookError(f"theme #{i + 1} must be a mapping")
        tid = str(t.get("id", ""))
        if not _ID_RE.match(tid):
            raise CodebookError(f"theme #{i + 1}: id {tid!r} must be lower_snake_case")
        if tid in seen:
            raise CodebookError(f"duplicate theme id {tid!r}")
        seen.add(tid)
        t_concepts = tuple(_as_str_list(t.get("concepts"), f"theme {tid}: concepts"))
        unknown = [c for c in t_concepts if concepts and c not in concepts]
        if unknown:
            raise CodebookError(f"theme {tid}: unknown concepts {unknown}")
        extra = ptheme_data.get(tid) or {}
        if not isinstance(extra, Mapping):
            raise CodebookError(f"patterns for {tid} must be a mapping")
        group = str(t.get("group", ""))
        pats = _parse_patterns(t.get("patterns"), default_score, f"theme {tid}: patterns")
        pats += _parse_patterns(extra.get("patterns"), default_score, f"patterns {tid}")
        pats += [
            PatternSpec(k, default_score)
            for k in _as_str_list(t.get("keywords"), f"{tid}: keywords")
        ]
        if not pats:
            pats = _label_patterns(str(t.get("label", tid)))
        negation = str(
            t.get("negation")
            or extra.get("negation")
            or ("polarity" if group in _POLARITY_GROUPS else "reject")
        )
        if negation not in NEGATION_MODES:
            raise CodebookError(f"theme {tid}: negation must be one of {NEGATION_MODES}")
        excludes = _as_str_list(t.get("excludes"), f"{tid}: excludes") + _as_str_list(
            extra.get("excludes"), f"patterns {tid}: excludes"
        )
        themes.append(
            Theme(
                id=tid,
                label=str(t.get("label", tid)),
                definition=str(t.get("definition", "")),
                group=group,
                concepts=t_concepts,
                patterns=tuple(pats),
                excludes=tuple(excludes),
                negation=negation,
                retired=bool(t.get("retired", False)),
            )
        )

    lexicons: dict[str, tuple[str, ...]] = {}
    for source in (pdata.get("lexicons") or {}, data.get("lexicons") or {}):
        if not isinstance(source, Mapping):
            raise CodebookError("lexicons must be a mapping of name to word list")
        for name, words in source.items():
            lexicons[str(name)] = tuple(lexicons.get(str(name), ())) + tuple(
                _as_str_list(words, f"lexicon {name}")
            )
    variants: dict[str, str] = {}
    for source in (pdata.get("variants") or {}, data.get("variants") or {}):
        if not isinstance(source, Mapping):
            raise CodebookError("variants must be a mapping of variant to canonical spelling")
        variants.update({str(k): str(v) for k, v in source.items()})
    cues = _as_str_list(pdata.get("rejection_cues"), "rejection_cues") + _as_str_list(
        data.get("rejection_cues"), "rejection_cues"
    )
    after = _as_str_list(pdata.get("rejection_after"), "rejection_after") + _as_str_list(
        data.get("rejection_after"), "rejection_after"
    )
    cues_r = _as_str_list(
        pdata.get("rejection_cues_reject_mode"), "rejection_cues_reject_mode"
    ) + _as_str_list(data.get("rejection_cues_reject_mode"), "rejection_cues_reject_mode")
    return Codebook(
        version=str(data.get("version", "0")),
        themes=tuple(themes),
        concepts=concepts,
        questions=questions,
        lexicons=lexicons,
        variants=variants,
        rejection_cues=tuple(cues),
        rejection_after=tuple(after),
        rejection_cues_reject_mode=tuple(cues_r),
        patterns_version=str(pdata.get("version", "0")),
    )


def _load_yaml_text(text: str, what: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"{what} is not valid YAML: {exc}") from None


def default_pattern_data() -> dict[str, Any]:
    """The project's own pattern data (``data/patterns.yaml``) as a dict."""
    data = _load_yaml_text(DEFAULT_PATTERNS.read_text(encoding="utf-8"), str(DEFAULT_PATTERNS))
    return dict(data or {})


def codebook_from_yaml(text: str, *, with_default_patterns: bool = True) -> Codebook:
    """Build a codebook from a YAML string (e.g. one edited by staff in the app).

    With ``with_default_patterns`` the project's own patterns, lexicons and
    spellings are merged in for the themes the string does not fully describe.
    """
    data = _load_yaml_text(text, "codebook")
    return codebook_from_dict(data or {}, default_pattern_data() if with_default_patterns else None)


def load_codebook(
    path: str | Path | None = None, patterns_path: str | Path | None = None
) -> Codebook:
    """Load a codebook from a YAML file (default: the shipped one) plus pattern data.

    ``patterns_path`` defaults to the shipped ``data/patterns.yaml``.
    """
    cb_path = Path(path) if path is not None else DEFAULT_CODEBOOK
    pat_path = Path(patterns_path) if patterns_path is not None else DEFAULT_PATTERNS
    data = _load_yaml_text(cb_path.read_text(encoding="utf-8"), str(cb_path))
    pdata = (
        _load_yaml_text(pat_path.read_text(encoding="utf-8"), str(pat_path))
        if pat_path.exists()
        else {}
    )
    return codebook_from_dict(data or {}, pdata or {})
