"""View-models: the state and behaviour of every screen, in plain Python.

Invariant (tested): nothing under ``tablet_app.viewmodels`` imports Kivy, so view-model tests run without
a window. Screens subscribe (``Observable.subscribe``), render the state, and forward touches as method
calls. Text is held as ``i18n.Message`` values and rendered by the screen in the current language.
"""
