"""Community Voice theme coder: codes free-text responses into codebook themes.

Plain Python (no Flask). Typical use in the app::

    import analysis
    coder = analysis.load_coder()          # once at start-up (cached)
    result = coder.code(text, question="why")
    result.theme_ids, result.concepts, coder.version

A staff-edited codebook can be loaded from a dict or YAML string with
:func:`codebook_from_dict` / :func:`codebook_from_yaml` and passed to
:func:`load_coder`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .codebook import (
    DEFAULT_CODEBOOK,
    DEFAULT_PATTERNS,
    Codebook,
    CodebookError,
    Theme,
    codebook_from_dict,
    codebook_from_yaml,
    load_codebook,
)
from .coder import Coder, CoderSettings, CodingResult, ThemeCode, settings_from_meta
from .model import ThemeModel

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODELS_DIR / "theme_model.json"
QUESTIONS = ("what_where", "why", "impact", "help")

__all__ = [
    "DEFAULT_CODEBOOK",
    "DEFAULT_MODEL",
    "DEFAULT_PATTERNS",
    "QUESTIONS",
    "Codebook",
    "CodebookError",
    "Coder",
    "CoderSettings",
    "CodingResult",
    "Theme",
    "ThemeCode",
    "ThemeModel",
    "build_coder",
    "code",
    "code_batch",
    "codebook_from_dict",
    "codebook_from_yaml",
    "coder_version",
    "load_codebook",
    "load_coder",
]


@lru_cache(maxsize=1)
def _default_coder() -> Coder:
    return build_coder(load_codebook(), DEFAULT_MODEL if DEFAULT_MODEL.exists() else None)


def build_coder(codebook: Codebook, model: ThemeModel | str | Path | None = None) -> Coder:
    """Build a new (uncached) coder from a codebook and an optional model or model path."""
    if isinstance(model, (str, Path)):
        model = ThemeModel.load(model)
    settings = settings_from_meta(model.meta) if model is not None else CoderSettings()
    return Coder(codebook, model, settings)


def load_coder(
    codebook: Codebook | None = None,
    model: ThemeModel | str | Path | None = None,
    *,
    rules_only: bool = False,
) -> Coder:
    """Return a ready coder.

    With no arguments, returns the shared default coder (shipped codebook, patterns
    and trained model), built once and cached. Pass ``codebook`` (e.g. from
    :func:`codebook_from_yaml`) and/or ``model`` (a :class:`ThemeModel` or a path)
    for a custom one; the default model is used with a custom codebook for the
    themes it knows, unless ``rules_only`` is set.
    """
    if codebook is None and model is None and not rules_only:
        return _default_coder()
    cb = codebook if codebook is not None else load_codebook()
    if rules_only:
        return Coder(cb)
    if model is None and DEFAULT_MODEL.exists():
        model = DEFAULT_MODEL
    return build_coder(cb, model)


def code(text: str | None, question: str | None = None) -> CodingResult:
    """Code one text with the default coder."""
    return load_coder().code(text, question)


def code_batch(
    texts: Iterable[str | None], questions: Iterable[str | None] | None = None
) -> list[CodingResult]:
    """Code several texts with the default coder (``questions`` parallel to ``texts``)."""
    return list(load_coder().code_many(texts, questions))


def coder_version() -> str:
    """Version string of the default coder, e.g. ``rules-1.3.ab12cd34+model-9f8e7d6c``."""
    return load_coder().version
