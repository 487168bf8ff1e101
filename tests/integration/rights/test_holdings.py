"""The map of personal data covers every table; deadlines; the redaction rule."""

from __future__ import annotations

from datetime import date

from attunely.db import Base
from attunely.models import load_all
from attunely.rights.holdings import HOLDINGS, NO_PERSONAL_DATA, covered_tables
from attunely.rights.inventory import name_pattern, replacer
from attunely.rights.service import due_date


def test_every_table_is_walked_or_declared_free_of_personal_data() -> None:
    load_all()
    tables = set(Base.metadata.tables)
    covered, declared = covered_tables(), set(NO_PERSONAL_DATA)
    assert not covered & declared, "a table cannot be both walked and declared free"
    forgotten = sorted(tables - covered - declared)
    assert forgotten == [], (
        f"tables {forgotten} are neither walked by rights.holdings.HOLDINGS nor declared in "
        "NO_PERSONAL_DATA (with the reason they hold nothing about people in cases)"
    )
    assert sorted((covered | declared) - tables) == [], "holdings name tables that do not exist"
    assert all(reason.strip() for reason in NO_PERSONAL_DATA.values())


def test_each_link_names_real_columns_and_a_parent_walked_before_it() -> None:
    load_all()
    seen = {HOLDINGS[0].table}
    for each in HOLDINGS[1:]:
        table = Base.metadata.tables[each.table]
        assert each.links, f"{each.table} is not reachable from the case"
        for link in each.links:
            assert link.parent in seen, f"{each.table} walks from {link.parent} before it"
            assert link.column in table.c
            assert link.parent_column in Base.metadata.tables[link.parent].c
        for column in (*each.names, *each.notes, *each.words, *each.clear, *each.secret):
            assert column in table.c, f"{each.table}.{column}"
        seen.add(each.table)


def test_deadline_is_one_calendar_month_moved_off_weekends() -> None:
    assert due_date(date(2026, 3, 10)) == date(2026, 4, 10)  # a Friday
    assert due_date(date(2026, 1, 31)) == date(2026, 3, 2)  # no 31 Feb; 28 Feb is a Saturday
    assert due_date(date(2026, 1, 30)) == date(2026, 3, 2)  # 28 Feb (Sat) → Monday 2 March
    assert due_date(date(2026, 12, 15)) == date(2027, 1, 15)
    assert due_date(date(2026, 10, 4)) == date(2026, 11, 4)


def test_other_names_are_redacted_word_by_word_but_not_the_shared_surname() -> None:
    pattern = name_pattern(["Ava Smith"], keep=["Jo Smith"])
    redact = replacer(pattern, ["0d4049c5-46f5-4b5a-a34c-77155630bdbc"], "[x]")
    assert redact("ava laughed with Jo Smith") == "[x] laughed with Jo Smith"
    assert redact("Ava Smith, Avalon") == "[x], Avalon"
    assert redact("id 0d4049c5-46f5-4b5a-a34c-77155630bdbc") == "id [x]"
    # Numeric keys are never taken for ids.
    assert replacer(None, ["5"], "[x]")("frame 5") == "frame 5"
