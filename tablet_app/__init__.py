"""The tablet app (Kivy): thin screens over plain-Python view-models.

Layers, from the bottom:

* ``i18n``        message catalogues (da default, en) and the current-language switch.
* ``theme``       colours (normal, high contrast, NEWS2 risk bands) and sizes (glove-sized touch targets).
* ``facades``     platform services behind small facades (clock, haptics, keep-awake, storage paths),
                  each with a desktop implementation.
* ``viewmodels``  state and behaviour of every screen; plain Python, never imports Kivy, tested
                  without a window.
* ``widgets``, ``screens``, ``app``   Kivy: they render view-model state and forward touches.
* ``testing``     the control socket and Xvfb harness the UI tests and ``ppj bench tablet`` use.
"""
