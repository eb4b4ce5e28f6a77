"""Text processing: tokens with character offsets, spelling normalisation, cached stems.

Everything here is data-free: a compiled regular expression tokenizer and NLTK's
Snowball stemmer (which ships its rules in code, not in ``nltk_data``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from nltk.stem.snowball import EnglishStemmer

# Words (with inner apostrophes or hyphens) and the clause punctuation that
# bounds gaps and negation scope.
_TOKEN_RE = re.compile(r"[^\W_]+(?:['\u2019\u2018][^\W_]+)*|[.!?;:,\u2013\u2014()]+", re.UNICODE)
_BOUNDARY_CHARS = frozenset(".!?;:,\u2013\u2014()")

_STRONG_CHARS = frozenset(".!?;:")

_STEMMER = EnglishStemmer()

# Endings spelt with z in US English and s in British English.
_IZE_RE = re.compile(r"(?<=[a-z]{3})iz(e|es|ed|ing|ation|ations|er|ers)$")
_YZE_RE = re.compile(r"(?<=[a-z]{2})yz(e|es|ed|ing)$")

NEGATORS = frozenset(
    {
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nowhere",
        "neither",
        "nor",
        "without",
        "cannot",
        "noone",
        "aint",
        "ain't",
        "hardly",
        "barely",
    }
)


class Token(NamedTuple):
    """One token: its normalised form, its stem, and its offsets in the original text."""

    norm: str
    stem: str
    start: int
    end: int
    boundary: bool
    negator: bool
    strong: bool = False


class Normaliser:
    """Maps raw tokens to a normalised form and a stem, with a cache.

    ``variants`` maps spelling variants, misspellings and contracted forms to a
    canonical spelling (``neighborhood -> neighbourhood``, ``knifes -> knife``).
    """

    def __init__(self, variants: Mapping[str, str] | None = None) -> None:
        self.variants: dict[str, str] = {k.lower(): v.lower() for k, v in (variants or {}).items()}
        self._cache: dict[str, tuple[str, str, bool]] = {}

    def normalise(self, raw: str) -> tuple[str, str, bool]:
        """Return (normalised form, stem, is_negator) for one raw token."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        low = raw.lower().replace("\u2019", "'").replace("\u2018", "'")
        norm = self.variants.get(low)
        if norm is None:
            norm = _IZE_RE.sub(r"is\1", low)
            norm = _YZE_RE.sub(r"ys\1", norm)
            norm = self.variants.get(norm, norm)
        negator = (
            norm in NEGATORS
            or norm.endswith("n't")
            or norm in _NT_WORDS
            or (norm.endswith("'s") and norm[:-2] in NEGATORS)  # "nobody's", "nothing's"
        )
        stem = stem_word(norm)
        result = (norm, stem, negator)
        if len(self._cache) < 500_000:
            self._cache[raw] = result
        return result

    def tokens(self, text: str) -> list[Token]:
        """Tokenise ``text`` keeping character offsets into the original string."""
        out: list[Token] = []
        append = out.append
        cache = self._cache
        norm_fn = self.normalise
        new = tuple.__new__
        for m in _TOKEN_RE.finditer(text):
            raw = m.group()
            start, end = m.span()
            hit = cache.get(raw)
            if hit is None:
                if raw[0] in _BOUNDARY_CHARS:
                    strong = any(c in _STRONG_CHARS for c in raw)
                    append(new(Token, (raw, raw, start, end, True, False, strong)))
                    continue
                hit = norm_fn(raw)
            append(new(Token, (hit[0], hit[1], start, end, False, hit[2], False)))
        return out


# Negative contractions written without the apostrophe, as people often type them.
_NT_WORDS = frozenset(
    {
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "cant",
        "couldnt",
        "wont",
        "wouldnt",
        "shouldnt",
        "havent",
        "hasnt",
        "hadnt",
        "aint",
    }
)


@lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    """Snowball (Porter2) stem of one lower-case word, cached."""
    if "'" in word:
        head, _, tail = word.partition("'")
        if tail in {"s", "re", "ve", "ll", "d", "m", "t"} and not word.endswith("n't"):
            word = head
    return _STEMMER.stem(word)
