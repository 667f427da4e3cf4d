"""Themes: WCAG contrast of every text colour on its background; glove-sized touch targets."""

from __future__ import annotations

import pytest

from tablet_app.theme import (
    HIGH_CONTRAST,
    NORMAL,
    THEMES,
    TOUCH_TARGET_MIN_MM,
    WCAG_AA_NORMAL_TEXT,
    RiskBand,
    Theme,
    contrast_ratio,
    hex_colour,
    touch_target_mm,
)


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio(hex_colour("#000000"), hex_colour("#FFFFFF")) == pytest.approx(21.0)
    assert contrast_ratio(hex_colour("#777777"), hex_colour("#FFFFFF")) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio(hex_colour("#FFFFFF"), hex_colour("#FFFFFF")) == pytest.approx(1.0)


@pytest.mark.parametrize("theme", THEMES.values(), ids=lambda t: t.name)
def test_every_text_pair_meets_the_themes_contrast_minimum(theme: Theme) -> None:
    assert theme.minimum_contrast >= WCAG_AA_NORMAL_TEXT
    failing = {
        name: round(contrast_ratio(fg, bg), 2)
        for name, (fg, bg) in theme.palette.text_pairs().items()
        if contrast_ratio(fg, bg) < theme.minimum_contrast
    }
    assert not failing


@pytest.mark.parametrize("theme", THEMES.values(), ids=lambda t: t.name)
def test_every_news2_risk_band_has_a_colour(theme: Theme) -> None:
    assert set(theme.palette.risk) == set(RiskBand)
    assert len({swatch.background for swatch in theme.palette.risk.values()}) == len(RiskBand)


@pytest.mark.parametrize("theme", THEMES.values(), ids=lambda t: t.name)
def test_touch_targets_fit_a_gloved_finger(theme: Theme) -> None:
    assert touch_target_mm(theme.sizes.touch_target) >= TOUCH_TARGET_MIN_MM
    assert touch_target_mm(72) == pytest.approx(12.2, abs=0.1)


def test_high_contrast_is_at_least_as_large_as_normal() -> None:
    assert HIGH_CONTRAST.sizes.font_body >= NORMAL.sizes.font_body
    assert HIGH_CONTRAST.minimum_contrast >= 7


def test_a_malformed_colour_is_refused() -> None:
    with pytest.raises(ValueError, match="#RRGGBB"):
        hex_colour("#FFF")
