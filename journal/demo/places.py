"""The demo's places: Region Syddanmark's hospitals and emergency departments with PPJ demo identifiers.

One list for both sides: the demo scenarios announce patients to these hospitals (by SOR code), and the
server's demo seed (``server.demo``) creates exactly these organisations, so the announcements land on the
seeded EDs' boards. Names are the real public organisations; the numbers are PPJ's demo namespace
(docs/demo-identifiers.md: SOR ids start with ``999``), never theirs.
"""

from __future__ import annotations

from dataclasses import dataclass


def demo_sor(number: int) -> str:
    """A SOR id in PPJ's demo namespace."""
    return f"999{number:012d}"


@dataclass(frozen=True)
class DemoHospital:
    name: str
    short: str  # how crews write it
    sor: str
    emergency_department: str
    emergency_department_sor: str


def _hospital(n: int, name: str, short: str, ed: str) -> DemoHospital:
    return DemoHospital(name, short, demo_sor(n), ed, demo_sor(n + 1))


# Numbered as the demo seed has always numbered them (hospital, then its ED), so seeded databases agree.
OUH = _hospital(2, "Odense Universitetshospital", "OUH", "Fælles Akutmodtagelse, OUH Odense")
SVENDBORG = _hospital(
    4, "Odense Universitetshospital, Svendborg Sygehus", "OUH Svendborg", "Fælles Akutmodtagelse, Svendborg"
)
KOLDING = _hospital(6, "Sygehus Lillebælt, Kolding", "SLB Kolding", "Fælles Akutmodtagelse, Kolding")
ESBJERG = _hospital(8, "Sydvestjysk Sygehus, Esbjerg", "SVS Esbjerg", "Fælles Akutmodtagelse, Esbjerg")
AABENRAA = _hospital(10, "Sygehus Sønderjylland, Aabenraa", "SHS Aabenraa", "Fælles Akutmodtagelse, Aabenraa")
HOSPITALS: tuple[DemoHospital, ...] = (OUH, SVENDBORG, KOLDING, ESBJERG, AABENRAA)
