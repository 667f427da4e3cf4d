"""Themes: colours (normal and high contrast, NEWS2 risk bands) and sizes for gloves and sunlight.

Sizes are in density-independent pixels at the reference tablet (1280×800, 10.1", ≈150 dpi; Kivy's
``dp`` scales them on denser screens, e.g. a later Android build).

Touch targets: the minimum is **80 dp ≈ 13.5 mm** at 150 dpi. Gloved fingers need ≥ 12 mm (72 px at
150 dpi); we keep a margin because rugged screens in moving vehicles are tapped off-centre.
Text: body 24 dp, numbers on the pad 40 dp, readouts 56 dp — sunlight and arm's length.

Contrast: every text colour paired with the background it is drawn on meets WCAG 2.x contrast ≥ 4.5:1
(AA, normal text) in the normal theme and ≥ 7:1 (AAA) in the high-contrast theme; ``contrast_ratio``
computes it and the tests check every pair the theme declares.

NEWS2 risk bands (RCP 2017 clinical response: low, low–medium, medium, high) have their own colours; a
colour never carries the meaning alone — screens also print the band's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

RGBA = tuple[float, float, float, float]

TOUCH_TARGET_MIN_MM = 12.0
REFERENCE_DPI = 150
WCAG_AA_NORMAL_TEXT = 4.5
WCAG_AAA_NORMAL_TEXT = 7.0


def hex_colour(code: str) -> RGBA:
    """``"#RRGGBB"`` as Kivy's RGBA floats (opaque)."""
    code = code.removeprefix("#")
    if len(code) != 6:
        raise ValueError(f"colour must be #RRGGBB, not {code!r}")
    r, g, b = (int(code[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, 1.0)


def _channel(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: RGBA) -> float:
    """WCAG 2.x relative luminance of an opaque colour."""
    r, g, b, _ = colour
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(foreground: RGBA, background: RGBA) -> float:
    """WCAG 2.x contrast ratio (1..21) between two opaque colours."""
    light, dark = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


class RiskBand(Enum):
    """NEWS2 clinical risk bands (RCP 2017)."""

    LOW = "low"
    LOW_MEDIUM = "low_medium"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Swatch:
    """A background and the text colour drawn on it."""

    background: RGBA
    text: RGBA


@dataclass(frozen=True)
class Palette:
    background: RGBA
    text: RGBA
    text_muted: RGBA
    surface: Swatch  # panels, pad keys
    primary: Swatch  # the main action on a screen
    danger: Swatch  # refusals, destructive actions
    warning: Swatch  # confirmation prompts
    info: Swatch  # status banners (e.g. offline log-in)
    risk: dict[RiskBand, Swatch]

    def text_pairs(self) -> dict[str, tuple[RGBA, RGBA]]:
        """Every (text, background) pair the theme draws text with, by name; the contrast test checks them."""
        pairs = {
            "text on background": (self.text, self.background),
            "muted text on background": (self.text_muted, self.background),
        }
        for name in ("surface", "primary", "danger", "warning", "info"):
            swatch: Swatch = getattr(self, name)
            pairs[f"text on {name}"] = (swatch.text, swatch.background)
        for band, swatch in self.risk.items():
            pairs[f"text on NEWS2 {band.value}"] = (swatch.text, swatch.background)
        return pairs


@dataclass(frozen=True)
class Sizes:
    """Sizes in dp (see the module docstring for the reference screen)."""

    touch_target: int
    spacing: int
    font_body: int
    font_title: int
    font_key: int  # digits on pads
    font_readout: int  # the value being typed, the arrest timer


@dataclass(frozen=True)
class Theme:
    name: str
    palette: Palette
    sizes: Sizes
    minimum_contrast: float


def touch_target_mm(size_dp: float, *, dpi: float = REFERENCE_DPI) -> float:
    """How many millimetres ``size_dp`` measures on the reference screen."""
    return size_dp / dpi * 25.4


_SIZES = Sizes(touch_target=80, spacing=12, font_body=24, font_title=32, font_key=40, font_readout=56)
_HIGH_CONTRAST_SIZES = Sizes(
    touch_target=88, spacing=12, font_body=28, font_title=36, font_key=44, font_readout=64
)

NORMAL = Theme(
    name="normal",
    palette=Palette(
        background=hex_colour("#F4F6F8"),
        text=hex_colour("#111820"),
        text_muted=hex_colour("#4A5560"),
        surface=Swatch(hex_colour("#FFFFFF"), hex_colour("#111820")),
        primary=Swatch(hex_colour("#0B5394"), hex_colour("#FFFFFF")),
        danger=Swatch(hex_colour("#B3261E"), hex_colour("#FFFFFF")),
        warning=Swatch(hex_colour("#FFD54F"), hex_colour("#111820")),
        info=Swatch(hex_colour("#DCEBFA"), hex_colour("#0B2540")),
        risk={
            RiskBand.LOW: Swatch(hex_colour("#1E7B34"), hex_colour("#FFFFFF")),
            RiskBand.LOW_MEDIUM: Swatch(hex_colour("#FFE14D"), hex_colour("#111820")),
            RiskBand.MEDIUM: Swatch(hex_colour("#F08A24"), hex_colour("#111820")),
            RiskBand.HIGH: Swatch(hex_colour("#B3261E"), hex_colour("#FFFFFF")),
        },
    ),
    sizes=_SIZES,
    minimum_contrast=WCAG_AA_NORMAL_TEXT,
)

HIGH_CONTRAST = Theme(
    name="high_contrast",
    palette=Palette(
        background=hex_colour("#000000"),
        text=hex_colour("#FFFFFF"),
        text_muted=hex_colour("#D0D0D0"),
        surface=Swatch(hex_colour("#1A1A1A"), hex_colour("#FFFFFF")),
        primary=Swatch(hex_colour("#FFFFFF"), hex_colour("#000000")),
        danger=Swatch(hex_colour("#FF9A9A"), hex_colour("#000000")),
        warning=Swatch(hex_colour("#FFE600"), hex_colour("#000000")),
        info=Swatch(hex_colour("#9CD2FF"), hex_colour("#000000")),
        risk={
            RiskBand.LOW: Swatch(hex_colour("#5BE37D"), hex_colour("#000000")),
            RiskBand.LOW_MEDIUM: Swatch(hex_colour("#FFE600"), hex_colour("#000000")),
            RiskBand.MEDIUM: Swatch(hex_colour("#FF9F1C"), hex_colour("#000000")),
            RiskBand.HIGH: Swatch(hex_colour("#FF7373"), hex_colour("#000000")),
        },
    ),
    sizes=_HIGH_CONTRAST_SIZES,
    minimum_contrast=WCAG_AAA_NORMAL_TEXT,
)

THEMES = {theme.name: theme for theme in (NORMAL, HIGH_CONTRAST)}


def theme_for(*, high_contrast: bool) -> Theme:
    return HIGH_CONTRAST if high_contrast else NORMAL
