"""The rule layer: token patterns compiled from codebook data.

Pattern language (one pattern per string, elements separated by spaces):

``word``     matches any word with the same Snowball stem (``stabbing`` ~ ``stabbed``)
``word*``    matches words starting with ``word`` (``groom*``)
``=word``    matches exactly this word (after spelling normalisation)
``@name``    matches any entry of lexicon ``name`` (entries may be multi-word)
``@neg``     matches a negator (not, no, never, n't, nothing, nobody, without, ...)
``a|b``      matches either alternative (each may use the forms above)
``~N``       skips up to N words (never across . , ; : ! ? or dashes)
``~~N``      skips up to N tokens, across commas and dashes but not across . ; : ! ?

A match gives its theme the pattern's score. It is dropped when it overlaps a
match of one of the theme's ``excludes`` patterns, when a rejection cue ("it's
not about", "nothing to do with") ends just before it, or, for themes whose
negation mode is ``reject``, when a negator stands just before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from .codebook import Codebook, CodebookError
from .textproc import Normaliser, Token, stem_word

# Atom kinds
_STEM, _PREFIX, _EXACT, _NEG = 0, 1, 2, 3
Atom = tuple[int, str]
Alternative = tuple[Atom, ...]  # consecutive atoms
# An element is either a set of alternatives or a gap (None, max_skip).


@dataclass(frozen=True, slots=True)
class _Element:
    alts: tuple[Alternative, ...]
    gap: int  # -1 for a word element, else the max number of words skipped
    soft: bool = False  # a gap that may cross commas and dashes
    # single-word alternatives, pre-split for constant-time tests
    stems: frozenset[str] = frozenset()
    exacts: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    neg: bool = False
    multi: tuple[Alternative, ...] = ()  # alternatives of two or more words
    # first words of the multi-word alternatives, for a quick test
    multi_stems: frozenset[str] = frozenset()
    multi_exacts: frozenset[str] = frozenset()
    multi_other: bool = False  # some multi-word alternative starts with a prefix or @neg


def _element(alts: list[Alternative]) -> _Element:
    stems: set[str] = set()
    exacts: set[str] = set()
    prefixes: list[str] = []
    neg = False
    multi: list[Alternative] = []
    for alt in alts:
        if len(alt) > 1:
            multi.append(alt)
            continue
        kind, value = alt[0]
        if kind == _STEM:
            stems.add(value)
        elif kind == _EXACT:
            exacts.add(value)
        elif kind == _PREFIX:
            prefixes.append(value)
        else:
            neg = True
    return _Element(
        tuple(alts),
        -1,
        False,
        frozenset(stems),
        frozenset(exacts),
        tuple(sorted(set(prefixes))),
        neg,
        tuple(multi),
        frozenset(a[0][1] for a in multi if a[0][0] == _STEM),
        frozenset(a[0][1] for a in multi if a[0][0] == _EXACT),
        any(a[0][0] in (_PREFIX, _NEG) for a in multi),
    )


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """One compiled pattern and what a match of it means."""

    theme: int  # index into the rule set's theme list (-1 for cues)
    score: float
    elements: tuple[_Element, ...]
    source: str
    role: int = 0  # 0 theme pattern, 1 rejection cue, 2 exclusion of ``theme``
    pid: int = -1  # position in the index (set when indexed)
    # words that must occur somewhere in the text for a match (a cheap pre-filter):
    # one (stems, exact words) pair per later element without prefixes or negators
    required: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()


class Match(NamedTuple):
    """A rule match: theme index, score, and the token range it covers."""

    theme: int
    score: float
    first: int
    last: int  # inclusive token index
    source: str


_NEGATION_WINDOW = 2
# "not just about fear" affirms fear rather than rejecting it
_NOT_REJECTING = frozenset(
    {
        "just",
        "only",
        "simply",
        "merely",
        "solely",
        "alway",
        "onli",
        "stop",
        "enough",
        "much",
        "mani",
    }
)


ROLE_THEME, ROLE_CUE, ROLE_EXCLUDE, ROLE_AFTER, ROLE_CUE_R = 0, 1, 2, 3, 4


class RuleSet:
    """Compiled patterns of a codebook, indexed by their first word."""

    def __init__(self, codebook: Codebook, normaliser: Normaliser) -> None:
        self.normaliser = normaliser
        self.theme_ids = list(codebook.theme_ids)
        self.negation_reject = [t.negation == "reject" for t in codebook.active_themes]
        self._lexicons = {k.lower(): v for k, v in codebook.lexicons.items()}
        self.index = _Index()
        for ti, theme in enumerate(codebook.active_themes):
            for spec in theme.patterns:
                self.index.add(self._compile(spec.text, ti, spec.score))
            for text in theme.excludes:
                self.index.add(self._compile(text, ti, 0.0, ROLE_EXCLUDE))
        for text in codebook.rejection_cues:
            self.index.add(self._compile(text, -1, 0.0, ROLE_CUE))
        for text in codebook.rejection_after:
            self.index.add(self._compile(text, -1, 0.0, ROLE_AFTER))
        for text in codebook.rejection_cues_reject_mode:
            self.index.add(self._compile(text, -1, 0.0, ROLE_CUE_R))
        self.n_patterns = self.index.size

    # -- compiling ---------------------------------------------------------
    def _atom(self, word: str, source: str) -> list[Alternative]:
        if not word:
            raise CodebookError(f"empty element in pattern {source!r}")
        if word == "@neg":
            return [((_NEG, ""),)]
        if word.startswith("@"):
            entries = self._lexicons.get(word[1:].lower())
            if entries is None:
                raise CodebookError(f"unknown lexicon {word!r} in pattern {source!r}")
            alts: list[Alternative] = []
            for entry in entries:
                parts = entry.split()
                if any(p.startswith("@") or p.startswith("~") for p in parts):
                    raise CodebookError(f"lexicon entries cannot nest: {entry!r}")
                atoms: list[Atom] = []
                for p in parts:
                    sub = self._atom(p, source)
                    atoms.extend(sub[0])
                alts.append(tuple(atoms))
            return alts
        if word.startswith("="):
            if word.endswith("*") and len(word) > 2:
                return [((_PREFIX, word[1:-1].lower()),)]
            norm, _, _ = self.normaliser.normalise(word[1:])
            return [((_EXACT, norm),)]
        if word.endswith("*") and len(word) > 1:
            return [((_PREFIX, word[:-1].lower()),)]
        norm, stem, _ = self.normaliser.normalise(word)
        return [((_STEM, stem),)]

    def _compile(
        self, text: str, theme: int, score: float, role: int = ROLE_THEME
    ) -> CompiledPattern:
        elements: list[_Element] = []
        for part in text.split():
            if part.startswith("~"):
                soft = part.startswith("~~")
                try:
                    n = int(part[2:] if soft else part[1:])
                except ValueError:
                    raise CodebookError(f"bad gap {part!r} in pattern {text!r}") from None
                if not elements or n < 0 or n > 12:
                    raise CodebookError(f"gap {part!r} must follow a word and be 0-12 in {text!r}")
                elements.append(_Element((), n, soft))
                continue
            alts: list[Alternative] = []
            for alt in part.split("|"):
                alts.extend(self._atom(alt, text))
            elements.append(_element(alts))
        if not elements:
            raise CodebookError("empty pattern")
        if elements[-1].gap >= 0:
            raise CodebookError(f"pattern {text!r} cannot end with a gap")
        required: list[tuple[frozenset[str], frozenset[str]]] = []
        for el in elements[1:]:
            if el.gap >= 0 or el.prefixes or el.neg:
                continue
            stems = set(el.stems)
            exacts = set(el.exacts)
            for multi in el.multi:  # a multi-word alternative needs its first word
                kind, value = multi[0]
                if kind == _STEM:
                    stems.add(value)
                elif kind == _EXACT:
                    exacts.add(value)
                else:
                    break
            else:
                required.append((frozenset(stems), frozenset(exacts)))
        return CompiledPattern(
            theme, score, tuple(elements), text, role=role, required=tuple(required)
        )

    # -- matching ------------------------------------------------------------
    def matches(self, tokens: Sequence[Token]) -> list[Match]:
        """All surviving theme matches in a token list."""
        found, cue_ends, excluded, after_starts, cue_r_ends = _find(self.index, tokens)
        if not found:
            return []
        out: list[Match] = []
        for m in found:
            # a rejection cue ending just before the match
            if cue_ends and _cue_before(tokens, m.first, cue_ends):
                continue
            if after_starts and _cue_after(tokens, m.last, after_starts):
                continue
            if self.negation_reject[m.theme] and (
                _negated(tokens, m.first)
                or (cue_r_ends and _cue_before(tokens, m.first, cue_r_ends))
            ):
                continue
            if excluded:
                ems = excluded.get(m.theme)
                if ems and any(f <= m.last and m.first <= last for f, last in ems):
                    continue
            out.append(m)
        return out


class _Index:
    """First-word index of compiled patterns, with a per-word candidate cache."""

    def __init__(self) -> None:
        self._by_stem: dict[str, list[CompiledPattern]] = {}
        self._by_exact: dict[str, list[CompiledPattern]] = {}
        self._by_prefix: dict[str, list[CompiledPattern]] = {}
        self._by_neg: list[CompiledPattern] = []
        self._prefix_lengths: tuple[int, ...] = ()
        self._cache: dict[str, tuple[tuple[CompiledPattern, ...], tuple[int, ...]]] = {}
        # anchors: one word set per pattern that must occur in the text for a match
        self._anchor_stem: dict[str, list[int]] = {}
        self._anchor_exact: dict[str, list[int]] = {}
        self.anchored: set[int] = set()
        self.size = 0

    def add(self, pattern: CompiledPattern) -> None:
        """Index a pattern under each possible first word (and under its anchor words)."""
        pattern = replace(pattern, pid=self.size)
        if pattern.required:
            stems, exacts = min(pattern.required, key=_anchor_cost)
            for st in stems:
                self._anchor_stem.setdefault(st, []).append(pattern.pid)
            for ex in exacts:
                self._anchor_exact.setdefault(ex, []).append(pattern.pid)
            self.anchored.add(pattern.pid)
        for alt in pattern.elements[0].alts:
            kind, value = alt[0]
            if kind == _STEM:
                self._by_stem.setdefault(value, []).append(pattern)
            elif kind == _EXACT:
                self._by_exact.setdefault(value, []).append(pattern)
            elif kind == _PREFIX:
                self._by_prefix.setdefault(value, []).append(pattern)
            else:
                self._by_neg.append(pattern)
        self._prefix_lengths = tuple(sorted({len(k) for k in self._by_prefix}))
        self._cache.clear()
        self.size += 1

    def candidates(self, tok: Token) -> tuple[tuple[CompiledPattern, ...], tuple[int, ...]]:
        """Patterns whose first element may match this token, and the ids of the
        patterns this token anchors (both cached per word)."""
        key = tok.norm  # the normalised form fixes the stem and the negator flag
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        cands: list[CompiledPattern] = []
        cands.extend(self._by_stem.get(tok.stem, ()))
        cands.extend(self._by_exact.get(tok.norm, ()))
        norm = tok.norm
        for k in self._prefix_lengths:
            if k > len(norm):
                break
            cands.extend(self._by_prefix.get(norm[:k], ()))
        if tok.negator:
            cands.extend(self._by_neg)
        seen: set[int] = set()
        unique = []
        for p in cands:
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        anchors = tuple(
            sorted(
                set(self._anchor_stem.get(tok.stem, ())) | set(self._anchor_exact.get(tok.norm, ()))
            )
        )
        result = (tuple(unique), anchors)
        if len(self._cache) < 200_000:
            self._cache[key] = result
        return result


_COMMON = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "and",
        "or",
        "but",
        "be",
        "is",
        "are",
        "was",
        "were",
        "it",
        "its",
        "it's",
        "this",
        "that",
        "my",
        "our",
        "your",
        "his",
        "her",
        "their",
        "them",
        "they",
        "we",
        "you",
        "i",
        "me",
        "us",
        "he",
        "she",
        "him",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "get",
        "got",
        "go",
        "not",
        "no",
        "so",
        "as",
        "by",
        "from",
        "up",
        "out",
    ]
)


def _anchor_cost(req: tuple[frozenset[str], frozenset[str]]) -> tuple[int, int]:
    words = req[0] | req[1]
    return (sum(1 for w in words if w in _COMMON or len(w) <= 2), len(words))


def _find(
    index: _Index, tokens: Sequence[Token]
) -> tuple[list[Match], set[int], dict[int, list[tuple[int, int]]], set[int], set[int]]:
    """One pass over the tokens: theme matches, ends of rejection cues, excluded ranges."""
    found: list[Match] = []
    cue_ends: set[int] = set()
    after_starts: set[int] = set()
    cue_r_ends: set[int] = set()
    excluded: dict[int, list[tuple[int, int]]] = {}
    cache = index._cache
    candidates = index.candidates
    empty: tuple[tuple[CompiledPattern, ...], tuple[int, ...]] = ((), ())
    per_token = []
    present: set[int] = set()
    for tok in tokens:
        if tok.boundary:
            per_token.append(empty)
            continue
        hit = cache.get(tok.norm)
        if hit is None:
            hit = candidates(tok)
        per_token.append(hit)
        if hit[1]:
            present.update(hit[1])
    anchored = index.anchored
    stems: set[str] | None = None
    norms: set[str] | None = None
    for i, (cands, _) in enumerate(per_token):
        if not cands:
            continue
        for p in cands:
            if p.pid in anchored:
                if p.pid not in present:
                    continue
                if len(p.required) > 1:
                    if stems is None or norms is None:
                        stems = {t.stem for t in tokens}
                        norms = {t.norm for t in tokens}
                    ok = True
                    for rs, rx in p.required:
                        if rs.isdisjoint(stems) and rx.isdisjoint(norms):
                            ok = False
                            break
                    if not ok:
                        continue
            end = _match_from(p.elements, 0, tokens, i)
            if end < 0:
                continue
            if p.role == ROLE_THEME:
                found.append(Match(p.theme, p.score, i, end, p.source))
            elif p.role == ROLE_CUE:
                cue_ends.add(end)
            elif p.role == ROLE_AFTER:
                after_starts.add(i)
            elif p.role == ROLE_CUE_R:
                cue_r_ends.add(end)
            else:
                excluded.setdefault(p.theme, []).append((i, end))
    return found, cue_ends, excluded, after_starts, cue_r_ends


def _atom_ok(atom: Atom, tok: Token) -> bool:
    kind, value = atom
    if tok.boundary:
        return False
    if kind == _STEM:
        return tok.stem == value
    if kind == _PREFIX:
        return tok.norm.startswith(value)
    if kind == _EXACT:
        return tok.norm == value
    return tok.negator


def _match_from(elements: tuple[_Element, ...], ei: int, tokens: Sequence[Token], ti: int) -> int:
    """Match elements[ei:] starting at token ti; return the last token index or -1."""
    el = elements[ei]
    n = len(tokens)
    if el.gap >= 0:
        # elements[ei + 1] exists (patterns never end with a gap)
        nxt = elements[ei + 1]
        soft = el.soft
        for skip in range(el.gap + 1):
            j = ti + skip
            if j >= n:
                return -1
            tok = tokens[j]
            if skip:
                prev = tokens[j - 1]
                if prev.boundary and (prev.strong or not soft):
                    return -1
            if tok.boundary:
                continue
            if not (
                tok.stem in nxt.stems
                or tok.norm in nxt.exacts
                or (nxt.prefixes and tok.norm.startswith(nxt.prefixes))
                or (nxt.neg and tok.negator)
                or (
                    nxt.multi
                    and (
                        nxt.multi_other
                        or tok.stem in nxt.multi_stems
                        or tok.norm in nxt.multi_exacts
                    )
                )
            ):
                continue
            end = _match_from(elements, ei + 1, tokens, j)
            if end >= 0:
                return end
        return -1
    if ti >= n:
        return -1
    last = ei + 1 == len(elements)
    tok = tokens[ti]
    if not tok.boundary and (
        tok.stem in el.stems
        or tok.norm in el.exacts
        or (el.prefixes and tok.norm.startswith(el.prefixes))
        or (el.neg and tok.negator)
    ):
        if last:
            return ti
        end = _match_from(elements, ei + 1, tokens, ti + 1)
        if end >= 0:
            return end
    if not el.multi or not (
        el.multi_other or tok.stem in el.multi_stems or tok.norm in el.multi_exacts
    ):
        return -1
    for alt in el.multi:
        j = ti
        ok = True
        for atom in alt:
            if j >= n or not _atom_ok(atom, tokens[j]):
                ok = False
                break
            j += 1
        if not ok:
            continue
        if last:
            return j - 1
        end = _match_from(elements, ei + 1, tokens, j)
        if end >= 0:
            return end
    return -1


def _negated(tokens: Sequence[Token], first: int) -> bool:
    """A negator within the few words before ``first`` (same clause), not "not just"."""
    j = first - 1
    stop = max(0, first - _NEGATION_WINDOW)
    while j >= stop:
        tok = tokens[j]
        if tok.boundary:
            return False
        if tok.negator:
            nxt = tokens[j + 1] if j + 1 < len(tokens) else None
            return not (nxt is not None and nxt.stem in _NOT_REJECTING)
        j -= 1
    return False


def _cue_before(tokens: Sequence[Token], first: int, cue_ends: set[int]) -> bool:
    j = first - 1
    stop = max(0, first - 4)
    while j >= stop:
        if j in cue_ends:
            return True
        if tokens[j].boundary:
            return False
        j -= 1
    return False


__all__ = ["CompiledPattern", "Match", "RuleSet", "stem_word"]


def _cue_after(tokens: Sequence[Token], last: int, after_starts: set[int]) -> bool:
    """A denial such as "isn't the reason" starting within a few words after a match."""
    j = last + 1
    stop = min(len(tokens), last + 4)
    while j < stop:
        if j in after_starts:
            return True
        if tokens[j].boundary and tokens[j].strong:
            return False
        j += 1
    return False
