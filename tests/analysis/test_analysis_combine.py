"""How rules and the learned layer combine: thresholds learned by a stacked layer."""

from __future__ import annotations

import math
import random

import pytest

import analysis
from analysis import CoderSettings, load_codebook
from analysis.coder import Coder, settings_from_meta
from analysis.combine import DEFAULT_SETTINGS, KINDS, evidence_kinds, fit_kind, learn_settings
from analysis.evaluate import LabelledText, prepare
from analysis.model import ThemeModel, train_logistic

SINGLE = "the police never come round here"  # policing from one word, "police"
MULTI = "we need stop and search"  # policing from a phrase, "stop and search"


def test_fit_kind_recovers_a_known_boundary() -> None:
    rng = random.Random(3)
    samples = []
    for _ in range(4000):
        x = rng.uniform(-6, 6)
        samples.append((x, rng.random() < 1 / (1 + math.exp(-(2.0 * x - 1.0)))))
    fit = fit_kind(samples, l2=0.01)
    assert fit.slope == pytest.approx(2.0, abs=0.3)
    assert fit.intercept == pytest.approx(-1.0, abs=0.3)
    threshold = fit.threshold()
    assert threshold is not None
    assert threshold == pytest.approx(1 / (1 + math.exp(-0.5)), abs=0.05)


def test_a_kind_the_model_says_nothing_about_has_no_threshold() -> None:
    assert fit_kind([]).threshold() is None
    # the theme is there half the time whatever the model says: no boundary on the logit
    noise = [(x / 10, y) for x in range(-50, 50) for y in (True, False)]
    assert fit_kind(noise).threshold() is None


def test_evidence_kinds_tell_single_words_from_phrases() -> None:
    rules = Coder(load_codebook())
    model = ThemeModel(
        {"format": "community-voice-theme-model/1", "themes": ["x"], "bias": [0.0], "weights": {}}
    )
    policing = rules.theme_ids.index("policing")
    for text, kind in ((SINGLE, "single"), (MULTI, "multi"), ("a sunny day", "none")):
        kinds = evidence_kinds(rules, rules.rule_matches(text), model)
        assert KINDS[kinds[policing]] == kind, text


def test_single_word_veto_drops_only_single_word_evidence() -> None:
    codebook = load_codebook()
    model = analysis.DEFAULT_MODEL
    veto_all = CoderSettings(single_word_veto_threshold=1.0, model_only_threshold=1.01)
    coder = analysis.build_coder(codebook, model)
    strict = Coder(codebook, coder.model, veto_all)
    assert "policing" in coder.code(SINGLE).theme_ids
    assert "policing" not in strict.code(SINGLE).theme_ids  # vetoed
    assert "policing" in strict.code(MULTI).theme_ids  # a phrase is not a single word
    assert "policing" in strict.code(SINGLE, rules_only=True).theme_ids


def test_too_little_data_keeps_the_default_settings() -> None:
    rules = Coder(load_codebook())
    data = [LabelledText("we need more mentors", frozenset({"role_models"}))] * 10
    prepared = prepare(rules, data)

    def fit(rows: list[tuple[set[str], set[str]]]) -> ThemeModel:
        return train_logistic(rows, rules.theme_ids, min_count=1)

    settings, record = learn_settings(rules, prepared, fit, 300.0)
    assert settings == DEFAULT_SETTINGS
    assert "defaults" in record["method"]


def test_the_shipped_model_carries_learned_thresholds() -> None:
    model = ThemeModel.load(analysis.DEFAULT_MODEL)
    stored = model.meta["settings"]
    assert set(stored) == set(DEFAULT_SETTINGS)
    assert model.meta["combiner"]["method"].startswith("stacked logistic layer")
    settings = settings_from_meta(model.meta)
    assert 0.0 < settings.single_word_veto_threshold < 0.5
    assert 0.5 < settings.model_only_threshold <= 1.0
    assert analysis.load_coder().settings == settings
