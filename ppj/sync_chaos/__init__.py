"""``ppj sync chaos``: a Jepsen-style fault harness for sync (issue 4, ARCHITECTURE §4).

Tablet processes write entries into a real sync store and sync with the real client through a loopback
fault proxy to one or two server processes, while the harness kills tablets (SIGKILL), restarts servers,
drops, duplicates, holds and replays requests and responses, skews clocks by up to ±24 h, reinstalls a
tablet and grants a device a journal late. Then every surviving device syncs once more without faults and
the checker compares every store with the server.

Modules:

* ``plan``     the seeded plan of one run (what happens, to whom, when) — printed when a run fails.
* ``proxy``    the loopback HTTP fault proxy between tablets and server processes.
* ``tablet``   the tablet worker process (``python -m ppj.sync_chaos.tablet``).
* ``zygote``   warm fork servers (``forks`` is the harness's side): tablets and server processes start in
               milliseconds, so kills land in the work and a server restart costs no imports.
* ``backend``  the series' database and server processes (one set per slot of concurrent runs), restarted
               mid-run and read back run by run.
* ``checker``  lost / duplicated / converged, and the canonical journal state hash.
* ``runner``   one run.
* ``cli``      the ``ppj sync chaos`` command: a series of runs, ``--parallel`` at a time.

Errors::

    ChaosError                  the harness itself cannot go on (not a finding about sync)
    ├── ServerStartError        a server process did not come up listening on its port
    └── TabletProcessError      a tablet process failed in a way no injected fault explains
"""

from __future__ import annotations


class ChaosError(Exception):
    """Base of the harness's own errors: raised when the harness cannot carry out a run. A problem found
    in sync (a lost entry, a divergence) is never an exception: it is counted and reported."""


class ServerStartError(ChaosError):
    """Raised when a server process does not accept connections on its port within the start timeout."""


class TabletProcessError(ChaosError):
    """Raised when a tablet process exits with an error the plan did not cause (not a SIGKILL)."""
