"""A tiny province, a few data elements and revisions, for the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kpi.elements import DataElement, ElementKind
from kpi.periods import Period
from kpi.revisions import Author, Revision, Source
from kpi.text import LocalText
from kpi.units import Level, Unit, UnitTree

T0 = datetime(2022, 3, 10, 2, 30, tzinfo=UTC)
ALICE = Author("tg:1001", "Nguyễn Thị Lan")
BOB = Author("cli:bob", "Trần Văn Bình")


def unit(code: str, level: Level, name: str, parent: str | None = None) -> Unit:
    return Unit(code, level, LocalText(vi=name, en=name), parent)


PROVINCE = unit("kon-tum", "province", "Tỉnh Kon Tum")
JUSTICE = unit("so-tu-phap", "department", "Sở Tư pháp", "kon-tum")
DAK_HA = unit("dak-ha", "district", "Huyện Đăk Hà", "kon-tum")
HA_MON = unit("dak-ha-ha-mon", "commune", "Xã Hà Mòn", "dak-ha")
DAK_MAR = unit("dak-ha-dak-mar", "commune", "Xã Đăk Mar", "dak-ha")
SA_THAY = unit("sa-thay", "district", "Huyện Sa Thầy", "kon-tum")
SA_BINH = unit("sa-thay-sa-binh", "commune", "Xã Sa Bình", "sa-thay")

UNITS = (PROVINCE, JUSTICE, DAK_HA, HA_MON, DAK_MAR, SA_THAY, SA_BINH)


def tree(*units: Unit) -> UnitTree:
    return UnitTree(units or UNITS)


def element(
    code: str, kind: ElementKind, *, rolls_up: bool = True, part_of: str | None = None
) -> DataElement:
    text = LocalText.same(code)
    return DataElement(
        code=code,
        kind=kind,
        name=text,
        short=text,
        measure=LocalText(vi="hồ sơ", en="dossiers"),
        levels=frozenset(("province", "department", "district", "commune")),
        rolls_up=rolls_up,
        part_of=part_of,
    )


RECEIVED = element("dossiers_received", ElementKind.FLOW)
ONLINE = element("dossiers_received_online", ElementKind.FLOW, part_of="dossiers_received")
TTHC_TOTAL = element("tthc_total", ElementKind.STOCK, rolls_up=False)
TTHC_ONLINE = element("tthc_online", ElementKind.STOCK)
E_CERT = element("e_cert_provided", ElementKind.FLAG)

ELEMENTS = {e.code: e for e in (RECEIVED, ONLINE, TTHC_TOTAL, TTHC_ONLINE, E_CERT)}

MARCH = Period.month(2022, 3)
Q1 = Period.quarter(2022, 1)


def revision(
    unit_code: str,
    element_code: str,
    period: Period,
    value: int,
    *,
    minutes: int = 0,
    author: Author = ALICE,
    source: Source = Source.CHAT,
    reason: str | None = None,
) -> Revision:
    return Revision(
        unit=unit_code,
        element=element_code,
        period=period,
        value=value,
        author=author,
        source=source,
        at=T0 + timedelta(minutes=minutes),
        reason=reason,
    )
