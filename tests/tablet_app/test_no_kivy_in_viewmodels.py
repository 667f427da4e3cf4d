"""View-models, facades and i18n import no Kivy, so their tests never need a window."""

from __future__ import annotations

import subprocess
import sys

HEADLESS_MODULES = [
    "tablet_app.viewmodels.numeric_entry",
    "tablet_app.viewmodels.vitals_pad",
    "tablet_app.viewmodels.login",
    "tablet_app.viewmodels.lock",
    "tablet_app.viewmodels.arrest_timer",
    "tablet_app.viewmodels.drafts",
    "tablet_app.facades.clock",
    "tablet_app.facades.keep_awake",
    "tablet_app.theme",
    "tablet_app.i18n",
    "tablet_app.options",
    "tablet_app.testing.harness",
]


def test_importing_the_view_models_loads_no_kivy() -> None:
    code = (
        f"import sys; import {', '.join(HEADLESS_MODULES)}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
