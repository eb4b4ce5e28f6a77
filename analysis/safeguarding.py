"""Safeguarding flags: spot free-text responses that may disclose a *current* risk.

The detector is rule based (regular expressions plus a few context checks) so that it is
fast, offline, explainable and tuned for recall: a human safeguarding lead reviews every
flag, so a missed disclosure costs far more than a false alarm.

Categories
    ``intent_to_harm``  a stated intent or plan to hurt someone, or a threat ("I'm going to
                        stab him", "gonna get him tomorrow", "you're dead").
    ``self_harm``       suicidal intent or self-harm ("I want to end it", "kms").
    ``weapon_now``      a specific person carrying or keeping a weapon now ("my brother has a
                        knife in his bag", "I carry a blade every day").
    ``child_at_risk``   a child or young person being groomed, exploited, followed or
                        threatened now ("older boys keep making my son hold packages").

Context checks, applied per sentence:
    * negation next to the verb ("I would never stab anyone", "I don't carry a knife");
    * past or resolved events ("I used to carry when I was 15", "he's doing well now"),
      unless a present marker overrides ("still", "again", "right now");
    * generic statements ("people carry knives for protection", "kids carry because...");
    * generic hypotheticals ("if someone came at me with a knife I'd run").
When in doubt the rules flag.

Public API: :func:`detect_safeguarding` returning :class:`SafeguardingResult`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "CATEGORIES",
    "DETECTOR_VERSION",
    "SafeguardingReason",
    "SafeguardingResult",
    "detect_safeguarding",
]

CATEGORIES: tuple[str, ...] = ("intent_to_harm", "self_harm", "weapon_now", "child_at_risk")

# Stored with every flag; bump it when the rules change so flags can be re-run.
DETECTOR_VERSION = "safeguarding-1"

#: Longest text analysed; the rest of a (hostile) huge response is ignored.
MAX_CHARS = 1_000_000
#: At most this many evidence spans are kept per category.
MAX_SPANS = 50


@dataclass(frozen=True)
class SafeguardingReason:
    """One category of concern with the evidence found for it.

    ``spans`` are ``(start, end)`` character offsets into the original text.
    """

    category: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    score: float = 0.0


@dataclass(frozen=True)
class SafeguardingResult:
    """Outcome of :func:`detect_safeguarding`.

    ``score`` is a rough confidence in ``[0, 1]`` (0 when not flagged).
    """

    flagged: bool
    reasons: list[SafeguardingReason] = field(default_factory=list)
    score: float = 0.0

    @property
    def categories(self) -> list[str]:
        """Return the flagged categories, in :data:`CATEGORIES` order."""
        return [r.category for r in self.reasons]


# --------------------------------------------------------------------------------------
# Normalisation (length preserving, so spans map straight back to the original text)
# --------------------------------------------------------------------------------------

_CHAR_MAP = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "`": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u00a0": " ",
}


def _normalise(text: str) -> str:
    """Lower-case and unify apostrophes without changing the length of ``text``."""
    out = []
    for ch in text:
        mapped = _CHAR_MAP.get(ch)
        if mapped is None:
            low = ch.lower()
            mapped = low if len(low) == 1 else ch
        out.append(mapped)
    return "".join(out)


# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------

_PERSON_NOUNS = (
    r"(?:mum|mom|mam|dad|stepdad|stepmum|step\s*dad|brother|bro|bruv|sister|sis|son|daughter|"
    r"cousin|cuz|uncle|aunt|auntie|nephew|niece|grandson|granddaughter|nan|gran|grandad|"
    r"friend|mate|mates|boy|boys|girl|girls|lad|lads|kid|kids|child|children|man|men|guy|guys|"
    r"yute|yutes|youth|youths|bredrin|brudda|bf|gf|boyfriend|girlfriend|ex|neighbour|neighbor|"
    r"teacher|family|wife|husband|partner|baby\s*father|baby\s*mother|opp|opps|wasteman|"
    r"snitch|prick|dickhead|idiot|lot|one|ones|person|people|pupil|student|bloke|fella|"
    r"geezer|gang|crew|mandem|olders|older|younger|youngers|little\s+\w+|\w+\s+brother)"
)

# Objects of a harm verb that denote a person.
_OBJ = (
    r"(?:him|her|them|'em|em|you|u|ya|yu|me|us|somebody|someone|anyone|anybody|everyone|"
    r"everybody|them\s+all|all\s+of\s+them|"
    r"(?:that|this|those|these|the|a|an|my|his|her|their|our|your|ur|some)\s+(?:\w+\s+)?"
    + _PERSON_NOUNS
    + r"|[a-z]+'s\s+"
    + _PERSON_NOUNS
    + r")"
)

_WEAPON = (
    r"(?:zombie\s+kni(?:fe|ves)|kitchen\s+kni(?:fe|ves)|flick\s+kni(?:fe|ves)|"
    r"machetes?|"
    r"(?:knife|knive|knif|nife|kinfe)(?!\s+(?:crime|crimes|collection|set|block|amnesty|arch|"
    r"bins?|awareness|angels?|sharpener|attacks?|point|wound|wounds|crime's|and\s+fork))|"
    r"knives(?!\s+(?:crime|collection|set|amnesty|bins?|act))|"
    r"blades?|shanks?|shiv|bora|borer|nank|rambo|skengs?|sken|guns?|firearm|weapons?|"
    r"knuckle\s*dusters?|machete)"
)

_INTENT = re.compile(
    r"(?:\bgoing\s+to\b|\bgoin\s+(?:to\b)?|\bgonna\b|\bgunna\b|\bgna\b|\bgon\b|\bfinna\b|"
    r"\b(?:bout|about|abt|ready)\s+to\b|\bwill\b|'ll\b|\bill\b|\bwanna\b|\bwan\b|"
    r"\bwants?\s+to\b|\bwanted\s+to\b|\bplan(?:s|ning|nin)?\s+(?:to|on)\b|\bplanning\b|"
    r"\bintend(?:s|ing)?\s+to\b|\bi'?m+a\b|\bima\b|\bimma\b|\bgotta\b|\bwould\b|'d\b|"
    r"\bshall\b|\bnext\s+time\b|\bcan'?t\s+wait\s+to\b|\bswear\b)"
)

_NEGATION = re.compile(
    r"(?:\bnever\b|\bnot\b|\bno\s+way\b|\bnobody\b|\bno\s+one\b|\bno-one\b|n't\b|\bdont\b|"
    r"\bdidnt\b|\bwont\b|\bwouldnt\b|\bcant\b|\baint\b|\bisnt\b|\bdoesnt\b|\bnothing\b|"
    r"\bstop(?:ped)?\b|\brefuse[sd]?\b|\bwouldn\b)"
)
_NEG_EXCEPT = re.compile(r"(?:can'?t\s+(?:stop|wait|help)|not\s+even\s+joking|not\s+joking)")

_PAST = re.compile(
    r"\b(?:(?<!being\s)(?<!been\s)(?<!is\s)(?<!are\s)(?<!get\s)(?<!got\s)(?<!gets\s)used\s+to|use\s+to|years?\s+ago|yrs?\s+ago|back\s+in\s+the\s+day|back\s+then|"
    r"when\s+(?:i|he|she|we|they)\s+(?:was|were)\b|in\s+(?:19|20)\d\d|last\s+(?:year|summer|"
    r"winter|spring|month)|as\s+a\s+(?:kid|child|teenager)|in\s+the\s+past|in\s+my\s+day|"
    r"in\s+the\s+(?:70s|80s|90s|00s)|\d+\s+years\s+ago|at\s+the\s+time)\b"
)
_RESOLVED = re.compile(
    r"(?:\bnot\s+any\s*more\b|\bno\s+longer\b|\bgot\s+help\b|\bbetter\s+now\b|"
    r"\bdoing\s+(?:well|fine|ok|okay|good|great)\b|\b(?:out|fine|safe|ok|okay)\s+now\b|"
    r"\bturned\s+(?:his|her|my|their)\s+life\s+around\b|\bstopped\b|\b(?:i'?m|i\s+am)\s+\d+\s+now\b|"
    r"\bmoved\s+(?:away|to|out)\b|\bsorted\s+it\b|\bhelped\s+(?:me|him|her)\b|"
    r"\bcounsell?ing\s+helped\b|\bdone\s+with\s+all\s+that\b|\bgot\s+out\b|\bsurvived\b|"
    r"\bnow\s+(?:i|he|she)\s+(?:mentor|work|help)s?\b|\bi\s+work\s+with\s+kids\b)"
)
_PRESENT = re.compile(
    r"\b(?:still|again|right\s+now|rn|atm|at\s+the\s+moment|currently|every\s*day|"
    r"tonight|tomorrow|tmrw|tmr|this\s+week|today|keeps?|keeping|these\s+days|"
    r"at\s+all\s+times|all\s+the\s+time)\b"
)

_HYPOTHETICAL = re.compile(
    r"(?:\bif\b|\bwhat\s+if\b|\bwould\s+you\b|\bwould\s+u\b|\bshould\b|\bwhether\b|"
    r"\bimagine\b|\bsuppose\b|\bwhy\s+do\b|\bwhy\s+would\b|\bcould\b|\bmight\b)"
)
_GENERIC_IF = re.compile(
    r"\bif\s+(?:someone|somebody|anyone|anybody|people|you|u|a\s+\w+|some\s+\w+|they)\b"
)

_GENERIC_QUANT = re.compile(
    r"\b(?:people|ppl|everyone|everybody|every\s+\w+|nobody|no\s+one|anyone|anybody|lots\s+of|"
    r"loads\s+of|a\s+lot\s+of|nuff|many|most|all\s+(?:the|his|her|my|their|these|those)|"
    r"young\s+people|youngsters|society|the\s+report|the\s+news|studies|statistics|"
    r"1\s+in\s+\d+|one\s+in\s+\w+|too\s+many|more\s+and\s+more)\b"
)
_SINGULAR_SUBJECT = re.compile(
    r"(?:\bi\b|\bi'm\b|\bim\b|\bi've\b|\bive\b|\bme\b|\bhe\b|\bhe's\b|\bhes\b|\bshe\b|\bshe's\b|"
    r"\bshes\b|\bthere's\b|\btheres\b|\bthere\s+is\b)"
)
_BARE_PLURAL_START = re.compile(
    r"^\s*(?:and\s+|but\s+|because\s+|cos\s+|coz\s+|so\s+|that\s+|why\s+|when\s+)?(?:kids|boys|lads|"
    r"girls|children|youths|yutes|teenagers|teens|gangs|gang\s+members|dealers|men|"
    r"young\s+\w+|older\s+\w+|criminals|adults|parents|pupils|students)\b"
)
_GERUND_START = re.compile(r"^\s*(?:and\s+|but\s+|so\s+)?[a-z]+ing\b")

_HYPERBOLE_SUBJ = re.compile(
    r"\b(?:mum|mom|mam|mummy|dad|daddy|teacher|nan|gran|nana|parents|boss|coach|wife|husband|"
    r"missus|brother|sister|sis|bro)\b"
)
_JOKE = re.compile(
    r"(?:\blol\b|\blmao\b|\blmfao\b|\bhaha\w*\b|\bjk\b|\bas\s+a\s+joke\b|\bjoking\s+about\b|"
    r"\U0001f602|\U0001f923|\bbanter\b|\bin\s+(?:a|the)\s+(?:song|film|movie|game|video|track|lyrics?)\b|"
    r"\blyrics?\b|\bif\s+i'?m\s+late\b|\bfor\s+\w+ing\b)"
)
_GENERIC_SPEAKER = re.compile(
    r"\b(?:people|they|kids|everyone|some\s+people|drill\s+\w+)\s+(?:say|says|said|go|shout)\b"
)

_SENT_END = re.compile(r"[.!?\n;]+|\s-\s|\bbut\b")


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _sentence_bounds(norm: str, pos: int) -> tuple[int, int]:
    """Return the (start, end) of the sentence containing ``pos`` (bounded look-around)."""
    lo = max(0, pos - 300)
    start = lo
    for m in _SENT_END.finditer(norm, lo, pos):
        start = m.end()
    hi = min(len(norm), pos + 300)
    m2 = _SENT_END.search(norm, pos, hi)
    end = m2.start() if m2 else hi
    return start, end


def _hard_sentence_bounds(norm: str, pos: int) -> tuple[int, int]:
    """Like :func:`_sentence_bounds` but only split on full stops, ``!``, ``?`` and newlines."""
    lo = max(0, pos - 300)
    start = lo
    for i in range(pos - 1, lo - 1, -1):
        if norm[i] in ".!?\n":
            start = i + 1
            break
    hi = min(len(norm), pos + 300)
    end = hi
    for i in range(pos, hi):
        if norm[i] in ".!?\n":
            end = i
            break
    return start, end


def _is_past(norm: str, start: int, end: int) -> bool:
    """True when the sentence around [start, end) recounts a past or resolved event."""
    s, e = _hard_sentence_bounds(norm, start)
    e = max(e, min(len(norm), end))
    sentence = norm[s:e]
    if _PRESENT.search(sentence):
        return bool(_RESOLVED.search(sentence)) and not re.search(
            r"\b(?:still|again|right\s+now|rn)\b", sentence
        )
    return bool(_PAST.search(sentence) or _RESOLVED.search(sentence))


def _negated_before(norm: str, clause_start: int, pos: int, width: int = 30) -> bool:
    """True when a negation word occurs shortly before ``pos`` in the same clause."""
    window = norm[max(clause_start, pos - width) : pos]
    if _NEG_EXCEPT.search(window):
        window = _NEG_EXCEPT.sub(" ", window)
    return bool(_NEGATION.search(window))


def _is_generic(prefix: str, rest: str = "") -> bool:
    """True when the clause before a verb has a generic (non-specific) subject."""
    quants = list(_GENERIC_QUANT.finditer(prefix))
    if quants:
        singles = list(_SINGULAR_SUBJECT.finditer(prefix))
        if not singles or quants[-1].start() > singles[-1].start():
            return True
    if _BARE_PLURAL_START.search(prefix) and not re.search(
        r"\b(?:my|our|his|her|at\s+my|in\s+my|on\s+our|on\s+my|from\s+my|from\s+our|"
        r"in\s+our|round\s+here|on\s+the\s+estate)\b",
        prefix,
    ):
        return not _PRESENT.search(rest)
    return False


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------

Check = Callable[[str, "re.Match[str]"], "tuple[int, int] | None"]


@dataclass(frozen=True)
class _Rule:
    category: str
    pattern: re.Pattern[str]
    weight: float
    check: Check


def _check_intent(norm: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Require an intent/future marker shortly before a harm verb; reject negation etc."""
    s, _e = _sentence_bounds(norm, m.start())
    window_start = max(s, m.start() - 70)
    markers = list(_INTENT.finditer(norm, window_start, m.start() + 1))
    if not markers:
        return None
    marker = markers[-1]
    neg_from = max(s, marker.start() - 16)
    neg_window = norm[neg_from : m.start()]
    neg_window = _NEG_EXCEPT.sub(" ", neg_window)
    if _NEGATION.search(neg_window):
        return None
    hs, he = _hard_sentence_bounds(norm, m.start())
    sentence = norm[hs:he]
    prefix = norm[hs : m.start()]
    if _GENERIC_IF.search(prefix):
        return None
    if _GENERIC_SPEAKER.search(prefix):
        return None
    obj = m.group("obj") if "obj" in m.re.groupindex else None
    if (
        obj is not None
        and re.fullmatch(r"(?:me|us)", obj.strip())
        and (_HYPERBOLE_SUBJ.search(prefix) or _JOKE.search(norm[hs : min(len(norm), he + 12)]))
    ):
        return None
    if _JOKE.search(sentence) and re.search(r"\b(?:lol|lmao|haha\w*|jk)\b", sentence):
        return None
    if re.search(r"\bas\s+a\s+joke\b", sentence):
        return None
    if (
        obj is not None
        and re.search(
            r"\b(?:into|a\s+job|jobs|help|support|off\s+the\s+streets?|involved|home|out\s+of|to\s+"
            r"school|back\s+on\s+track|interested|engaged|a\s+chance|to\s+(?!death\b)\w+|"
            r"involved|along|signed|registered|together|talking|help)\b",
            norm[m.end() : m.end() + 25],
        )
        and m.group("verb").startswith("get")
    ):
        return None
    if _is_past(norm, m.start(), m.end()):
        return None
    return (marker.start(), m.end())


def _check_plain(norm: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Accept unless the sentence is past/resolved or a generic hypothetical."""
    hs, _he = _hard_sentence_bounds(norm, m.start())
    prefix = norm[hs : m.start()]
    if _GENERIC_IF.search(prefix) or _GENERIC_SPEAKER.search(prefix):
        return None
    if _is_past(norm, m.start(), m.end()):
        return None
    return (m.start(), m.end())


def _check_self_harm(norm: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Self-harm: reject close negation ("I don't want to die") and resolved past."""
    s, _e = _sentence_bounds(norm, m.start())
    if _negated_before(norm, s, m.start(), 14):
        return None
    hs, _he = _hard_sentence_bounds(norm, m.start())
    prefix = norm[hs : m.end()]
    if _GENERIC_QUANT.search(prefix) and not _SINGULAR_SUBJECT.search(prefix):
        return None
    if _is_past(norm, m.start(), m.end()):
        return None
    return (m.start(), m.end())


def _check_self_harm_neg_ok(norm: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Self-harm phrases that contain their own negation ("don't want to be here")."""
    if _is_past(norm, m.start(), m.end()):
        return None
    hs, _he = _hard_sentence_bounds(norm, m.start())
    prefix = norm[hs : m.start()]
    if _GENERIC_QUANT.search(prefix) and not _SINGULAR_SUBJECT.search(prefix):
        return None
    return (m.start(), m.end())


def _check_personal_self_harm(norm: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Generic self-harm vocabulary: needs a personal subject in the sentence."""
    hs, he = _hard_sentence_bounds(norm, m.start())
    sentence = norm[hs:he]
    if not re.search(
        r"\b(?:i|i'm|im|i've|ive|me|my|he|she|he's|she's|hes|shes|they|they're|"
        r"her|his|been|keep|keeps)\b",
        sentence,
    ):
        return None
    return _check_self_harm(norm, m)


def _check_weapon(norm: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Weapon possession: specific subject, not negated, not hypothetical, not past."""
    s, _e = _sentence_bounds(norm, m.start())
    hs, he = _hard_sentence_bounds(norm, m.start())
    prefix = norm[hs : m.start()]
    rest = norm[m.start() : he]
    if _negated_before(norm, s, m.start(), 30):
        return None
    if _HYPOTHETICAL.search(prefix):
        return None
    if _is_generic(prefix, rest):
        return None
    clause = norm[s : m.start()]
    if re.search(
        r"\b(?:for|of|about|against|from|after|by|without|stop|stopped|quit|quitting|start|"
        r"started|risk|risks|dangers?|consequences?|caught|arrested|charged|convicted|jailed|"
        r"sentenced|prison|done|guilty|offence|crime|ban|banned|illegal)\s+$",
        clause,
    ) and re.match(r"[a-z]+ing\b", norm[m.start() : m.end()]):
        return None
    if (
        re.fullmatch(r"[\s,\"']*(?:and|but|so)?\s*", clause)
        and re.match(r"[a-z]+ing\b", norm[m.start() : m.end()])
        and not _PRESENT.search(rest)
    ):
        return None
    if _is_past(norm, m.start(), m.end()):
        return None
    return (m.start(), m.end())


def _check_child(norm: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Child exploitation/threat: specific child or place, progressive or present, not past."""
    hs, he = _hard_sentence_bounds(norm, m.start())
    prefix = norm[hs : m.start()]
    sentence = norm[hs:he]
    if _GENERIC_IF.search(prefix) or re.search(r"\b(?:should|whether|how\s+to)\b", prefix):
        return None
    if re.search(r"\b(?:lol|lmao|haha\w*|jk)\b|\bas\s+a\s+joke\b", sentence):
        return None
    if re.search(
        r"\b(?:if|signs?|spot|know\s+when|how\s+do|how\s+can|what\s+happens)\b", prefix
    ) and not re.search(r"\b(?:said|told|says|threat\w*)\b", norm[m.start() : m.end()]):
        return None
    if norm[he : he + 1] == "?" and re.match(
        r"\s*(?:how|what|why|is|are|do|does|can|could|should|would|who|where|when)\b", sentence
    ):
        return None
    specific = re.search(
        r"\b(?:my|our|his|her|him|me|us|i|he|she|they're|theyre|they've|\d+\s*(?:year|yr)s?\s*old|"
        r"\d+|year\s+\d+|right\s+now|rn|at\s+the\s+moment|still|keeps?|keep|is\s+being|are\s+being|"
        r"has\s+been|have\s+been|is\s+\w+ing|are\s+\w+ing|'re\s+\w+ing|'s\s+\w+ing|"
        r"my\s+\w+'s|a\s+(?:boy|girl|kid|child|lad|man|pupil))\b",
        sentence,
    )
    if not specific:
        return None
    if _is_generic(prefix, norm[m.start() : he]) and not re.search(
        r"\b(?:my|our|his|her|him)\b", sentence
    ):
        return None
    if _is_past(norm, m.start(), m.end()):
        return None
    return (m.start(), m.end())


def _r(category: str, pattern: str, weight: float, check: Check) -> _Rule:
    return _Rule(category, re.compile(pattern), weight, check)


_STRONG_VERB = (
    r"(?:stab+(?:bing)?|stabb|shank(?:ing)?|kill(?:ing)?|murder(?:ing)?|shoot(?:ing)?|merk(?:ing)?|"
    r"slash(?:ing)?|juk|jook|bore|body|bod(?:y|ied)|cut|cutting|batter(?:ing)?|smash|attack(?:ing)?|"
    r"hurt(?:ing)?|beat|beating|jump(?:ing)?|punch|bang|rush|fight|strangle|burn|run\s+up\s+on|"
    r"ride\s+(?:out\s+)?on|pipe|bun|wet|dip|poke|splash|chef|get|find|catch|sort|do|finish|"
    r"deal\s+with|make|teach|see\s+to)"
)

_RULES: tuple[_Rule, ...] = (
    # ---------------- intent to harm ----------------
    _r(
        "intent_to_harm",
        r"\b(?P<verb>stab+(?:bing)?|shank(?:ing)?|kill(?:ing)?|murder(?:ing)?|shoot(?:ing)?|"
        r"merk(?:ing)?|slash(?:ing)?|juk|jook|body|cut|batter(?:ing)?|attack(?:ing)?|"
        r"hurt(?:ing)?|jump(?:ing)?|punch|strangle|burn|stomp|rob|"
        r"run\s+up\s+on|ride\s+(?:out\s+)?on|bang|pipe|dip|splash|slap|smack|knock\s+out|"
        r"get|find|catch|deal\s+with|teach|finish|go\s+for)\s+(?P<obj>" + _OBJ + r")\b",
        0.9,
        _check_intent,
    ),
    _r(
        "intent_to_harm",
        r"\b(?P<verb>wet|poke|cut|chef|beat|duff|sort|do|smash|mash|fuck|lick|bang|set|light|"
        r"get|shank|bore|box|splash|line|jump)\s+(?P<obj>" + _OBJ + r")\s+"
        r"(?:up|in|out|down|over|back|good|proper)\b",
        0.9,
        _check_intent,
    ),
    _r(
        "intent_to_harm",
        r"\b(?P<verb>smash|bash|kick|cave|stamp\s+on)\s+(?:his|her|their|your|ur|them|him)\s+"
        r"(?P<obj>face|head|skull|teeth)\b",
        0.85,
        _check_intent,
    ),
    _r(
        "intent_to_harm",
        r"\b(?P<verb>make)\s+(?P<obj>" + _OBJ + r")\s+(?:pay|suffer|bleed|regret)\b",
        0.85,
        _check_intent,
    ),
    _r(
        "intent_to_harm",
        r"\b(?P<verb>get|take|have|want|get\s+my|get\s+our)\s*(?P<obj>revenge|payback|"
        r"my\s+own\s+back)\b",
        0.85,
        _check_intent,
    ),
    _r(
        "intent_to_harm",
        r"\b(?:you'?re|your|ur|you\s+are|u\s+r|he'?s|hes|he\s+is|she'?s|they'?re)\s+(?:a\s+)?"
        r"dead(?:\s+(?:man|meat|when|if|bro|fam|cuz|blud))?\b(?!\s+(?:tired|bored|funny|right|"
        r"serious|good|nice|easy|quiet|busy|lol|lmao))|\bdead\s+man\s+walking\b|"
        r"\bwatch\s+(?:your|ur|yo|his)\s+back\b|\b(?:i|we)\s+know\s+where\s+(?:you|u|he|she|"
        r"they)\s+(?:live|lives|stay|stays)\b|\byou'?re\s+next\b|\bur\s+next\b|"
        r"\b(?:it'?s|its)\s+(?:on\s+sight|war)\b|\bon\s+sight\b",
        0.8,
        _check_plain,
    ),
    _r(
        "intent_to_harm",
        r"\b(?:going\s+to|gonna|gunna|gna|will|'ll|about\s+to|bout\s+to)\s+(?:get|be)\s+"
        r"(?:stabbed|shanked|shot|merked|wet|jumped|killed|murdered|bodied|done\s+in|rushed|"
        r"battered|beaten\s+up|hurt)\b|\bgoing\s+to\s+be\s+(?:a\s+)?(?:fight|war|beef|"
        r"stabbing|shooting|madness|riot)\b|"
        r"\b(?:getting|gets|get)\s+(?:wet|shanked|merked|bodied|rushed|done\s+in|splashed|"
        r"stabbed|shot|jumped|battered)\b(?=[^.!?\n]{0,25}\b(?:tonight|tomorrow|tmrw|tmr|later|"
        r"soon|today|2nite|2moro|trust|watch|next|this\s+week\w*)\b)",
        0.75,
        lambda norm, m: (
            None
            if re.search(
                r"\b(?:scared|worr(?:y|ied|ies)|afraid|fear|frightened|terrified|what\s+if|"
                r"likely|chance|could|might|if)\b",
                norm[max(0, m.start() - 60) : m.start()],
            )
            else _check_plain(norm, m)
        ),
    ),
    _r(
        "intent_to_harm",
        r"\b(?:planning|plan|plans|planned|organising|set\s+up)\s+(?:to\s+|a\s+|an\s+)?"
        r"(?:attack|fight|revenge|ambush|hit|drive-?by|stabbing|jump|ride)\b|"
        r"\b(?:ride\s+out|riding\s+out|slide|sliding|spin\s+(?:the\s+)?block|on\s+a\s+mission)\s+"
        r"(?:on|tonight|tomorrow|later|2nite|tmrw)\b",
        0.8,
        _check_plain,
    ),
    _r(
        "intent_to_harm",
        r"\b(?:want|wants|wanted|wanna|going|gonna|gna|gunna)\s+(?:to\s+)?(?:see\s+)?"
        r"(?:him|her|them|em|'em|that\s+\w+)\s+(?:dead|hurt|bleed|in\s+a\s+box|six\s+feet\s+under)\b",
        0.85,
        _check_plain,
    ),
    # ---------------- self harm ----------------
    _r(
        "self_harm",
        r"\b(?:kill(?:ing)?|kil|hurt(?:ing)?|harm(?:ing)?|cut(?:ting)?|unalive|unaliving|"
        r"starv(?:e|ing)|hang(?:ing)?|burn(?:ing)?|end)\s+(?:my|him|her|them|our|your)\s*"
        r"sel(?:f|ves|fs)\b|\bkms\b|\bkmsl\b|\bunalive\b|\bsewer\s*slide\b|\bsewerslide\b|"
        r"\bsuicidal\b|\bsucidal\b|\bsuicide\s+(?:thoughts|note|attempt|plan)\b|"
        r"\b(?:commit|committing|attempt|attempting)\s+suicide\b",
        0.95,
        _check_self_harm,
    ),
    _r(
        "self_harm",
        r"\b(?:end(?:ing)?|take|taking|tk)\s+(?:it(?:\s+all)?|my\s+(?:own\s+)?life|"
        r"(?:his|her|their)\s+(?:own\s+)?life|things|everything)\b(?!\s+(?:crime|violence|"
        r"knife|now\s+the|off|up|out|for\s+(?:them|the\s+kids)|seriously|in))",
        0.9,
        lambda norm, m: (
            None
            if re.search(r"\b(?:take|taking|tk)\s+(?:it|things|everything)\b", m.group(0))
            or re.search(
                r"\b(?:crime|violence|stabbing|stabbings|gang|gangs|cycle|war|beef|feud|problem|"
                r"issue|knife|knives|this\s+madness|the\s+madness|meeting|session|survey|"
                r"conversation|day)\b",
                norm[max(0, m.start() - 40) : m.end() + 25],
            )
            else _check_self_harm(norm, m)
        ),
    ),
    _r(
        "self_harm",
        r"\b(?:wanna|want\s+to|wants\s+to|wanted\s+to|going\s+to|gonna|gna|ready\s+to|"
        r"deserve\s+to|wish\s+i\s+could|just\s+want\s+to|might\s+as\s+well)\s+(?:just\s+)?"
        r"(?:die|dye|be\s+dead|disappear(?:\s+forever)?|not\s+wake\s+up|sleep\s+forever|"
        r"end\s+it|give\s+up\s+on\s+life)\b|\bwish\s+(?:i|he|she)\s+(?:was|were|wuz)\s+"
        r"(?:dead|gone|never\s+born)\b|\bwish\s+i\s+(?:wasn'?t|was\s+not)\s+(?:here|alive|born)\b|"
        r"\bbetter\s+off\s+(?:dead|without\s+(?:me|him|her)|if\s+(?:i|he|she)\s+(?:was|were|"
        r"wasn'?t)\b)",
        0.9,
        _check_self_harm,
    ),
    _r(
        "self_harm",
        r"\b(?:don'?t|do\s+not|dont|doesn'?t|dosnt)\s+(?:want|wanna|wana)\s+(?:to\s+)?"
        r"(?:be\s+(?:here|alive|around)|live|exist|wake\s+up|carry\s+on|go\s+on)\b|"
        r"\bno\s+(?:point|reason)\s+(?:in\s+)?(?:living|being\s+alive|being\s+here|going\s+on|"
        r"to\s+live|in\s+life|carrying\s+on)\b|\bcan'?t\s+go\s+on\b|\bcant\s+go\s+on\b|"
        r"\bcan'?t\s+(?:do|take|cope\s+with)\s+(?:this|it)\s+any\s*more\b|"
        r"\b(?:don'?t|cant|can'?t)\s+see\s+(?:a|any)\s+way\s+out\b|\bno\s+way\s+out\b|"
        r"\bnot\s+worth\s+living\b|\b(?:sleep|go\s+to\s+sleep|close\s+my\s+eyes)\s+and\s+"
        r"(?:never|not)\s+wake\s+up\b|\blife\s+(?:is|isn'?t)\s+(?:not\s+)?worth\s+(?:it|living)\b",
        0.85,
        _check_self_harm_neg_ok,
    ),
    _r(
        "self_harm",
        r"\bself[\s-]?harm(?:ing|ed)?\b|\b(?:overdose|overdosing|od'?ing)\b|"
        r"\btake\s+(?:all\s+)?(?:my|the|all\s+the|a\s+load\s+of|loads\s+of|a\s+bunch\s+of|"
        r"all\s+of\s+my)\s+(?:tablets|pills|meds|medication|paracetamol)\b|"
        r"\bjump(?:ing)?\s+(?:off|in\s+front\s+of|from)\s+(?:a|the|that)\s+(?:\w+\s+)?"
        r"(?:bridge|building|roof|train|car|cliff|bus|multi-?storey|car\s+park|tower)\b",
        0.85,
        _check_personal_self_harm,
    ),
    # ---------------- weapon now ----------------
    _r(
        "weapon_now",
        r"\b(?:carr(?:y|ies|ys|ying|yin)|brings?|bringing|bringin|takes?|taking|takin|keeps?|"
        r"keeping|keepin|hides?|hiding|hidin|holds?|holding|holdin|showing|showin|shows|flashing|"
        r"packing|packin|pull(?:s|ing)?\s+out|walks?\s+(?:around|about|round)\s+with|"
        r"walking\s+(?:around|about|round)\s+with|goes\s+out\s+with|"
        r"got|has|have|'ve|'s|s|gotta|owns?|bought|buying|sharpening|sharpens?)\s+"
        r"(?:got\s+)?(?:a|an|the|his|her|my|their|two|three|some|one|this|that|big|these|"
        r"those)?\s*(?:\w+\s+)?" + _WEAPON + r"\b",
        0.9,
        _check_weapon,
    ),
    _r(
        "weapon_now",
        _WEAPON + r"\s+(?:hidden\s+|stashed\s+|tucked\s+)?"
        r"(?:in|on|under|inside|down|in\s+the\s+back\s+of)\s+"
        r"(?:his|her|my|their|your|the|our|[a-z]+'s|[a-z]+s)\s+(?:\w+\s+)?(?:bag|bags|pocket|pockets|"
        r"coat|jacket|hoodie|room|bedroom|locker|bed|pillow|mattress|car|waistband|trackies|"
        r"trousers|sock|socks|draw|drawer|drawers|wardrobe|house|flat|shoe|shoes|belt|garden|"
        r"shed|person|rucksack|backpack|pencil\s+case)\b",
        0.85,
        _check_weapon,
    ),
    _r(
        "weapon_now",
        r"\b(?:there'?s|theres|there\s+is|there\s+are|i\s+can\s+see|i\s+just\s+saw|someone|somebody|"
        r"a\s+(?:man|guy|lad|boy|kid|youth|yute|group|gang|girl|bloke)|some\s+(?:lads|boys|men|guys))"
        r"\b[^.!?\n]{0,60}?\b(?:with|wiv|holding|waving)\s+(?:a|an|his|their|some|big)?\s*"
        + _WEAPON
        + r"\b",
        0.85,
        _check_weapon,
    ),
    _r(
        "weapon_now",
        r"\b(?:strapped|tooled\s+up|carrying\s+a\s+ting|on\s+(?:him|her|me)\s+(?:at\s+all\s+times|"
        r"everyday|every\s+day))\b|\b(?:carr(?:ying|yin|ies|ys|y)|packing|packin)\b(?=\s*(?:now|rn|"
        r"right\s+now|today|tonight|every\s*day|everywhere|at\s+all\s+times|all\s+the\s+time|"
        r"on\s+(?:him|her|me)|2day|2nite|$|[.!]))",
        0.8,
        _check_weapon,
    ),
    _r(
        "weapon_now",
        r"\b(?:found|find|finding|seen|saw|see)\s+(?:a|an|the|two|some)\s+(?:\w+\s+)?"
        + _WEAPON
        + r"\s+(?:in|under|on)\s+(?:his|her|my|their|[a-z]+'s)\b",
        0.8,
        _check_weapon,
    ),
    # ---------------- child at risk ----------------
    _r(
        "child_at_risk",
        r"\b(?:mak(?:e|es|ing|in)|made|forc(?:e|es|ing|ed)|pressur(?:e|es|ing|ed|is(?:e|es|ing|ed)|"
        r"iz(?:e|es|ing|ed))|us(?:e|es|ing|ed)|get(?:s|ting)?|tell(?:s|ing)?|told|ask(?:s|ing|ed)?|"
        r"send(?:s|ing)?|sent|recruit(?:s|ing|ed)?|groom(?:s|ing|ed)?|paying|pays|paid|want(?:s|ed)?|"
        r"getting|put(?:ting)?|have|has|had)\s+"
        r"(?:(?!why\b|how\b|what\b|people\b|if\b|about\b|when\b)\w+\s+){0,4}?(?:to\s+|into\s+|as\s+(?:a\s+)?)?"
        r"(?:hold|holding|carry|carrying|deliver|delivering|sell|selling|shot|shotting|run|running|"
        r"drop|dropping|hide|hiding|stash|stashing|move|moving|keep|keeping|mind|minding|"
        r"look\s*out|do\s+(?:stuff|things|jobs|runs|drops|deliveries|favours)|runners?|mules?|"
        r"drug\s+mules?|lookouts?|county\s+lines|dealing|deal|trap|trapping|work\s+for\s+them)\b"
        r"(?!\s+(?:a\s+)?(?:job|business|shop|conversation|session|club|team|class|course|race|"
        r"marathon|sport|football|group|programme|project|stall|event|campaign|hope|faith|"
        r"the\s+youth|the\s+session|the\s+club|the\s+group|grudges?))",
        0.85,
        _check_child,
    ),
    _r(
        "child_at_risk",
        r"\bbeing\s+(?:\w+\s+and\s+)?(?:groomed|exploited|followed|threatened|forced|pressured|"
        r"pressurised|pressurized|used|recruited|targeted|trafficked|sent|stalked|watched|"
        r"bullied|made\s+to|given|offered|paid|hunted|chased|blackmailed|controlled|abused|"
        r"touched|messaged|contacted|approached|robbed|taxed|picked\s+up|collected|"
        r"told\s+to|asked\s+to|sold|moved|kept|held)\b|\b(?:is|are|was|been|got|gets|getting)\s+"
        r"threatened\b|\bthreaten(?:ed|ing|s)?\s+(?:to\s+)?(?:my|his|her|our|him|me|us|them|the)\b",
        0.85,
        _check_child,
    ),
    _r(
        "child_at_risk",
        r"\b(?:said|says|say|told|tell|telling|threaten(?:ed|ing|s)?|saying|warned|text(?:ed)?|"
        r"messaged|promised)\b[^.!?\n]{0,50}?\b(?:they'll|they\s+will|they'd|they\s+would|"
        r"he'll|he'd|she'll|we'll|gonna|going\s+to|will|would|'ll|'d|to)\s+(?:\w+\s+){0,2}?"
        r"(?:hurt|stab|kill|shank|get|shoot|burn|come\s+(?:to|for|round|after)|do\s+(?:him|her|me|"
        r"us|them|you)|jump|beat|batter|cut|wet|merk|find|harm|touch|rape|smash|attack|"
        r"torch|petrol)\b|\b(?:will|'ll|would|'d|gonna|going\s+to)\s+be\s+(?:hurt|stabbed|killed|"
        r"got|shot|harmed|next)\b",
        0.85,
        lambda norm, m: (
            None
            if re.search(
                r"\b(?:people|they|kids|everyone)\s+say\b|\bas\s+a\s+joke\b",
                norm[max(0, m.start() - 30) : m.end()],
            )
            else _check_child(norm, m)
        ),
    ),
    _r(
        "child_at_risk",
        r"\bgroom(?:ing|ed|s)?\s+(?:my|his|her|our|him|them|me|a|the|this|that|some|kids|"
        r"children|young|girls|boys)\b|\b(?:is|are|'re|'s|been|being|keep|keeps)\s+groom(?:ing|ed)\b|"
        r"\b(?:going|gone|goes|go|went|keeps\s+going|been\s+going)\s+missing\b|"
        r"\bmissing\s+for\s+(?:days|hours|nights|a\s+week|weeks)\b|"
        r"\b(?:come|comes|came|coming|comin)\s+(?:back|home|in)\s+with\s+(?:a\s+)?(?:cash|money|"
        r"new|loads\s+of|wads?|designer|expensive|a\s+new|bruises|injuries|cuts)\b|"
        r"\bowe(?:s|d)?\s+(?:\w+\s+){0,3}?(?:money|debt|a\s+debt|them|£?\d+)\b|"
        r"\b(?:in|into)\s+(?:debt|a\s+debt)\s+(?:with|to)\b|\bcounty\s+lines\b|\brun(?:ning)?\s+"
        r"(?:lines|a\s+line|the\s+line)\b|\brunning\s+for\s+(?:some\s+|the\s+)?(?:olders|older\s+\w+|"
        r"them|a\s+gang|some\s+\w+|dealers?)\b|"
        r"\b(?:messag|text|snapchat|snap|dm|contact|follow|stalk|watch|offer|pick|picking|"
        r"pick(?:s|ed)?|waiting\s+for)\w*\s+(?:up\s+)?(?:my|his|her|our)\s+(?:\d+\s*(?:year|yr)s?\s*"
        r"old\s+|little\s+|younger\s+|baby\s+|teenage\s+)?(?:son|daughter|boy|girl|kid|child|"
        r"brother|sister|cousin|nephew|niece|grandson|granddaughter|\d+\s*(?:year|yr)s?\s*old)\b|"
        r"\basking\s+(?:to\s+meet|her\s+to\s+meet|him\s+to\s+meet|for\s+(?:pics|photos|nudes))\b|"
        r"\boffer(?:s|ing|ed)?\s+(?:\w+\s+){0,3}?(?:lifts?|a\s+lift|rides?|money|cash|weed|drugs)\b|"
        r"\bpick(?:s|ing|ed)?\s+(?:\w+\s+){1,4}?up\s+from\s+(?:school|college|the\s+park)\b|"
        r"\bstay(?:s|ing|ed)?\s+(?:at|round|over\s+at)\s+(?:some\s+|an\s+|this\s+)?older\s+"
        r"(?:man|men|guy|lad|boy|bloke)'?s?\b|\b(?:older|grown)\s+(?:man|men|guy|guys|bloke)\s+"
        r"(?:keeps?|is|are|has\s+been|have\s+been|been)\b|"
        r"\b(?:giv(?:e|es|ing|en)|gave|buy(?:s|ing)?|bought|gift(?:s|ing|ed)?)\s+(?:\w+\s+){0,4}?"
        r"(?:money|cash|trainers|new\s+phone|phones?|clothes|gifts|designer\s+\w+|weed|drugs|"
        r"a\s+phone)\b|"
        r"\b(?:older\s+)?(?:men|man|guys|guy|lads|blokes|boys)\s+(?:in\s+(?:their|his)\s+"
        r"(?:20s|twenties|30s|thirties|40s)|(?:aged\s+)?(?:over|in\s+their)\s+(?:20|18|21))\b|"
        r"\b(?:seeing|dating|going\s+out\s+with|talking\s+to|sleeping\s+with|staying\s+with|"
        r"meeting|meets|messaging)\s+(?:a|an|some|this|that)\s+(?:\d{2}|twenty\w*|thirty\w*)\s*"
        r"-?\s*(?:year|yr)s?\s*-?\s*old\b|\b(?:shott?ing|shottin|selling|sellin|dealing|"
        r"running|grafting|holding|delivering|working|cheffing|trapping|juggling)\s+"
        r"(?:stuff\s+|drugs\s+|food\s+|bits\s+|packages\s+)?for\s+(?:them|some|the\s+olders|"
        r"olders|older|a\s+gang|the\s+gang|dealers?|some\s+\w+|these\s+\w+|those\s+\w+|"
        r"a\s+man|men|him)\b|\bsent\s+(?:\w+\s+){0,3}?(?:to\s+)?(?:another|a\s+different|other)\s+"
        r"(?:city|town|area)\b|\bout\s+of\s+town\b|\btrap\s+house\b|\bcuckoo(?:ed|ing)?\b",
        0.8,
        _check_child,
    ),
)


def _merge(spans: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort evidence spans and merge overlapping ones."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def detect_safeguarding(text: str) -> SafeguardingResult:
    """Detect possible disclosures of current risk in one free-text response.

    Args:
        text: the response, in any register (slang, typos and third-person notes are fine).
            Only the first :data:`MAX_CHARS` characters are analysed.

    Returns:
        A :class:`SafeguardingResult`; ``flagged`` is true when any category matched.
        Each reason carries ``(start, end)`` evidence spans into ``text`` and a score.
    """
    if not text or not text.strip():
        return SafeguardingResult(False, [], 0.0)
    norm = _normalise(text[:MAX_CHARS])
    found: dict[str, tuple[float, set[tuple[int, int]]]] = {}
    for rule in _RULES:
        for m in rule.pattern.finditer(norm):
            weight, spans = found.get(rule.category, (0.0, set()))
            if len(spans) >= MAX_SPANS:
                break
            span = rule.check(norm, m)
            if span is None:
                continue
            spans.add(span)
            found[rule.category] = (max(weight, rule.weight), spans)
    if not found:
        return SafeguardingResult(False, [], 0.0)
    reasons = []
    for category in CATEGORIES:
        if category in found:
            weight, spans = found[category]
            bonus = min(0.05 * (len(spans) - 1), 0.09)
            reasons.append(
                SafeguardingReason(category, _merge(spans), round(min(weight + bonus, 0.99), 3))
            )
    miss = 1.0
    for reason in reasons:
        miss *= 1.0 - reason.score
    return SafeguardingResult(True, reasons, round(1.0 - miss, 3))
