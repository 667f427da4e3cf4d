"""Replication between tablets and the server (ARCHITECTURE §4).

Modules:

* ``protocol``        the versioned wire models of push, pull and access, with reason codes and size limits.
* ``journal_adapter`` the one place that knows how a journal entry looks (envelope, HLC, content hash).
* ``crypto``          authenticated encryption of stored rows and the per-user wrapping of the data key.
* ``store``           the tablet's SQLite store: entries, the durable upload queue, cursors, drafts
                      (``StoreDrafts`` serves them through the tablet's ``DraftStore`` protocol).
* ``store_schema``    its forward-only numbered migrations.
* ``backoff``         exponential backoff with full jitter.
* ``clock_offset``    NTP-style estimate of the device's clock offset from the server.
* ``client``          the sync client over ``httpx2`` (push, pull, access), one cycle at a time.
* ``worker``          runs the client in a background thread so capture never waits for the network.
* ``errors``          the exception hierarchy.

Framework-free: no FastAPI, no Kivy (tests/test_package_boundaries.py).
"""
