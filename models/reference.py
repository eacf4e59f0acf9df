"""Reference data: sites, wards, councils, care homes, home-care providers, delay reasons, and
the organisations they roll up to (trusts and councils to a system and region, by date)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

REVISION_0011 = {"revision": "0011_internal_delays"}  # columns added after 0001

BED_BASES = ("general_acute", "critical_care", "community")
AGENCIES = ("nhs", "social_care", "both")


class Site(Base):
    """A hospital site (ODS site code), acute or community."""

    __tablename__ = "sites"

    site_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trust_code: Mapped[str] = mapped_column(String(8))
    trust_name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="acute")  # acute | community


class Ward(Base):
    """A ward; registered the first time a feed names it."""

    __tablename__ = "wards"
    __table_args__ = (
        UniqueConstraint("site_code", "ward_code"),
        CheckConstraint(
            "bed_base IN ('general_acute','critical_care','community')", name="bed_base"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.site_code"), index=True)
    ward_code: Mapped[str] = mapped_column(String(32))
    ward_name: Mapped[str] = mapped_column(String(200))
    bed_base: Mapped[str] = mapped_column(String(16))


class Council(Base):
    """A local authority with social care responsibility (ONS code such as E06000015)."""

    __tablename__ = "councils"

    local_authority_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class CareHome(Base):
    """A care home (CQC location)."""

    __tablename__ = "care_homes"

    cqc_location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    home_name: Mapped[str] = mapped_column(String(200))
    local_authority_code: Mapped[str] = mapped_column(String(9), index=True)


class HomeCareProvider(Base):
    """A home-care (domiciliary) provider."""

    __tablename__ = "home_care_providers"

    provider_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider_name: Mapped[str] = mapped_column(String(200))


class DelayReason(Base):
    """One code of the versioned reason catalogue (DESIGN.md §5)."""

    __tablename__ = "delay_reasons"
    __table_args__ = (
        CheckConstraint("default_agency IN ('nhs','social_care','both')", name="agency"),
        Index("ix_delay_reasons_dtoc_code", "dtoc_code"),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    dtoc_code: Mapped[str] = mapped_column(String(4))
    default_agency: Mapped[str] = mapped_column(String(12))
    # within the hospital's own control (§5), and why (made by the internal-delays revision)
    internal: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), default=False, info=REVISION_0011
    )
    internal_why: Mapped[str | None] = mapped_column(String(200), info=REVISION_0011)
    catalogue_version: Mapped[str] = mapped_column(String(16))


ORGANISATION_KINDS = ("trust", "council")


class OrganisationMapping(Base):
    """Which system (ICB) and region a trust or council belongs to from ``effective_from``
    (reference ``organisations.csv``): the row in force on a day is the latest that starts on
    or before it, so a return for a past period uses the mapping of that period."""

    __tablename__ = "organisation_mappings"
    __table_args__ = (
        CheckConstraint("org_kind IN ('trust','council')", name="org_kind"),
        {"info": {"revision": "0006_organisations"}},
    )

    org_code: Mapped[str] = mapped_column(String(12), primary_key=True)  # ODS or ONS code
    effective_from: Mapped[date] = mapped_column(primary_key=True)
    org_kind: Mapped[str] = mapped_column(String(8))
    icb_code: Mapped[str] = mapped_column(String(12))
    icb_name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(12))
    region_name: Mapped[str] = mapped_column(String(200))
