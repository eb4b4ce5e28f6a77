"""The learned layer: NLTK-equivalent Naive Bayes, logistic regression, JSON artefact."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import analysis
from analysis.model import (
    NaiveBayesCounts,
    ThemeModel,
    nltk_log_odds,
    pattern_statistics,
    train_logistic,
    with_pattern_stats,
)

TOY = [
    ({"w:knife", "w:scare"}, {"fear"}),
    ({"w:scare", "w:dark"}, {"fear"}),
    ({"w:club", "w:bore"}, {"lack"}),
    ({"w:club", "w:youth"}, {"lack"}),
    ({"w:knife", "w:club"}, set()),
    ({"w:dark"}, set()),
]


@pytest.mark.parametrize("feats", [{"w:knife"}, {"w:scare", "w:dark"}, {"w:club"}, set()])
def test_streaming_naive_bayes_equals_nltk(feats: set[str]) -> None:
    counts = NaiveBayesCounts(["fear", "lack"])
    for f, labels in TOY:
        counts.add(f, labels)
    model = counts.to_model(min_count=1, min_weight=0.0, scale=1.0)
    ours = math.log(model.probability(0, feats)) - math.log(1 - model.probability(0, feats))
    assert ours == pytest.approx(nltk_log_odds(TOY, "fear", feats), abs=1e-6)


def test_logistic_learns_a_separable_toy_problem() -> None:
    model = train_logistic(TOY * 5, ["fear", "lack"], min_count=1, epochs=40)
    assert model.probability(0, {"w:scare"}) > 0.5
    assert model.probability(0, {"w:club", "w:youth"}) < 0.5
    assert model.probability(1, {"w:club", "w:bore"}) > 0.5


def test_model_round_trips_as_json(tmp_path: Path) -> None:
    model = train_logistic(TOY, ["fear", "lack"], min_count=1)
    path = tmp_path / "m.json"
    model.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == "community-voice-theme-model/1"
    again = ThemeModel.load(path)
    assert again.digest == model.digest
    assert again.probabilities({"w:scare"}) == pytest.approx(
        model.probabilities({"w:scare"}), abs=1e-3
    )


def test_rejects_files_that_are_not_models() -> None:
    with pytest.raises(ValueError):
        ThemeModel({"format": "something-else"})


def test_shipped_model_is_small_and_matches_the_codebook() -> None:
    assert analysis.DEFAULT_MODEL.exists()
    assert analysis.DEFAULT_MODEL.stat().st_size < 2_000_000
    model = ThemeModel.load(analysis.DEFAULT_MODEL)
    assert set(model.themes) == set(analysis.load_codebook().theme_ids)
    assert "+model-" + model.digest in analysis.load_coder().version


def test_pattern_scores_learn_from_labelled_matches() -> None:
    base = train_logistic(TOY, ["fear", "lack"], min_count=1)
    stats = {"fear": {"scared": (0, 40), "afraid": (40, 0)}}
    model = with_pattern_stats(base, stats, prior_strength=10.0)
    assert model.pattern_score("fear", "scared", 0.9) < 0.5
    assert model.pattern_score("fear", "afraid", 0.45) > 0.5
    assert model.pattern_score("fear", "unseen", 0.7) == 0.7
    assert model.pattern_score("lack", "scared", 0.7) == 0.7
    again = ThemeModel(model.to_dict())
    assert again.pattern_score("fear", "scared", 0.9) == model.pattern_score("fear", "scared", 0.9)
    assert again.digest == model.digest != base.digest


def test_pattern_statistics_counts_agreement() -> None:
    stats = pattern_statistics(
        [
            ([("fear", "scared"), ("fear", "scared")], {"fear"}),
            ([("fear", "scared")], set()),
            ([("lack", "bored")], {"lack"}),
        ]
    )
    assert stats == {"fear": {"scared": (1, 1)}, "lack": {"bored": (1, 0)}}
