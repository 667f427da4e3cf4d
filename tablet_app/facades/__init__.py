"""Platform services behind small facades (plyer's pattern).

Each facade is an abstract class whose documented public methods delegate to private ``_hooks``; each
platform supplies a subclass implementing the hooks. This wave ships the desktop implementations (Linux
and Windows tablets running Kivy on the desktop); an Android build adds its own subclasses without
touching callers.

* ``clock``       ``ClockFacade.now()``: wall time corrected by the sync layer's server-offset estimate
                  (what the timeline's "now" buttons stamp); ``monotonic()`` for running timers.
* ``haptics``     ``HapticsFacade.vibrate()``: desktop tablets have no vibrator; the desktop
                  implementation flashes the screen through a hook the app installs, or reports False.
* ``keep_awake``  ``KeepAwakeFacade.acquire()/release()``: keeps the screen on during cardiac-arrest
                  mode; desktop Linux asks ``xdg-screensaver`` and reports False when that is impossible.
* ``storage``     ``StoragePathsFacade``: the per-user app data directory.

Facade methods report "not available" by returning False; they raise only for programming errors.
"""
