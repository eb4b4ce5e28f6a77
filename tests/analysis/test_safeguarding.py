"""Tests for analysis.safeguarding: held-out labelled set plus unit cases.

The labelled set (tests/analysis/data/safeguarding_labelled.csv) was written before the
rules and is not used to develop them; rules are developed on
analysis/data/safeguarding_dev.csv.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analysis.safeguarding import (
    CATEGORIES,
    SafeguardingResult,
    detect_safeguarding,
)

LABELLED = Path(__file__).parent / "data" / "safeguarding_labelled.csv"
DEV = Path(__file__).resolve().parents[2] / "analysis" / "data" / "safeguarding_dev.csv"


def _load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _scores(rows: list[dict[str, str]]) -> tuple[float, float, int, int, int]:
    tp = fp = fn = 0
    for row in rows:
        flagged = detect_safeguarding(row["text"]).flagged
        gold = row["flagged"] == "1"
        if gold and flagged:
            tp += 1
        elif gold:
            fn += 1
        elif flagged:
            fp += 1
    recall = tp / (tp + fn) if tp + fn else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    return recall, precision, tp, fp, fn


def test_labelled_set_is_big_enough_and_disjoint_from_dev() -> None:
    rows = _load(LABELLED)
    positives = [r for r in rows if r["flagged"] == "1"]
    negatives = [r for r in rows if r["flagged"] == "0"]
    assert len(positives) >= 60
    assert len(negatives) >= 200
    for row in positives:
        assert row["category"] in CATEGORIES
    dev_texts = {r["text"] for r in _load(DEV)}
    assert not dev_texts & {r["text"] for r in rows}


def test_recall_on_held_out_set(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _load(LABELLED)
    recall, precision, tp, fp, fn = _scores(rows)
    with capsys.disabled():
        print(
            f"\nsafeguarding held-out: recall={recall:.3f} precision={precision:.3f} "
            f"(tp={tp} fp={fp} fn={fn}, n={len(rows)})"
        )
        for category in CATEGORIES:
            cat_rows = [r for r in rows if r["category"] == category]
            hits = sum(detect_safeguarding(r["text"]).flagged for r in cat_rows)
            print(f"  {category:15s} flagged {hits}/{len(cat_rows)}")
    assert recall >= 0.9


def test_dev_set_scores(capsys: pytest.CaptureFixture[str]) -> None:
    recall, precision, *_ = _scores(_load(DEV))
    with capsys.disabled():
        print(f"\nsafeguarding dev: recall={recall:.3f} precision={precision:.3f}")
    assert recall >= 0.9


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I'm going to stab him", "intent_to_harm"),
        ("gonna get him tomorrow", "intent_to_harm"),
        ("you're dead when i see you", "intent_to_harm"),
        ("I want to end it", "self_harm"),
        ("i dont want to be here anymore", "self_harm"),
        ("my brother has a knife in his bag right now", "weapon_now"),
        ("there's a kid at my school who brings a blade every day", "weapon_now"),
        ("older boys keep making my son hold packages for them", "child_at_risk"),
        ("they said they'll hurt my little sister if I don't", "child_at_risk"),
        ("one mum said her son is being followed home by older lads", "child_at_risk"),
    ],
)
def test_brief_examples_are_flagged(text: str, category: str) -> None:
    result = detect_safeguarding(text)
    assert result.flagged
    assert category in result.categories
    assert 0 < result.score <= 1


@pytest.mark.parametrize(
    "text",
    [
        "people carry knives for protection",
        "my cousin was stabbed in 2019",
        "we need more youth clubs",
        "I used to carry a knife when I was 15",
        "I would never stab anyone",
        "I don't carry a knife and never will",
        "If someone came at me with a knife I'd run",
        "Knife crime is killing our community",
        "I'm going to kill it at my boxing match lol",
        "My mum is going to kill me if I'm late",
        "We want to end knife crime",
        "Carrying a knife makes you a target",
        "",
        "   ",
    ],
)
def test_opinions_past_negation_not_flagged(text: str) -> None:
    result = detect_safeguarding(text)
    assert not result.flagged
    assert result.reasons == []
    assert result.score == 0


def test_evidence_spans_point_into_original_text() -> None:
    text = "Honestly. My SON has a KNIFE in his bag right now, and I’m going to stab him."
    result = detect_safeguarding(text)
    assert isinstance(result, SafeguardingResult)
    assert {"weapon_now", "intent_to_harm"} <= set(result.categories)
    for reason in result.reasons:
        assert reason.spans
        for start, end in reason.spans:
            assert 0 <= start < end <= len(text)
    weapon = next(r for r in result.reasons if r.category == "weapon_now")
    assert "KNIFE" in text[weapon.spans[0][0] : weapon.spans[0][1]]
    intent = next(r for r in result.reasons if r.category == "intent_to_harm")
    assert "stab him" in text[intent.spans[0][0] : intent.spans[0][1]]


def test_past_overridden_by_present_marker() -> None:
    assert not detect_safeguarding("I used to self harm but I got help").flagged
    assert detect_safeguarding("I used to carry, and I still carry a blade every day").flagged


def test_categories_in_canonical_order_and_scores() -> None:
    result = detect_safeguarding("I want to kill myself. My brother is carrying a knife right now.")
    assert result.categories == ["self_harm", "weapon_now"]
    assert all(0 < r.score <= 1 for r in result.reasons)
    assert result.score >= max(r.score for r in result.reasons)


def test_curly_apostrophes_and_case() -> None:
    assert detect_safeguarding("I’M GONNA SHANK HIM").flagged
    assert detect_safeguarding("Im gonna shank him").flagged


def test_huge_input_finishes_and_caps_evidence() -> None:
    text = "we need more youth clubs. " * 8000 + "I'm going to stab him. " * 200
    result = detect_safeguarding(text)
    assert result.flagged
    assert all(len(r.spans) <= 50 for r in result.reasons)
    hostile = "going to " * 20000 + "'" * 50000 + "a " * 50000
    assert not detect_safeguarding(hostile).flagged
