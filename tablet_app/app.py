"""The Kivy application: builds the facades and view-models, wires the screens, runs the loop.

Start it with ``ppj tablet`` (``ppj/tablet_cli.py``), which calls ``run(options)``. Kivy reads its
environment at import time, so ``run`` prepares it (``prepare_kivy_environment``) before importing Kivy:
``KIVY_HOME`` inside the app data (never ``~/.kivy``), no Kivy command-line parsing, the window size.

Screens: log-in → the unit's journals (sync state, crew, new patient) → a patient's journal (identity,
timeline, NEWS2, author switch) → vitals pad / handover and signing; "sign on crew member" goes back to
the log-in screen and adds the next person. The lock button (or auto-lock) → lock screen → back where
the person was. Every save goes to the encrypted local store first; with ``--server`` a sync worker
thread pushes and pulls in the background.

``--demo`` without ``--server``: ``DemoLogin`` stands in for the server with two demo crew members whose
passwords are generated per run and printed as ``PPJ-DEMO-LOGIN user=… password=…`` (no fixed default
credentials); the demo keeps its own store, replaced at every demo start (it only ever holds demo data).
With ``PPJ_TABLET_CONTROL=<socket path>`` the app also serves the UI test driver
(``tablet_app.testing.control``); with ``PPJ_TABLET_REPORT_FIRST_FRAME=1`` it prints
``PPJ-TABLET-FIRST-FRAME <seconds since process start>`` after its first frame (``ppj bench tablet``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from journal.ids import new_uuid7
from tablet_app.facades.storage import StoragePathsFacade, desktop_storage_paths
from tablet_app.options import DEMO_LOGIN_MARKER, FIRST_FRAME_MARKER, TabletOptions
from tablet_app.session import LaterScreens, SessionWiring

CONTROL_VARIABLE = "PPJ_TABLET_CONTROL"
DEVICE_CREDENTIAL_VARIABLE = "PPJ_TABLET_DEVICE_CREDENTIAL"
REPORT_FIRST_FRAME_VARIABLE = "PPJ_TABLET_REPORT_FIRST_FRAME"
AUTO_LOCK_TICK_S = 1.0


def prepare_kivy_environment(*, storage: StoragePathsFacade, options: TabletOptions) -> None:
    """Set what Kivy reads when first imported; must run before any ``import kivy``."""
    if "kivy" in sys.modules:
        raise RuntimeError("prepare_kivy_environment() must run before Kivy is imported")
    os.environ.setdefault("KIVY_HOME", str(storage.kivy_home()))
    os.environ["KIVY_NO_ARGS"] = "1"  # our options are parsed by ppj, not by Kivy
    from kivy.config import Config

    width, height = options.size
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "1")
    Config.set("input", "mouse", "mouse,disable_multitouch")  # no red multitouch dots on right-click
    Config.set("kivy", "exit_on_escape", "0")  # a stray Esc on a rugged keyboard must not quit


def run(options: TabletOptions, *, process_started: float | None = None) -> None:
    """Run the app until its window closes."""
    storage = desktop_storage_paths(platform=sys.platform, environ=os.environ, home=Path.home())
    prepare_kivy_environment(storage=storage, options=options)
    app = build_app(options=options, storage=storage, process_started=process_started)
    app.run()


def build_app(*, options: TabletOptions, storage: StoragePathsFacade, process_started: float | None) -> Any:
    # Kivy imports here, after prepare_kivy_environment.
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.lang import Builder
    from kivy.properties import ObjectProperty, StringProperty
    from kivy.uix.screenmanager import NoTransition, ScreenManager

    from tablet_app import i18n
    from tablet_app.auth import (
        DemoLogin,
        OnlineLogin,
        PeopleDirectory,
        StoreAuthenticator,
        StoreKeyring,
        device_secret,
    )
    from tablet_app.background import ThreadRunner
    from tablet_app.facades.clock import DesktopClock
    from tablet_app.facades.device_credential import SealedFileCredential
    from tablet_app.facades.haptics import DesktopHaptics
    from tablet_app.facades.keep_awake import UnavailableKeepAwake, XdgScreensaverKeepAwake
    from tablet_app.screens import (
        AbcdeScreen,
        DispositionScreen,
        EnrolScreen,
        EpisodeViewModels,
        GcsScreen,
        HandoverScreen,
        HistoryScreen,
        JournalScreen,
        JournalsScreen,
        LockScreen,
        LoginScreen,
        MedicationScreen,
        ProcedureScreen,
        ReviewScreen,
        StrokeScreen,
        TimeEditScreen,
        TransportScreen,
        VitalsPadScreen,
    )
    from tablet_app.theme import theme_for
    from tablet_app.viewmodels.arrest_timer import ArrestTimerViewModel
    from tablet_app.viewmodels.assessment import (
        AbcdeViewModel,
        ComplaintHistoryViewModel,
        ProcedureViewModel,
        StrokeScaleViewModel,
        load_procedures,
    )
    from tablet_app.viewmodels.enrolment import EnrolmentViewModel
    from tablet_app.viewmodels.episode import (
        DestinationViewModel,
        DispositionViewModel,
        NotesViewModel,
        SamePatientViewModel,
        TransportUrgencyViewModel,
        load_receivers,
    )
    from tablet_app.viewmodels.gcs import GcsEntryViewModel
    from tablet_app.viewmodels.lock import LockState, LockViewModel
    from tablet_app.viewmodels.login import LoginViewModel, Session
    from tablet_app.viewmodels.medication import MedicationViewModel
    from tablet_app.viewmodels.review import ReviewViewModel, TimeEditViewModel
    from tablet_app.viewmodels.vital_fields import VITAL_FIELDS
    from tablet_app.viewmodels.vitals_pad import VitalsPadViewModel
    from tablet_app.widgets import numeric_pad

    del numeric_pad  # imported only to register NumericPad with Kivy's Factory; tablet.kv uses it

    control_socket = os.environ.get(CONTROL_VARIABLE)

    def x11_window_id() -> int | None:
        info = Window.get_window_info()
        window = getattr(info, "window", None)
        return int(window) if isinstance(window, int) else None

    class PpjTabletApp(App):  # type: ignore[misc]  # Kivy is untyped
        lang = StringProperty(i18n.DEFAULT_LANGUAGE)
        theme = ObjectProperty(theme_for(high_contrast=options.high_contrast))
        title = "PPJ"

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.options = options
            self.clock = DesktopClock()
            self.haptics = DesktopHaptics()
            self.keep_awake = (
                XdgScreensaverKeepAwake(window_id=x11_window_id)
                if sys.platform.startswith("linux")
                else UnavailableKeepAwake()
            )
            self.runner = ThreadRunner(post=lambda callback: Clock.schedule_once(lambda _dt: callback(), 0))
            self.session_wiring: SessionWiring | None = None
            data = storage.app_data_dir()
            online: OnlineLogin | None = None
            self.http: Any = None
            self.server_login: Any = None
            secret = device_secret(data / "device-secret")
            # The credential from enrolment, sealed under the device secret (never plain text here).
            self.credentials = SealedFileCredential(path=data / "device-credential", device_secret=secret)
            self.needs_enrolment = False
            if options.server_url is not None:
                import httpx2

                from tablet_app.server_login import DEVICE_HEADER, ServerLogin

                # The environment variable overrides the sealed credential (test rigs, a pre-enrolled image).
                credential = os.environ.get(DEVICE_CREDENTIAL_VARIABLE) or self.credentials.load()
                self.needs_enrolment = credential is None
                self.http = httpx2.Client(
                    base_url=options.server_url,
                    headers={DEVICE_HEADER: credential} if credential else {},
                    timeout=10.0,
                )
                online = self.server_login = ServerLogin(http=self.http, device_credential=credential)
            elif options.demo:
                demo = DemoLogin()
                for username, password in demo.passwords.items():
                    print(f"{DEMO_LOGIN_MARKER} user={username} password={password}", flush=True)  # noqa: T201
                online = demo
            # The receiving departments offered with one tap (with their SOR codes, so the ED board sees
            # the announcement); set up per region beside the store, none when absent.
            self.receivers = load_receivers(data / "receivers.json")
            self.procedures = load_procedures()  # the shipped favourites (tablet_app/data/procedures.json)
            store_path = data / ("demo-store.sqlite" if options.demo else "store.sqlite")
            if options.demo and options.server_url is None:
                for leftover in data.glob("demo-store.sqlite*"):
                    leftover.unlink()  # demo data only; the new run's passwords could not open it
            self.keyring = StoreKeyring(path=store_path, device_secret=secret, device_id=new_uuid7())
            self.authenticator = StoreAuthenticator(
                online=online, keyring=self.keyring, people=PeopleDirectory(data / "people.json")
            )
            self.session: Session | None = None
            self.lock_vm: LockViewModel | None = None
            self.arrest: ArrestTimerViewModel | None = None
            self._screen_before_lock = "journals"
            self._first_frame_reported = False
            i18n.language.subscribe(self._language_changed)
            i18n.set_language(options.language)
            self.lang = i18n.language.current

        # kv: ``app.t(msg_id, app.lang)`` — ``lang`` is only there so kv re-evaluates on a switch.
        def t(self, msg_id: str, _lang: str = "") -> str:
            return i18n._(msg_id)

        def build(self) -> Any:
            Builder.load_file(str(Path(__file__).with_name("tablet.kv")))
            Window.clearcolor = self.theme.palette.background
            self.manager = ScreenManager(transition=NoTransition())
            self.login_screen = LoginScreen(name="login")
            self.manager.add_widget(self.login_screen)
            self._later_screens: LaterScreens | None = None
            self.login_screen.attach(
                LoginViewModel(
                    authenticator=self.authenticator,
                    runner=self.runner,
                    clock=self.clock,
                    on_logged_in=self._logged_in,
                )
            )
            if self.needs_enrolment:
                self._enrol_first()
            self.haptics.set_flash_hook(self._flash)
            Window.bind(on_touch_down=self._any_touch)
            Window.bind(on_flip=self._first_flip)
            Clock.schedule_interval(self._tick, AUTO_LOCK_TICK_S)
            if control_socket:
                from tablet_app.testing.control import ControlServer

                self.control = ControlServer(app=self, socket_path=Path(control_socket))
                self.control.start()
            return self.manager

        def _enrol_first(self) -> None:
            """No device credential yet: the enrolment screen comes before the log-in."""
            from tablet_app.server_login import DEVICE_HEADER, enrol_device

            def enrolled(credential: str) -> None:
                self.http.headers[DEVICE_HEADER] = credential
                self.server_login.use_device_credential(credential)
                self.needs_enrolment = False
                self.manager.current = "login"

            screen = EnrolScreen(name="enrol")
            self.manager.add_widget(screen)
            screen.attach(
                EnrolmentViewModel(
                    enrol=lambda code: enrol_device(http=self.http, code=code),
                    credentials=self.credentials,
                    runner=self.runner,
                    on_enrolled=enrolled,
                )
            )
            self.manager.current = "enrol"

        # --- events -----------------------------------------------------------------------------
        def _first_flip(self, *_args: Any) -> None:
            if self._first_frame_reported:
                return
            self._first_frame_reported = True
            if os.environ.get(REPORT_FIRST_FRAME_VARIABLE) and process_started is not None:
                print(f"{FIRST_FRAME_MARKER} {time.time() - process_started:.3f}", flush=True)  # noqa: T201
            # The log-in screen shows first; the others are built while the person types.
            Clock.schedule_once(lambda _dt: self.later_screens(), 0)

        def later_screens(self) -> LaterScreens:
            """The screens after log-in, built once on first need (kept off the cold-start path)."""
            if self._later_screens is None:
                screens = LaterScreens(
                    vitals=VitalsPadScreen(name="vitals_pad"),
                    lock=LockScreen(name="lock"),
                    journals=JournalsScreen(name="journals"),
                    journal=JournalScreen(name="journal"),
                    handover=HandoverScreen(name="handover"),
                    medication=MedicationScreen(name="medication"),
                    gcs=GcsScreen(name="gcs"),
                    review=ReviewScreen(name="review"),
                    time_edit=TimeEditScreen(name="time_edit"),
                    transport=TransportScreen(name="transport"),
                    disposition=DispositionScreen(name="disposition"),
                    history=HistoryScreen(name="history"),
                    abcde=AbcdeScreen(name="abcde"),
                    procedures=ProcedureScreen(name="procedures"),
                    stroke=StrokeScreen(name="stroke"),
                )
                for screen in vars(screens).values():
                    self.manager.add_widget(screen)
                self._later_screens = screens
            return self._later_screens

        def _flash(self, duration_ms: int) -> None:
            """The desktop stand-in for vibration: a frame around the whole window for ``duration_ms``."""
            from kivy.graphics import Color, Line
            from kivy.metrics import dp

            group = "haptic-flash"
            Window.canvas.after.remove_group(group)
            with Window.canvas.after:
                Color(*self.theme.palette.primary.background, group=group)
                Line(rectangle=(2, 2, Window.width - 4, Window.height - 4), width=dp(4), group=group)
            Clock.schedule_once(lambda _dt: Window.canvas.after.remove_group(group), duration_ms / 1000)

        def _any_touch(self, *_args: Any) -> bool:
            if self.lock_vm is not None:
                self.lock_vm.note_activity()
            return False  # never swallow the touch

        def _tick(self, _dt: float) -> None:
            if self.lock_vm is not None:
                self.lock_vm.tick()
            if self.arrest is not None:
                self.arrest.tick()

        def _language_changed(self) -> None:
            self.lang = i18n.language.current
            for screen in self.manager.screens if hasattr(self, "manager") else ():
                if screen.vm is not None:
                    screen.refresh()

        def toggle_language(self) -> None:
            languages = i18n.LANGUAGES
            i18n.set_language(languages[(languages.index(i18n.language.current) + 1) % len(languages)])

        def _logged_in(self, session: Session) -> None:
            screens = self.later_screens()
            if self.session_wiring is None:
                store = self.keyring.store
                assert store is not None  # a successful log-in opened the store
                self.session = session
                self.lock_vm = LockViewModel(clock=self.clock, verifier=session.pin)
                self.lock_vm.subscribe(self._lock_changed)
                if self.arrest is None:
                    self.arrest = ArrestTimerViewModel(
                        clock=self.clock, keep_awake=self.keep_awake, haptics=self.haptics, lock=self.lock_vm
                    )
                else:  # a full re-log-in during a running arrest must not stop its timer
                    self.arrest.attach_lock(self.lock_vm)
                screens.lock.attach(self.lock_vm, person_name=session.person.display_name)
                self.session_wiring = SessionWiring.start(
                    store=store,
                    clock=self.clock,
                    unit=options.unit,
                    http=self.http,
                    post=lambda callback: Clock.schedule_once(lambda _dt: callback(), 0),
                )
                wiring = self.session_wiring
                screens.journals.attach(
                    wiring.journals, crew=wiring.crew, offline_login=session.offline_login
                )
            self.session_wiring.crew.sign_on(session)
            self.show("journals")

        def new_journal(self, mission: Any = None) -> None:
            """A new patient at patient contact; ``mission``: the dispatch assignment it was opened from."""
            assert self.session_wiring is not None
            self._show_journal(self.session_wiring.new_journal(mission))

        def open_journal(self, journal_id: Any) -> None:
            assert self.session_wiring is not None
            self._show_journal(self.session_wiring.journal(journal_id))

        def _show_journal(self, journal: Any) -> None:
            wiring = self.session_wiring
            assert wiring is not None and self.arrest is not None
            screens = self.later_screens()
            screens.journal.attach(journal, crew=wiring.crew)
            screens.handover.attach(journal)
            episode = EpisodeViewModels(
                journal=journal,
                destination=DestinationViewModel(journal=journal, clock=self.clock, receivers=self.receivers),
                urgency=TransportUrgencyViewModel(journal=journal),
                disposition=DispositionViewModel(journal=journal),
                notes=NotesViewModel(journal=journal, drafts=wiring.drafts),
                same_patient=SamePatientViewModel(journal=journal, journals=wiring.journals),
            )
            screens.transport.attach(episode)
            screens.disposition.attach(episode)
            screens.medication.attach(
                MedicationViewModel(
                    save=journal.save_medication, now=self.clock.now, author=wiring.crew.active_author
                )
            )
            screens.vitals.attach(
                VitalsPadViewModel(
                    fields=VITAL_FIELDS,
                    drafts=wiring.drafts,
                    clock=self.clock,
                    haptics=self.haptics,
                    draft_scope=f"vitals:{journal.journal_id}",
                    on_value=journal.add_vital,
                ),
                offline_login=self.session is not None and self.session.offline_login,
                arrest=self.arrest,
                journal=journal,
            )
            screens.gcs.attach(GcsEntryViewModel(journal))
            screens.history.attach(ComplaintHistoryViewModel(journal=journal, drafts=wiring.drafts))
            screens.abcde.attach(AbcdeViewModel(journal=journal, drafts=wiring.drafts))
            screens.procedures.attach(
                ProcedureViewModel(
                    journal=journal, drafts=wiring.drafts, clock=self.clock, favourites=self.procedures
                ),
                crew=wiring.crew,
            )
            screens.stroke.attach(StrokeScaleViewModel(journal=journal))
            screens.review.attach(ReviewViewModel(journal))
            screens.time_edit.attach(TimeEditViewModel(journal, self.clock, "patient_contact"))
            self.show("journal")

        def show(self, name: str) -> None:
            screen = self.manager.get_screen(name)
            if getattr(screen, "vm", None) is not None:
                screen.refresh()
            self.manager.current = name

        def lock_now(self) -> None:
            if self.lock_vm is not None:
                self.lock_vm.lock()

        def _lock_changed(self) -> None:
            assert self.lock_vm is not None
            state = self.lock_vm.state
            if state is LockState.LOCKED and self.manager.current != "lock":
                self._screen_before_lock = self.manager.current
                self.manager.current = "lock"
            elif state is LockState.UNLOCKED and self.manager.current == "lock":
                self.manager.current = self._screen_before_lock
            elif state is LockState.LOGIN_REQUIRED:
                self.manager.current = "login"

        def on_stop(self) -> None:
            if control_socket:
                Path(control_socket).unlink(missing_ok=True)
            self.runner.shutdown()
            if self.session_wiring is not None:
                self.session_wiring.stop()
            self.keyring.close()
            if self.arrest is not None:
                self.arrest.stop()

    return PpjTabletApp()
