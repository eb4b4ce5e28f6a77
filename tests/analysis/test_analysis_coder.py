"""Behaviour of the theme coder: rules, negation, polarity, spellings, spans, API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import analysis
from analysis import Coder, load_codebook

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def coder() -> Coder:
    return analysis.load_coder()


@pytest.fixture(scope="module")
def rules() -> Coder:
    return analysis.load_coder(rules_only=True)


def themes(coder: Coder, text: str, question: str | None = None) -> set[str]:
    return set(coder.code(text, question).theme_ids)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I carry a knife because I'm scared", {"fear", "protection"}),
        ("There is nothing for young people to do round here", {"lack_of_provision"}),
        ("We need more youth clubs", {"lack_of_provision"}),
        ("Kids need role models", {"role_models"}),
        ("There are no role models for these boys", {"role_models"}),
        ("He was groomed by older boys to run drugs", {"exploitation", "drugs_alcohol"}),
        ("My son was stabbed to death last year and the grief never leaves", {"bereavement"}),
        ("Stabbings are normal now, nobody is shocked", {"desensitisation"}),
        (
            "The police, the council and schools need to work together",
            {"partnership_working", "policing"},
        ),
        ("Better street lighting and CCTV in the park", {"safer_spaces"}),
        ("I volunteer at the boxing club on Saturdays", {"volunteering", "lack_of_provision"}),
        ("He was excluded from school at fourteen", {"school_exclusion"}),
        ("Apprenticeships and jobs for young people", {"employment_opportunity"}),
        ("Parents need support and parenting classes", {"family_support"}),
    ],
)
def test_codes_common_phrasings(rules: Coder, text: str, expected: set[str]) -> None:
    assert expected <= themes(rules, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("he got shanked by the opps from the next postcode", {"gang_culture"}),
        ("bare man carry a blade for protection init", {"protection"}),
        ("they had him running county lines at 13", {"drugs_alcohol", "exploitation"}),
        (
            "it all started with beef on snapchat and drill videos",
            {"gang_culture", "media_influence"},
        ),
        ("he was trapping to make quick money", {"drugs_alcohol", "financial_hardship"}),
    ],
)
def test_slang(rules: Coder, text: str, expected: set[str]) -> None:
    assert expected <= themes(rules, text)


def test_british_and_us_spellings_and_misspellings(rules: Coder) -> None:
    assert "area_perception" in themes(rules, "Our neighborhood is dangerous")
    assert "area_perception" in themes(rules, "Our neighbourhood is dangerous")
    assert "desensitisation" in themes(rules, "Kids are desensitized to violence")
    assert "desensitisation" in themes(rules, "Kids are desensitised to violence")
    assert "fear" in themes(rules, "im so scard to go out")
    assert "community_facilities" in themes(rules, "open the community center again")


def test_rejection_is_not_coded(rules: Coder) -> None:
    assert "fear" not in themes(rules, "It's not about fear, it's about money")
    assert "financial_hardship" in themes(rules, "It's not about fear, it's about money")
    assert "media_influence" not in themes(rules, "It's not the music that is killing people")
    assert "fear" not in themes(rules, "I'm not scared of anyone")
    assert "gang_culture" not in themes(rules, "This has nothing to do with gangs")


def test_not_just_affirms(rules: Coder) -> None:
    assert "mental_health" in themes(rules, "It's not just about mental health")


def test_negation_is_polarity_for_provision(rules: Coder) -> None:
    assert "lack_of_provision" in themes(rules, "There are no youth clubs any more")
    assert "support_services" in themes(rules, "There was nobody to talk to")
    assert "fear" in themes(rules, "I don't feel safe walking home")


def test_evidence_spans_point_into_original_text(coder: Coder) -> None:
    text = "  WHY?   Because I’m SCARED… so I carry a Knife for PROTECTION.\nNothing to do here."
    result = coder.code(text)
    assert result.themes
    for code in result.themes:
        assert 0.0 <= code.score <= 1.0
        assert code.evidence
        for start, end in code.evidence:
            assert 0 <= start < end <= len(text)
    fear = next(t for t in result.themes if t.theme == "fear")
    assert any(text[s:e] == "SCARED" for s, e in fear.evidence)
    protection = next(t for t in result.themes if t.theme == "protection")
    assert any("PROTECTION" in text[s:e] for s, e in protection.evidence)


def test_concepts_follow_from_themes(coder: Coder) -> None:
    cb = load_codebook()
    result = coder.code("The police should patrol the park more")
    expected: set[str] = set()
    for tid in result.theme_ids:
        expected.update(cb.theme(tid).concepts)
    assert set(result.concepts) == expected
    assert "prevention_safety" in result.concepts


def test_empty_and_blank_text(coder: Coder) -> None:
    for text in ("", "   ", None):
        result = coder.code(text)
        assert result.themes == ()
        assert result.concepts == ()


def test_question_is_accepted_and_recorded(coder: Coder) -> None:
    result = coder.code("More police on the streets", question="help")
    assert result.question == "help"
    assert "policing" in result.theme_ids


def test_version_string(coder: Coder, rules: Coder) -> None:
    assert re.fullmatch(r"rules-1\.\d+\.[0-9a-f]{8}\+model-[0-9a-f]{8}", coder.version)
    assert re.fullmatch(r"rules-1\.\d+\.[0-9a-f]{8}", rules.version)
    assert coder.code("hello").coder_version == coder.version
    assert analysis.coder_version() == analysis.load_coder().version


def test_load_coder_is_cached() -> None:
    assert analysis.load_coder() is analysis.load_coder()


def test_batch_matches_single(coder: Coder) -> None:
    texts = ["I carry for protection", "nothing to do", ""]
    batch = analysis.code_batch(texts, ["why", None, None])
    assert [r.theme_ids for r in batch] == [coder.code(t).theme_ids for t in texts]
    assert analysis.code("nothing to do").theme_ids == ["lack_of_provision"]


def test_quote_with_no_theme(rules: Coder) -> None:
    assert themes(rules, "It was a Tuesday and the weather was fine.") == set()


def test_denial_after_the_theme_is_rejection(rules: Coder) -> None:
    assert "media_influence" not in themes(rules, "Drill music isn't the reason kids are dying.")
    assert "media_influence" in themes(rules, "Drill music glamorises violence.")


def test_rather_than_rejects_drivers_but_not_provision(rules: Coder) -> None:
    assert "fear" not in themes(rules, "It's about boredom rather than fear")
    coded = themes(rules, "Instead of more police patrols, fund the youth clubs")
    assert {"policing", "lack_of_provision"} <= coded


def test_possessive_kin_words(rules: Coder) -> None:
    assert "bereavement" in themes(rules, "Our son's killer got eight years.")
    assert "policing" in themes(rules, "Our son's killer got eight years.")


def test_bulk_mode_skips_evidence_but_not_themes(coder: Coder) -> None:
    text = "I carry a blade because I'm scared of the opps"
    full = coder.code(text)
    bulk = coder.code(text, evidence=False)
    assert bulk.theme_ids == full.theme_ids
    assert all(t.evidence == () for t in bulk.themes)
    assert all(t.evidence for t in full.themes)


def test_analysis_imports_no_flask_and_needs_no_nltk_data(tmp_path: Path) -> None:
    code = (
        "import sys, nltk; nltk.data.path[:] = []; import analysis; "
        "r = analysis.load_coder().code('I carry a knife for protection'); "
        "assert 'protection' in r.theme_ids; "
        "assert not any(m == 'flask' or m.startswith('flask.') for m in sys.modules)"
    )
    env = {**os.environ, "NLTK_DATA": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
