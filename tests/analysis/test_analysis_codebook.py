"""Codebook loading: defaults, staff-edited codebooks from dicts/YAML, validation."""

from __future__ import annotations

import pytest
import yaml

import analysis
from analysis import CodebookError, codebook_from_dict, codebook_from_yaml, load_codebook
from analysis.codebook import DEFAULT_CODEBOOK


def test_default_codebook_keeps_the_specification() -> None:
    spec = yaml.safe_load(DEFAULT_CODEBOOK.read_text(encoding="utf-8"))
    cb = load_codebook()
    assert [t["id"] for t in spec["themes"]] == list(cb.theme_ids)
    for t in spec["themes"]:
        theme = cb.theme(t["id"])
        assert theme.label == t["label"]
        assert theme.definition == t["definition"]
        assert list(theme.concepts) == t["concepts"]
        assert theme.patterns, f"{t['id']} has no rules"
    assert list(cb.concepts) == [c["id"] for c in spec["concepts"]]
    assert len(cb.theme_ids) == 27


def test_staff_can_add_and_retire_themes_from_yaml() -> None:
    text = DEFAULT_CODEBOOK.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["themes"].append(
        {
            "id": "housing",
            "label": "Housing and homelessness",
            "concepts": ["support_opportunities"],
            "patterns": ["homeless*", "=temporary ~1 =accommodation", "=sofa ~1 =surfing"],
        }
    )
    for t in data["themes"]:
        if t["id"] == "fear":
            t["retired"] = True
    cb = codebook_from_yaml(yaml.safe_dump(data))
    assert "housing" in cb.theme_ids
    assert "fear" not in cb.theme_ids
    coder = analysis.load_coder(cb)
    result = coder.code("He was sofa surfing and scared all the time")
    assert "housing" in result.theme_ids
    assert "fear" not in result.theme_ids
    assert "support_opportunities" in result.concepts


def test_theme_without_patterns_falls_back_to_its_label() -> None:
    data = {
        "version": 9,
        "concepts": [{"id": "c", "label": "C"}],
        "themes": [{"id": "loneliness", "label": "Loneliness", "concepts": ["c"]}],
    }
    cb = codebook_from_dict(data)
    coder = analysis.load_coder(cb, rules_only=True)
    assert coder.code("so much loneliness").theme_ids == ["loneliness"]
    assert coder.version.startswith("rules-9.")


def test_edited_pattern_changes_the_fingerprint() -> None:
    data = {"themes": [{"id": "a", "label": "A", "patterns": ["apple"]}]}
    first = codebook_from_dict(data)
    data["themes"][0]["patterns"] = ["apples ~2 pears"]
    second = codebook_from_dict(data)
    assert first.fingerprint != second.fingerprint
    coder = analysis.load_coder(second, rules_only=True)
    assert coder.code("apples and pears").theme_ids == ["a"]
    assert coder.code("apple").theme_ids == []


@pytest.mark.parametrize(
    "data",
    [
        {"themes": []},
        {"themes": [{"id": "A", "label": "bad id"}]},
        {"themes": [{"id": "a", "label": "A"}, {"id": "a", "label": "again"}]},
        {"themes": [{"id": "a", "label": "A", "negation": "maybe"}]},
        {"concepts": [{"id": "c"}], "themes": [{"id": "a", "label": "A", "concepts": ["nope"]}]},
        {"themes": [{"id": "a", "label": "A", "patterns": [{"p": "x", "score": 3}]}]},
    ],
)
def test_malformed_codebooks_are_rejected(data: dict) -> None:
    with pytest.raises(CodebookError):
        codebook_from_dict(data)


@pytest.mark.parametrize(
    "pattern", ["@nosuchlexicon", "knife ~", "knife ~2", "~2 knife", "a ~99 b"]
)
def test_malformed_patterns_are_rejected(pattern: str) -> None:
    cb = codebook_from_dict({"themes": [{"id": "a", "label": "A", "patterns": [pattern]}]})
    with pytest.raises(CodebookError):
        analysis.load_coder(cb, rules_only=True)


def test_invalid_yaml_is_a_codebook_error() -> None:
    with pytest.raises(CodebookError):
        codebook_from_yaml("themes: [unclosed")
