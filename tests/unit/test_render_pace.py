"""The pace line under a status line, and a roadmap in one line, in Vietnamese and English."""

from decimal import Decimal
from fractions import Fraction

from i18n.pace_text import pace_text, projected_text, roadmap_text
from i18n.translations import translator
from kpi.indicators import NeededMode
from kpi.pace import Cadence, even_roadmap, pace

FLAT_25 = even_roadmap(Fraction(1, 4))


def test_a_unit_behind_reads_the_milestone_due_and_the_year_end_projection() -> None:
    result = pace(200, 1000, 6, FLAT_25, Decimal(25), NeededMode.ADD)

    assert pace_text(result, 2022, translator("vi")) == (
        "↳ chậm tiến độ (mốc tháng 6/2022: 25\u00a0%) · dự kiến cuối năm: 20,0\u00a0%"
        " (theo nhịp từ đầu năm)"
    )
    assert pace_text(result, 2022, translator("en")) == (
        "↳ behind pace (milestone June 2022: 25%) · year-end at this pace: 20.0%"
        " (at the pace since the start of the year)"
    )


def test_a_quarterly_milestone_is_named_by_its_quarter() -> None:
    roadmap = even_roadmap(Fraction(1, 4), cadence=Cadence.QUARTERLY)
    result = pace(300, 1000, 5, roadmap, Decimal(25), NeededMode.ADD)

    assert pace_text(result, 2022, translator("vi")) == (
        "↳ đúng tiến độ (mốc quý 1/2022: 25\u00a0%) · dự kiến cuối năm: 30,0\u00a0%"
        " (theo nhịp từ đầu năm)"
    )


def test_an_unreachable_target_says_so_instead_of_a_milestone() -> None:
    result = pace(199, 200, 2, even_roadmap(Fraction(1)), Decimal(100), NeededMode.ADD)

    assert pace_text(result, 2022, translator("vi")) == (
        "↳ không còn đạt được chỉ tiêu năm · dự kiến cuối năm: 99,5\u00a0% (theo nhịp từ đầu năm)"
    )


def test_no_data_gives_no_pace_line() -> None:
    assert (
        pace_text(
            pace(None, None, 5, FLAT_25, Decimal(25), NeededMode.ADD), 2022, translator("vi")
        )
        is None
    )


def test_a_projection_just_below_its_target_never_reads_equal_to_it() -> None:
    assert projected_text(Fraction(2499, 10_000), Fraction(1, 4), "vi") == "24,99\u00a0%"
    assert projected_text(Fraction(473, 1000), Fraction(1, 4), "vi") == "47,3\u00a0%"


def test_a_ramp_is_shown_by_its_quarter_ends() -> None:
    roadmap = even_roadmap(Fraction(4, 5), Fraction(1, 2), NeededMode.CONVERT)

    assert roadmap_text(roadmap, 2022, translator("vi")) == (
        "đều theo tháng: quý 1/2022: 57,5\u00a0% · quý 2/2022: 65\u00a0% · quý 3/2022: 72,5\u00a0%"
        " · quý 4/2022: 80\u00a0%"
    )
