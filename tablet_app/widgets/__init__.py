"""Kivy widgets that render a view-model; their layout is in ``tablet_app/tablet.kv``."""
