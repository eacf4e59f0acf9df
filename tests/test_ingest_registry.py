"""Registration of sites, wards, councils, care homes and providers, and the reference folder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.notices import NoticeSink
from ingest.registry import (
    ensure_care_homes,
    ensure_councils,
    ensure_providers,
    ensure_sites,
    ensure_wards,
    load_reference_dir,
)
from models import CareHome, Council, HomeCareProvider, Site, Ward


def _reference(tmp_path: Path) -> Path:
    ref = tmp_path / "reference"
    ref.mkdir(exist_ok=True)
    (ref / "sites.csv").write_text(
        "site_code,site_name,trust_code,trust_name,kind\n"
        "RXA01,Riverside General,RXA,Riverside Trust,acute\n"
        "RXA02,Hillview Community Hospital,RXA,Riverside Trust,community\n",
        encoding="utf-8",
    )
    (ref / "councils.csv").write_text(
        "local_authority_code,name\nE06000015,Derby\n", encoding="utf-8"
    )
    return ref


def test_new_site_is_registered_once_with_a_notice(session: Session) -> None:
    sink = NoticeSink()
    assert ensure_sites(session, ["RXA01", "RXA01"], None, sink) == {"RXA01": "acute"}
    assert ensure_sites(session, ["RXA01"], None, sink) == {"RXA01": "acute"}
    session.commit()
    assert [n.message for n in sink.items] == [
        "new site RXA01 registered (acute, named 'RXA01') — load the reference sites file "
        "to give it its name and kind"
    ]
    site = session.get(Site, "RXA01")
    assert site is not None and (site.name, site.trust_code) == ("RXA01", "RXA")


def test_ward_from_patients_feed_takes_site_kind_then_beds_feed_names_it(
    session: Session, tmp_path: Path
) -> None:
    load_reference_dir(session, _reference(tmp_path))
    sink = NoticeSink()
    ids = ensure_wards(
        session, [("RXA01", "W12", None, None), ("RXA02", "OAK", None, None)], 7, sink
    )
    assert set(ids) == {("RXA01", "W12"), ("RXA02", "OAK")}
    assert sink.messages() == [
        "new ward RXA01/W12 'W12' registered (general_acute)",
        "new ward RXA02/OAK 'OAK' registered (community)",
    ]
    sink = NoticeSink()
    again = ensure_wards(session, [("RXA01", "W12", "Ward 12", "general_acute")], 8, sink)
    assert again == {("RXA01", "W12"): ids[("RXA01", "W12")]}
    assert sink.messages() == ["ward RXA01/W12 updated: ward name 'W12' → 'Ward 12'"]
    # the patients feed saying nothing about the name leaves it alone
    sink = NoticeSink()
    ensure_wards(session, [("RXA01", "W12", None, None)], 9, sink)
    assert sink.items == []
    session.commit()
    ward = session.scalars(select(Ward).where(Ward.ward_code == "W12")).one()
    assert (ward.ward_name, ward.bed_base) == ("Ward 12", "general_acute")


def test_reference_dir_upserts_and_moves_placeholder_wards_of_community_sites(
    session: Session, tmp_path: Path
) -> None:
    sink = NoticeSink()
    ensure_wards(session, [("RXA02", "OAK", None, None)], None, sink)
    assert sink.messages()[-1] == "new ward RXA02/OAK 'OAK' registered (general_acute)"
    counts = load_reference_dir(session, _reference(tmp_path))
    assert counts == {"sites": 2, "councils": 1}
    load_reference_dir(session, _reference(tmp_path))  # twice is harmless
    session.commit()
    sites = {s.site_code: (s.name, s.kind) for s in session.scalars(select(Site))}
    assert sites == {
        "RXA01": ("Riverside General", "acute"),
        "RXA02": ("Hillview Community Hospital", "community"),
    }
    assert session.scalars(select(Ward.bed_base)).one() == "community"
    assert session.scalars(select(Council.name)).one() == "Derby"


def test_care_homes_providers_and_councils(session: Session) -> None:
    sink = NoticeSink()
    new = ensure_care_homes(session, [("1-101", "Oak Lodge", "E06000015")], 1, sink)
    assert new == {"1-101"}
    assert ensure_councils(session, ["E06000015", "E10000007"], 1, sink) == {"E10000007"}
    assert ensure_providers(session, [("P1", "Caring Hands")], 1, sink) == {"P1"}
    ensure_care_homes(session, [("1-101", "Oak Lodge Nursing", "E06000015")], 2, sink)
    ensure_providers(session, [("P1", "Caring Hands Ltd")], 2, sink)
    session.commit()
    assert sink.messages() == [
        "new council E06000015 registered (named 'E06000015') — load the reference councils "
        "file to give it its name",
        "new care home 1-101 'Oak Lodge' registered (council E06000015)",
        "new council E10000007 registered (named 'E10000007') — load the reference councils "
        "file to give it its name",
        "new home-care provider P1 'Caring Hands' registered",
        "care home 1-101 updated: now 'Oak Lodge Nursing' (council E06000015)",
        "home-care provider P1 renamed 'Caring Hands Ltd'",
    ]
    assert session.scalars(select(CareHome.home_name)).one() == "Oak Lodge Nursing"
    assert session.scalars(select(HomeCareProvider.provider_name)).one() == "Caring Hands Ltd"


def test_new_ward_at_one_site_and_known_ward_at_another(session: Session) -> None:
    """Regression: registering a ward at site B must not forget the known wards of site A."""
    sink = NoticeSink()
    ensure_sites(session, ["RXA01", "RXB01"], 1, sink)
    first = ensure_wards(session, [("RXA01", "A1", "Ward A1", "general_acute")], 1, sink)
    both = ensure_wards(
        session,
        [("RXA01", "A1", None, None), ("RXB01", "B1", None, None)],
        1,
        sink,
    )
    assert both[("RXA01", "A1")] == first[("RXA01", "A1")]
    assert ("RXB01", "B1") in both
    assert session.scalar(select(Ward.ward_name).where(Ward.ward_code == "B1")) == "B1"
