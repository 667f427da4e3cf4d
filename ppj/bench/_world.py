"""The organisations every server benchmark starts from: one demo region with one ambulance unit.

Not a benchmark itself (``register_all`` imports it like the others; it registers nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from server.orgs.models import Organisation


def bench_region_and_unit(*, session: Session) -> tuple[Organisation, Organisation]:
    """Create the region "Bench region" and its ambulance "BENCH-1" (demo SOR/GLN identifiers)."""
    from journal.demo.places import demo_sor
    from server.demo import demo_gln
    from server.orgs.models import OrgKind, UnitType
    from server.orgs.service import create_organisation

    region = create_organisation(
        session=session, kind=OrgKind.region, name="Bench region", sor_id=demo_sor(1)
    )
    unit = create_organisation(
        session=session,
        kind=OrgKind.unit,
        name="Bench ambulance",
        parent_id=region.id,
        sor_id=demo_sor(2),
        gln=demo_gln(2),
        call_sign="BENCH-1",
        unit_type=UnitType.ambulance,
    )
    return region, unit
