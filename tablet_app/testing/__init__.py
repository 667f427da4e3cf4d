"""Test support shipped with the app: the control socket the UI tests drive, and the Xvfb harness.

The control socket exists only when ``PPJ_TABLET_CONTROL`` names a socket path; a normal start never
opens it.
"""
