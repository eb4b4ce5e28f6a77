"""Tests for splitting notes into points and keeping point identity on edit."""

from __future__ import annotations

import pytest

from app.sessions.points import clean_text, match_points, split_points, strip_bullet


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- Fear of the underpass", "Fear of the underpass"),
        ("* Fear of the underpass", "Fear of the underpass"),
        ("• Fear of the underpass", "Fear of the underpass"),
        ("· Fear of the underpass", "Fear of the underpass"),
        ("– Fear of the underpass", "Fear of the underpass"),
        ("— Fear of the underpass", "Fear of the underpass"),
        ("▪ Fear of the underpass", "Fear of the underpass"),
        ("‣ Fear of the underpass", "Fear of the underpass"),
        ("> Fear of the underpass", "Fear of the underpass"),
        ("1. Fear of the underpass", "Fear of the underpass"),
        ("12) Fear of the underpass", "Fear of the underpass"),
        ("(3) Fear of the underpass", "Fear of the underpass"),
        ("a) Fear of the underpass", "Fear of the underpass"),
        ("(b) Fear of the underpass", "Fear of the underpass"),
        ("iv. Fear of the underpass", "Fear of the underpass"),
        ("Q1: Fear of the underpass", "Fear of the underpass"),
        ("q2. Fear of the underpass", "Fear of the underpass"),
        ("3: Fear of the underpass", "Fear of the underpass"),
        ("1. - Fear of the underpass", "Fear of the underpass"),
        ("   -   Fear of the underpass  ", "Fear of the underpass"),
        ("-", ""),
        ("•", ""),
    ],
)
def test_strip_bullet_removes_bullets_and_numbering(line: str, expected: str) -> None:
    assert strip_bullet(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "2 lads were stabbed near the park",
        "A lot of fear at the bus station",
        "10 - 15 year olds carrying",
        "10:30 at night is when it starts",
        "-5 degrees and still out on the street",
        "e.g. the shops on the main road",
        "I think parents need support",
    ],
)
def test_strip_bullet_leaves_ordinary_sentences_alone(line: str) -> None:
    assert strip_bullet(line) == line


def test_split_points_one_point_per_non_empty_line() -> None:
    notes = (
        "- Fear of being jumped on the way home\r\n"
        "\n"
        "  2)  Older   lads give\tthem things to hold  \n"
        '• "Everyone\'s got one"\x07\n'
        "   \n"
        "Q4: More youth clubs\u2028Open late\n"
        "-\n"
    )
    assert split_points(notes) == [
        "Fear of being jumped on the way home",
        "Older lads give them things to hold",
        '"Everyone\'s got one"',
        "More youth clubs",
        "Open late",
    ]


def test_split_points_empty_text_gives_no_points() -> None:
    assert split_points("") == []
    assert split_points("\n \n\t\n- \n") == []


def test_clean_text_removes_controls_and_collapses_whitespace() -> None:
    assert clean_text("  Fear\x00 of\tthe\n\npark\x1b \ufeff ") == "Fear of the park"
    # NFC: a decomposed e + combining acute becomes the single character.
    assert clean_text("cafe\u0301") == "caf\u00e9"
    # Zero-width joiners matter in Indic scripts and are kept.
    assert clean_text("ક્\u200dષ") == "ક્\u200dષ"


EXISTING = [
    (11, "Fear of the underpass after dark"),
    (12, "Older lads give younger ones things to hold"),
    (13, "Nothing open for teenagers after school"),
]


def test_match_points_unchanged_points_keep_their_ids() -> None:
    texts = [text for _, text in EXISTING]
    assert match_points(EXISTING, texts) == [(11, texts[0]), (12, texts[1]), (13, texts[2])]


def test_match_points_reordered_points_keep_their_ids() -> None:
    texts = [EXISTING[2][1], EXISTING[0][1], EXISTING[1][1]]
    assert match_points(EXISTING, texts) == [(13, texts[0]), (11, texts[1]), (12, texts[2])]


def test_match_points_slightly_edited_point_keeps_its_id() -> None:
    texts = [
        "Fear of the underpass after dark",
        "Older lads give the younger ones stuff to hold",  # edited
        "Nothing open for teenagers after schol",  # typo
    ]
    assert match_points(EXISTING, texts) == [(11, texts[0]), (12, texts[1]), (13, texts[2])]


def test_match_points_new_points_get_none_and_removed_ids_are_absent() -> None:
    texts = [
        "Somewhere free to go that is open late",
        "Fear of the underpass after dark",
    ]
    assert match_points(EXISTING, texts) == [(None, texts[0]), (11, texts[1])]


def test_match_points_exact_match_ignores_case_and_spacing_and_returns_new_text() -> None:
    texts = ["fear of the  UNDERPASS after dark"]
    assert match_points(EXISTING, texts) == [(11, "fear of the  UNDERPASS after dark")]


def test_match_points_each_id_used_at_most_once() -> None:
    texts = [EXISTING[0][1], EXISTING[0][1], "Fear of the underpass after dark!"]
    result = match_points(EXISTING, texts)
    assert result == [(11, texts[0]), (None, texts[1]), (None, texts[2])]


def test_match_points_duplicates_pair_up_in_order() -> None:
    existing = [(1, "More lighting"), (2, "More lighting"), (3, "More CCTV")]
    texts = ["More lighting", "More CCTV", "More lighting"]
    assert match_points(existing, texts) == [(1, texts[0]), (3, texts[1]), (2, texts[2])]


def test_match_points_exact_match_beats_earlier_fuzzy_candidate() -> None:
    existing = [(1, "Parents need more support from schools")]
    texts = ["Parents need more support from school", "Parents need more support from schools"]
    assert match_points(existing, texts) == [(None, texts[0]), (1, texts[1])]


def test_match_points_closest_edit_wins_the_old_point() -> None:
    existing = [(7, "Better street lighting in the alleys behind the houses")]
    texts = [
        "Better lighting in the alleys",
        "Better street lighting in the alleys behind the house",
    ]
    assert match_points(existing, texts) == [(None, texts[0]), (7, texts[1])]


def test_match_points_rewritten_point_is_new() -> None:
    existing = [(5, "Police to walk the main road")]
    texts = ["Mentors from the estate who turned their lives round"]
    assert match_points(existing, texts) == [(None, texts[0])]


def test_match_points_threshold_is_point_six() -> None:
    # "abcde" vs "abxyz": ratio 2*2/10 = 0.4 -> new; "abcdefghij" vs "abcdefxyzw": 0.6 -> kept.
    assert match_points([(1, "abcde")], ["abxyz"]) == [(None, "abxyz")]
    assert match_points([(1, "abcdefghij")], ["abcdefxyzw"]) == [(1, "abcdefxyzw")]


def test_match_points_empty_inputs() -> None:
    assert match_points([], []) == []
    assert match_points([], ["New point"]) == [(None, "New point")]
    assert match_points(EXISTING, []) == []
