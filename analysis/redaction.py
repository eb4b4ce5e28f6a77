"""Personal-data redaction for free-text responses.

:func:`redact` replaces, in this order of precedence,

* e-mail addresses                       -> ``[email]``
* UK phone numbers (07.., 01/02/03/08.., +44 / 0044, spaced, dashed, dotted, bracketed;
  and other ``+<country code>`` numbers) -> ``[phone]``
* UK postcodes, full (``LE1 5AB``, ``le15ab``) or outward only (``LE2``) -> ``[postcode]``
* street addresses (``12 Melton Road``, ``flat 3, 45 Narborough Rd``, ``on Belgrave Gate``)
  -> ``[address]``
* personal names -> ``[name]``

E-mails, phones and postcodes are found with validated regular expressions. Addresses use a
street-suffix grammar. Names are hard offline; they combine capitalisation with shipped name
lists (``analysis/data/names_*.txt``), titles (``Mr``, ``Dr``, ``Imam``), and cue phrases
(``my son Jamal``, ``a lad called tyrone``, ``I'm Zainab``). Leicester area names, days,
months, faiths and organisations are never taken as names on their own
(``analysis/data/redaction_not_names.txt``).

Every regular expression is either bounded or unambiguous, so the run time is linear in
the length of the text even for hostile input.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "RedactedSpan",
    "RedactionResult",
    "find_pii",
    "redact",
    "redact_text",
    "redaction_key",
    "redactor_version",
]

KINDS: tuple[str, ...] = ("email", "phone", "postcode", "address", "name")
PLACEHOLDERS: dict[str, str] = {kind: f"[{kind}]" for kind in KINDS}
_PRIORITY = {kind: i for i, kind in enumerate(KINDS)}

_DATA_DIR = Path(__file__).resolve().parent / "data"


def _words(spaced: str) -> frozenset[str]:
    """Build a frozenset from a space-separated string of words."""
    return frozenset(spaced.split())


@dataclass(frozen=True)
class RedactedSpan:
    """A replaced piece of personal data: ``text[start:end]`` of the *original* text."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class RedactionResult:
    """Outcome of :func:`redact`: the redacted text and the spans replaced (original offsets)."""

    text: str
    spans: list[RedactedSpan] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return how many spans of each kind were replaced."""
        out = dict.fromkeys(KINDS, 0)
        for span in self.spans:
            out[span.kind] += 1
        return out


# --------------------------------------------------------------------------------------
# Data files
# --------------------------------------------------------------------------------------


def _read_list(name: str) -> list[str]:
    """Read a shipped word list (``#`` comments and blank lines ignored)."""
    path = _DATA_DIR / name
    items = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#"):
                items.append(line)
    return items


@dataclass(frozen=True)
class _Lexicon:
    given: frozenset[str]
    surnames: frozenset[str]
    core: frozenset[str]
    ambiguous: frozenset[str]
    common: frozenset[str]
    not_names: frozenset[str]
    not_name_phrases: re.Pattern[str]


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    """Load the name lists once."""
    not_names = _read_list("redaction_not_names.txt")
    single = frozenset(n.lower() for n in not_names if " " not in n)
    phrases = sorted((n for n in not_names if " " in n), key=len, reverse=True)
    phrase_re = re.compile(
        r"(?<![\w])(?:"
        + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
        + r")(?![\w])",
        re.IGNORECASE,
    )
    return _Lexicon(
        given=frozenset(n.lower() for n in _read_list("names_given.txt")),
        surnames=frozenset(n.lower() for n in _read_list("names_surnames.txt")),
        core=frozenset(n.lower() for n in _read_list("names_core.txt")),
        ambiguous=frozenset(n.lower() for n in _read_list("names_ambiguous.txt")),
        common=frozenset(n.lower() for n in _read_list("redaction_common_words.txt")),
        not_names=single,
        not_name_phrases=phrase_re,
    )


# --------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
    r"(?:[A-Za-z0-9][A-Za-z0-9\-]{0,62}\.){1,8}[A-Za-z]{2,24}(?![\w\-])"
)
_EMAIL_OBFUSCATED = re.compile(
    r"(?<![\w.])[A-Za-z0-9][\w.\-]{0,63}\s{0,2}(?:\(at\)|\[at\]|\{at\}|\sat\s)\s{0,2}"
    r"(?:gmail|googlemail|hotmail|yahoo|outlook|icloud|live|btinternet|aol|sky|protonmail|"
    r"ntlworld|talktalk|virginmedia|me|mail)\s{0,2}(?:\.|\(dot\)|\[dot\]|\sdot\s)\s{0,2}"
    r"(?:com|co\s{0,2}(?:\.|\sdot\s)\s{0,2}uk|net|org|uk)(?![\w])",
    re.IGNORECASE,
)


def _find_emails(text: str) -> list[RedactedSpan]:
    spans = [RedactedSpan(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    spans += [RedactedSpan(m.start(), m.end(), "email") for m in _EMAIL_OBFUSCATED.finditer(text)]
    return spans


# --------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------

# A phone-like run: a UK prefix, then digit groups separated by at most 3 separator
# characters. Separators and digits are disjoint, so matching is linear.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)[ \t]?44[ \t]?(?:\(0\)[ \t]?)?\(?|\(?0)\d{1,12}\)?"
    r"(?:[ \t.\-]{1,3}\(?\d{1,8}\)?){0,6}"
)
_PHONE_INTL = re.compile(r"(?<![\w+])\+(?!44)\d{1,3}(?:[ \t.\-]?\(?\d{1,12}\)?){1,6}")
_DIGIT_RUN = re.compile(r"\d+")


def _valid_uk(digits: str, international: bool) -> bool:
    """Check a digit string (without separators) is a plausible UK number."""
    if international:
        digits = digits[4:] if digits.startswith("0044") else digits[2:]  # drop (00)44
        if digits.startswith("0"):
            digits = digits[1:]
        digits = "0" + digits
    if not digits.startswith("0") or len(digits) not in (10, 11):
        return False
    second = digits[1]
    if second == "7":
        return len(digits) == 11
    return second in "1235689"


def _find_phones(text: str) -> list[RedactedSpan]:
    spans: list[RedactedSpan] = []
    pos = 0
    while True:
        m = _PHONE.search(text, pos)
        if m is None:
            break
        chunk = m.group(0)
        international = chunk.startswith("+") or chunk.startswith("00")
        runs = list(_DIGIT_RUN.finditer(chunk))
        best_end = -1
        digits = ""
        for run in runs:
            digits += run.group(0)
            limit = 15 if international else 11
            if len(digits) > limit:
                break
            if _valid_uk(digits, international):
                best_end = run.end()
        if best_end > 0:
            end = m.start() + best_end
            if end < len(text) and text[end] == ")" and "(" in chunk[:best_end]:
                end += 1
            spans.append(RedactedSpan(m.start(), end, "phone"))
            pos = end
        else:
            first = runs[0].end() if runs else 1
            pos = m.start() + max(first, 1)
    for m in _PHONE_INTL.finditer(text):
        n = sum(c.isdigit() for c in m.group(0))
        if 8 <= n <= 15:
            spans.append(RedactedSpan(m.start(), m.end(), "phone"))
    return spans


# --------------------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------------------

_AREAS = _words(
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN "
    "DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW "
    "KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG "
    "RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC "
    "WD WF WN WR WS WV YO ZE"
)
_FULL_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2})(\d[A-Za-z\d]?)[ \t\-]{0,2}(\d[A-Za-z]{2})(?![A-Za-z0-9])"
)
_OUTWARD = re.compile(
    r"(?<![A-Za-z0-9'\-])([A-Za-z]{1,2})(\d{1,2}|\d[A-Za-z])(?:[ \t]\d(?![A-Za-z0-9]))?"
    r"(?![A-Za-z0-9])"
)
_ROAD_AFTER = re.compile(r"\s*(?:motorway|road|junction|jct|j\d)", re.IGNORECASE)


def _find_postcodes(text: str) -> list[RedactedSpan]:
    spans: list[RedactedSpan] = []
    taken = bytearray(len(text) + 1)
    for m in _FULL_POSTCODE.finditer(text):
        if m.group(1).upper() in _AREAS:
            spans.append(RedactedSpan(m.start(), m.end(), "postcode"))
            taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for m in _OUTWARD.finditer(text):
        if taken[m.start()]:
            continue
        area, district = m.group(1), m.group(2)
        if area.upper() not in _AREAS:
            continue
        if len(area) == 1:
            if not area.isupper():
                continue
            before = text[max(0, m.start() - 4) : m.start()].lower()
            if before.endswith("the ") or _ROAD_AFTER.match(text, m.end()):
                continue
            if district[-1].isalpha() and not district[-1].isupper():
                continue
        elif not (area.isupper() or area.islower()):
            continue
        if district[-1].isalpha() and area.islower():
            continue
        spans.append(RedactedSpan(m.start(), m.end(), "postcode"))
    return spans


# --------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------

_SUFFIXES = (
    r"road|rd|street|st|lane|ln|avenue|ave|av|close|drive|dr|way|gate|walk|crescent|cres|"
    r"place|pl|court|ct|terrace|terr|tce|grove|gardens|gdns|hill|square|sq|row|rise|mews|"
    r"parade|pde|vale|view|yard|wharf|boulevard|blvd|causeway|chase|croft|fields|meadows?|"
    r"approach|bank|passage|circle|embankment|green"
)
_SUFFIX_RE = (
    r"(?:(?:rd|st|ln|ave|av|cl|dr|cres|pl|ct|terr|tce|gdns|sq|pde|blvd)\.?|" + _SUFFIXES + r")"
    r"(?!\.?\s+(?-i:[A-Z])[a-z]+\s+(?:road|rd|street|st|lane)\b)"
)
_ST_SAINT = re.compile(r"(?:st|dr)\.?\s+[A-Z]", re.IGNORECASE)
_DIRECTION = r"(?:\s+(?:north|south|east|west|upper|lower))?"
_UNIT = (
    r"(?:(?:flat|apartment|apt|unit|room|no\.?)\s{0,2}\d{1,4}[a-z]?\s{0,2},?\s{1,3}"
    r"(?:[A-Z][\w']{1,30}\s{1,3}(?:House|Court|Building|Lodge|Mansions|Tower|Point|Heights|"
    r"Hall|Close)\s{0,2},?\s{1,3})?)?"
)
_HOUSE_NAME = r"(?:The\s{1,3}[A-Z][a-z']{1,30}\s{0,2},\s{1,3})?"
_NUMBERED_ADDRESS = re.compile(
    r"(?<![\w£$.,])" + _HOUSE_NAME + _UNIT + r"(?:no\.?\s{0,2})?\d{1,4}[a-zA-Z]?\s{0,2},?\s{1,3}"
    r"(?P<words>(?:[A-Za-z][A-Za-z'\-]{0,30}\s{1,3}){1,3}?)(?P<suffix>"
    + _SUFFIX_RE
    + r")"
    + _DIRECTION
    + r"(?![\w])",
    re.IGNORECASE,
)
_NAMED_ADDRESS = re.compile(
    r"(?<![\w'])(?P<words>(?:[A-Z][a-z'\-]{1,30}\s{1,3}){1,3})(?P<suffix>"
    r"(?i:" + _SUFFIX_RE + r"))" + r"(?i:" + _DIRECTION + r")(?![\w])"
)
_LOWER_ADDRESS = re.compile(
    r"\b(?:on|off|down|up|along|near|at|from|round|live|lives|living|stay|stays|staying)\s{1,3}"
    r"(?P<words>(?:[a-z][a-z'\-]{1,30}\s{1,3}){1,2}?)(?P<suffix>road|rd|street|lane|avenue|ave|close|"
    r"drive|crescent|terrace|grove|gardens)(?![\w])"
)
_ADDRESS_FUNCTION_WORDS = _words(
    "on in at to of off the a an my his her our their your this that these those and or for "
    "from by with is was are were be down up along near round around past through into onto "
    "over under behind outside inside opposite across each every same other another people "
    "kids lads boys girls minutes mins hours years days weeks times miles yards metres "
    "meters houses doors steps blocks i we you they he she it me us them who which what "
    "where there here one all main high"
)
_LEADING_STRIP = _words(
    "the on in at near by down up off along from to outside behind past opposite my our "
    "i we you they he she it lived live lives living stay stays staying and or but so "
    "then when while hi hello is was meet meeting visit come go went"
)
_NAMED_SUFFIX_NEEDS_DISTINCT = _words(
    "way gate walk place court view row rise square hill green bank chase vale yard "
    "fields meadow meadows approach circle passage wharf croft"
)


def _address_ok(words: list[str], suffix: str, numbered: bool) -> bool:
    """Validate the street-name words in front of a street suffix."""
    lex = _lexicon()
    if not words:
        return False
    lowered = [w.lower() for w in words]
    if any(w in _ADDRESS_FUNCTION_WORDS for w in lowered[1:]) or (
        lowered[0] in _ADDRESS_FUNCTION_WORDS and not (numbered and lowered[0] == "the")
    ):
        return False
    if numbered:
        return True
    if not any(w not in lex.common for w in lowered):
        return False
    suffix_l = suffix.lower().rstrip(".")
    if suffix_l in _NAMED_SUFFIX_NEEDS_DISTINCT and all(
        w in lex.common or w in lex.ambiguous for w in lowered
    ):
        return False
    phrase = " ".join([*lowered, suffix_l])
    return phrase not in lex.not_names and not lex.not_name_phrases.fullmatch(phrase)


def _iter_retry(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """All matches of ``pattern``, also those starting inside an earlier match."""
    out: list[re.Match[str]] = []
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            return out
        out.append(m)
        pos = m.start() + 1


def _find_addresses(text: str) -> list[RedactedSpan]:
    spans: list[RedactedSpan] = []
    for m in _iter_retry(_NUMBERED_ADDRESS, text):
        if _ST_SAINT.match(text, m.start("suffix")):
            continue
        words = m.group("words").split()
        if _address_ok(words, m.group("suffix"), numbered=True):
            spans.append(RedactedSpan(m.start(), m.end(), "address"))
    for m in _iter_retry(_NAMED_ADDRESS, text):
        if _ST_SAINT.match(text, m.start("suffix")):
            continue
        start = m.start("words")
        words = m.group("words").split()
        # Drop capitalised function words at the start ("On Belgrave Gate", "The ...").
        while words and words[0].lower() in _LEADING_STRIP:
            start = text.index(words[0], start) + len(words[0])
            while start < len(text) and text[start].isspace():
                start += 1
            words = words[1:]
        if _address_ok(words, m.group("suffix"), numbered=False):
            spans.append(RedactedSpan(start, m.end(), "address"))
    for m in _iter_retry(_LOWER_ADDRESS, text):
        words = m.group("words").split()
        if _address_ok(words, m.group("suffix"), numbered=False):
            spans.append(RedactedSpan(m.start("words"), m.end(), "address"))
    return spans


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_TITLES = _words(
    "mr mrs ms miss mx dr prof professor sir dame rev revd reverend father fr sister brother "
    "imam pastor aunty auntie aunt uncle coach cllr councillor officer pc sgt sergeant "
    "inspector bishop sheikh shaykh maulana mufti ustadh ustaz nurse lady lord master"
)
_STRONG_TITLES = _words("mr mrs ms miss mx dr")
_KIN = (
    r"son|daughter|brother|bro|sister|sis|cousin|cuz|nephew|niece|grandson|granddaughter|"
    r"grandaughter|mum|mom|mam|mother|dad|father|husband|wife|partner|uncle|aunt|auntie|aunty|"
    r"nan|nana|gran|granny|grandad|grandma|grandpa|mate|mates|friend|pal|bestie|bredrin|"
    r"neighbour|neighbor|boyfriend|girlfriend|bf|gf|fiance|fiancee|kid|child|boy|girl|lad|"
    r"teacher|coach|stepson|stepdaughter|stepdad|stepmum|step-son|step-daughter|baby|twin|"
    r"brother-in-law|sister-in-law|son-in-law|daughter-in-law|carer|worker|colleague|ex"
)
_CUE = re.compile(
    r"(?:\b(?:my|his|her|their|our|your|ur|me|a|the)\s{1,3}(?:(?:little|older|big|younger|baby|"
    r"eldest|youngest|oldest|best|step|twin|late|dear|lovely|youth|support|social|key|"
    r"\d{1,2}\s{0,2}(?:year|yr)s?\s{0,2}old|teenage|grown\s+up)\s{1,3}){0,2}(?:" + _KIN + r")"
    r"(?:\s{0,2}[,(:]\s{0,2}|\s{1,3})"
    r"|\b(?:called|named|name\s+is|name's|names|name\s+was|known\s+as|goes\s+by|go\s+by|aka|"
    r"a\.k\.a\.?|nicknamed|call\s+him|call\s+her|calls\s+himself|calls\s+herself|"
    r"signed|regards|thanks|cheers|love|from|ask\s+for|speak\s+to|talk\s+to|spoke\s+to|"
    r"spoke\s+with|contact|ring|phone|call|text|message|email)"
    r"\s{0,2}[,:\-]?\s{1,3})",
    re.IGNORECASE,
)
_STRONG_CUES = re.compile(
    r"(?:called|named|name\s+is|name's|names|name\s+was|known\s+as|goes\s+by|go\s+by|aka|"
    r"a\.k\.a\.?|nicknamed|call\s+him|call\s+her|calls\s+himself|calls\s+herself)",
    re.IGNORECASE,
)
_SELF = re.compile(
    r"\b(?:i'm|i\u2019m|im|i\s+am|this\s+is|it's\s+me|its\s+me|it\u2019s\s+me|me\s+and|and\s+me)"
    r"\s{1,3}$",
    re.IGNORECASE,
)
_SPEECH = _words(
    "said says told asked reckons reckoned thinks thought explained added mentioned agreed "
    "spoke organised organized runs ran wants feels felt lives lived from who and shared "
    "suggested replied wrote raised noted described stated admitted complained is was has "
    "had will would can could goes went got does did came comes works worked helped helps "
    "knows knew saw sees started brought family household twins texted rang messaged"
)
_CONTACT_WORDS = _words(
    "ring call phone text tel mob mobile contact whatsapp number email mail landline office "
    "work home fax dial message reach try"
)
_SPEECH_STRICT = _words(
    "said says told asked reckons reckoned thinks explained added mentioned agreed spoke "
    "organised organized from shared suggested replied wrote texted rang messaged"
)
_ORG_WORDS = _words(
    "centre center park road street lane avenue trust foundation project church mosque "
    "temple gurdwara school academy college university house hall court library group "
    "association club fc council police station hospital surgery ltd limited barbers shop "
    "store stores bakery cafe café restaurant takeaway way gate close drive crescent grove "
    "gardens hill square estate services partnership network forum community mead leys "
    "parks fields road rd st ave hub unit ward leisure pool stadium city united rovers "
    "town county borough primary secondary high grammar infant junior nursery"
)
_DETERMINERS = _words(
    "the a an this that these those in on at of by every each some any no our your their "
    "his her its my"
)
_SENT_START_CHARS = frozenset('.!?\n\r:;"\u201c(*\u2022>-[')


def _is_upperish(text: str) -> bool:
    """True when the text is shouted (mostly capital letters)."""
    letters = [c for c in text[:5000] if c.isalpha()]
    if len(letters) < 12:
        return False
    return sum(c.isupper() for c in letters) / len(letters) > 0.7


def _find_names(text: str, blocked: list[tuple[int, int]]) -> list[RedactedSpan]:
    lex = _lexicon()
    shouting = _is_upperish(text)
    # Tokens: (start, end-of-name, word) with possessive 's removed.
    toks: list[tuple[int, int, str]] = []
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        end = m.end()
        if len(word) > 2 and word[-2] in "'\u2019" and word[-1] in "sS":
            word = word[:-2]
            end -= 2
        toks.append((m.start(), end, word))
    if not toks:
        return []
    n = len(toks)

    blocked_tok = [False] * n
    if blocked:
        spans_sorted = sorted(blocked)
        j = 0
        for i, (s, e, _w) in enumerate(toks):
            while j < len(spans_sorted) and spans_sorted[j][1] <= s:
                j += 1
            if j < len(spans_sorted) and spans_sorted[j][0] < e:
                blocked_tok[i] = True
    not_name = [False] * n
    for m in lex.not_name_phrases.finditer(text):
        for i in _tokens_in(toks, m.start(), m.end()):
            not_name[i] = True

    # Each token's lower-case form and whether it counts as capitalised, worked
    # out once: the rules below ask about every token many times.
    lows = [w.lower() for _s, _e, w in toks]
    caps = [
        False
        if shouting
        else (
            (lw in lex.core and lw not in lex.ambiguous)
            if w.isupper() and len(w) > 1
            else w[0].isupper()
        )
        for (_s, _e, w), lw in zip(toks, lows, strict=True)
    ]
    low = lows.__getitem__
    cap = caps.__getitem__

    def sentence_start(i: int) -> bool:
        if i == 0:
            return True
        k = toks[i][0] - 1
        prev_end = toks[i - 1][1]
        while k >= prev_end:
            ch = text[k]
            if ch in _SENT_START_CHARS:
                return True
            if not ch.isspace() and ch not in ",'\u2019":
                return False
            k -= 1
        return False

    listed = [lw in lex.given or lw in lex.surnames for lw in lows]
    is_listed = listed.__getitem__
    excluded = [
        blocked or not_a_name or lw in lex.not_names
        for blocked, not_a_name, lw in zip(blocked_tok, not_name, lows, strict=True)
    ].__getitem__

    def org_next(i: int) -> bool:
        return i + 1 < n and low(i + 1) in _ORG_WORDS and toks[i + 1][2][0].isupper()

    def acceptable_after_cue(i: int, strong: bool) -> bool:
        if excluded(i) or low(i) in _TITLES:
            return False
        w = low(i)
        if cap(i) or (shouting and toks[i][2].isupper()):
            if w in lex.common and not is_listed(i):
                return False
            if w in lex.common and not strong and w in lex.ambiguous and not cap(i):
                return False
            return not org_next(i)
        if w in lex.common or len(w) < 2:
            return False
        if w in lex.given or w in lex.core or w in lex.surnames:
            return True
        # Unknown lower-case word after a cue: accept short nicknames ("tj"), reject words
        # that look like verbs or adverbs ("my cousin moved away").
        return strong and not re.search(r"(?:ed|ing|ly|s)$", w)

    is_name = [False] * n

    def title_target_ok(t: str, j: int) -> bool:
        if excluded(j):
            return False
        if cap(j) or (shouting and toks[j][2].isupper()):
            return True
        return t in _STRONG_TITLES and (low(j) in lex.surnames or low(j) in lex.given)

    def proper_noun_run_before(i: int) -> bool:
        """The previous token is a capitalised non-name word ("Braunstone Park")."""
        return (
            i > 0
            and cap(i - 1)
            and not is_name[i - 1]
            and not is_listed(i - 1)
            and not sentence_start(i - 1)
            and low(i - 1) not in lex.not_names
        )

    def start_name_ok(i: int, w: str, amb: bool) -> bool:
        """A listed capitalised word at the start of a sentence."""
        nxt = low(i + 1) if i + 1 < n else ""
        nxt_cap_name = i + 1 < n and cap(i + 1) and is_listed(i + 1) and not excluded(i + 1)
        possessive = text[toks[i][1] : toks[i][1] + 1] in ("'", "\u2019")
        if amb:
            return (
                (nxt_cap_name and nxt not in lex.ambiguous) or nxt in _SPEECH_STRICT or possessive
            )
        if w in lex.core or nxt_cap_name or nxt in _SPEECH or possessive:
            return True
        return nxt in ("and", ",") and i + 2 < n and cap(i + 2) and is_listed(i + 2)

    def mid_name_ok(i: int, amb: bool) -> bool:
        """A listed capitalised word inside a sentence."""
        if proper_noun_run_before(i):
            return False
        if not amb:
            return True
        if i > 0 and low(i - 1) in _DETERMINERS:
            return False
        return not (i + 1 < n and cap(i + 1) and not is_listed(i + 1) and not sentence_start(i + 1))

    is_name = [False] * n

    # 1. Titles: "Mr Patel", "Imam Hassan", "Rev. Andrew Collins".
    for i in range(n - 1):
        t = low(i)
        if t not in _TITLES or blocked_tok[i]:
            continue
        j = i + 1
        if not title_target_ok(t, j) or (low(j) in lex.common and not is_listed(j)):
            continue
        gap = text[toks[i][1] : toks[j][0]]
        if len(gap) > 3 or not re.fullmatch(r"\.?\s{1,2}", gap):
            continue
        if t not in _STRONG_TITLES and (not cap(i) or org_next(j)):
            continue
        is_name[i] = True
        is_name[j] = True

    # 2. Cue phrases: "my son Jamal", "a lad called tyrone", "I'm Zainab".
    for m in _CUE.finditer(text):
        idx = _token_at(toks, m.end())
        if idx is None:
            continue
        strong = bool(_STRONG_CUES.search(m.group(0))) or bool(
            re.match(r"\s*(?:my|his|her|their|our|your|ur|me)\b", m.group(0), re.IGNORECASE)
        )
        if acceptable_after_cue(idx, strong):
            is_name[idx] = True
    for i in range(1, n):
        if is_name[i] or excluded(i):
            continue
        before = text[max(0, toks[i][0] - 14) : toks[i][0]]
        if not _SELF.search(before):
            continue
        w = low(i)
        if cap(i):
            is_name[i] = (is_listed(i) or w not in lex.common) and not org_next(i)
        else:
            is_name[i] = w in lex.core and w not in lex.ambiguous and w not in lex.common

    # 3-5. Listed names by capitalisation and position.
    for i in range(n):
        if is_name[i] or excluded(i):
            continue
        w = low(i)
        if cap(i):
            if not is_listed(i) or org_next(i):
                continue
            if w in _ORG_WORDS and i > 0 and cap(i - 1) and not sentence_start(i):
                continue
            amb = w in lex.ambiguous or w in lex.common
            if sentence_start(i):
                is_name[i] = start_name_ok(i, w, amb)
            else:
                is_name[i] = mid_name_ok(i, amb)
        elif (
            (not shouting or toks[i][2].isupper())
            and w in lex.core
            and w not in lex.ambiguous
            and w not in lex.common
            and len(w) >= 3
        ):
            is_name[i] = True

    # Lists of people: "Chloe, Megan and Jess" - an unknown capitalised word listed next to
    # a name is taken as a name too.
    for order in (range(n), range(n - 1, -1, -1)):
        for i in order:
            if is_name[i] or excluded(i) or not cap(i):
                continue
            w = low(i)
            if w in lex.common or w in lex.ambiguous or w in _ORG_WORDS or w in _TITLES:
                continue
            if _listed_next_to_name(text, toks, is_name, i) and (
                not sentence_start(i) or (i + 1 < n and low(i + 1) in ("and", "&"))
            ):
                is_name[i] = True

    # Signature lines: a capitalised listed name right before a phone number or e-mail.
    blocked_starts = {s for s, _e in blocked}
    for i in range(n):
        if is_name[i] or excluded(i) or not cap(i) or not is_listed(i):
            continue
        if low(i) in _CONTACT_WORDS or low(i) in lex.ambiguous or low(i) in lex.common:
            continue
        after = toks[i][1]
        for s in range(after, after + 4):
            if s in blocked_starts and re.fullmatch(r"[\s,:\-]*", text[after:s]):
                is_name[i] = True
                break

    # 6. Extend names over following capitalised surnames / unknown capitalised words.
    for i in range(n - 1):
        if not is_name[i]:
            continue
        j = i + 1
        if is_name[j] or excluded(j) or not cap(j) or org_next(j) or sentence_start(j):
            continue
        gap = text[toks[i][1] : toks[j][0]]
        if not re.fullmatch(r"\s{1,2}", gap) or "'" in text[toks[i][1] : toks[i][1] + 1]:
            continue
        w = low(j)
        if (
            w in lex.surnames
            or w in lex.given
            or (w not in lex.common and low(j) not in _ORG_WORDS)
        ):
            is_name[j] = True

    # Merge adjacent name tokens into spans.
    spans: list[RedactedSpan] = []
    i = 0
    while i < n:
        if not is_name[i]:
            i += 1
            continue
        start, end = toks[i][0], toks[i][1]
        j = i + 1
        while j < n and is_name[j] and re.fullmatch(r"\.?\s{1,2}", text[end : toks[j][0]]):
            end = toks[j][1]
            j += 1
        spans.append(RedactedSpan(start, end, "name"))
        i = j
    return spans


def _listed_next_to_name(
    text: str, toks: list[tuple[int, int, str]], is_name: list[bool], i: int
) -> bool:
    """True when token ``i`` sits in a list ("A, B and C") next to a detected name."""
    n = len(toks)
    # "Name, X" / "X, Name"
    for j in (i - 1, i + 1):
        if 0 <= j < n and is_name[j]:
            lo, hi = (j, i) if j < i else (i, j)
            if re.fullmatch(r"\s{0,2}[,&]\s{1,2}", text[toks[lo][1] : toks[hi][0]]):
                return True
    # "Name and X" / "X and Name"
    for j, k in ((i - 2, i - 1), (i + 2, i + 1)):
        if 0 <= j < n and is_name[j] and toks[k][2].lower() == "and":
            return True
    return False


def _token_at(toks: list[tuple[int, int, str]], pos: int) -> int | None:
    """Index of the first token starting at or after ``pos`` (binary search)."""
    lo, hi = 0, len(toks)
    while lo < hi:
        mid = (lo + hi) // 2
        if toks[mid][0] < pos:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(toks) and toks[lo][0] - pos <= 1:
        return lo
    return None


def _tokens_in(toks: list[tuple[int, int, str]], start: int, end: int) -> list[int]:
    """Indices of tokens inside ``[start, end)``."""
    idx = _token_at(toks, start)
    out: list[int] = []
    if idx is None:
        return out
    while idx < len(toks) and toks[idx][0] < end:
        out.append(idx)
        idx += 1
    return out


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _resolve(spans: list[RedactedSpan], length: int) -> list[RedactedSpan]:
    """Drop overlapping spans, keeping the higher-priority kind, then the longer span."""
    ordered = sorted(spans, key=lambda s: (_PRIORITY[s.kind], -(s.end - s.start), s.start))
    kept: list[RedactedSpan] = []
    occupied = bytearray(length + 1)
    for span in ordered:
        if span.end <= span.start or occupied.find(1, span.start, span.end) != -1:
            continue
        kept.append(span)
        occupied[span.start : span.end] = b"\x01" * (span.end - span.start)
    return sorted(kept, key=lambda s: s.start)


def find_pii(text: str, kinds: tuple[str, ...] = KINDS) -> list[RedactedSpan]:
    """Find personal data in ``text`` without replacing it.

    Args:
        text: any text; hostile or very long input is handled in linear time.
        kinds: which kinds to look for (default: all of :data:`KINDS`).

    Returns:
        Non-overlapping spans sorted by start offset.
    """
    if not text:
        return []
    spans: list[RedactedSpan] = []
    if "email" in kinds:
        spans += _find_emails(text)
    if "phone" in kinds:
        spans += _find_phones(text)
    if "postcode" in kinds:
        spans += _find_postcodes(text)
    if "address" in kinds:
        spans += _find_addresses(text)
    spans = _resolve(spans, len(text))
    if "name" in kinds:
        blocked = [(s.start, s.end) for s in spans]
        spans = _resolve(spans + _find_names(text, blocked), len(text))
    return spans


def redact(text: str) -> RedactionResult:
    """Replace personal data in ``text`` with placeholders such as ``[name]``.

    Args:
        text: a free-text response.

    Returns:
        A :class:`RedactionResult` with the redacted text and the replaced spans (offsets
        into the original ``text``).
    """
    spans = find_pii(text)
    if not spans:
        return RedactionResult(text, [])
    parts = []
    pos = 0
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(PLACEHOLDERS[span.kind])
        pos = span.end
    parts.append(text[pos:])
    return RedactionResult("".join(parts), spans)


def redact_text(text: str) -> str:
    """Return ``text`` with personal data replaced by placeholders (see :func:`redact`)."""
    return redact(text).text


@lru_cache(maxsize=1)
def redactor_version() -> str:
    """Return a short digest of this module and its word lists.

    Any change to the rules or the lists changes it, so a redaction stored
    by an earlier version is never mistaken for a current one.
    """
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(_DATA_DIR.glob("names_*.txt")) + sorted(_DATA_DIR.glob("redaction_*.txt")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def redaction_key(text: str) -> str:
    """Return the key under which the redaction of ``text`` by this redactor may be stored.

    A stored redaction is used only when its key equals the key of the
    response's current text: a changed text or a changed redactor means the
    text is redacted afresh.
    """
    return hashlib.sha256(f"{redactor_version()}\0{text}".encode()).hexdigest()
