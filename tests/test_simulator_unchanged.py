"""The live simulator writes no capacity file identical (time stamp aside) to the last one it
wrote for that feed, but at least one every 30 minutes; the census is always written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sample_data import generator
from sample_data.clock import to_epoch
from tests.test_generator import END, HISTORY


class StillWorld:
    """A world whose feeds say what the test tells them."""

    def __init__(self) -> None:
        self.now = to_epoch(END)
        self.rows: dict[str, list[str]] = {
            feed: ["1"] for feed in ("beds", "care_homes", "domiciliary", "patients")
        }

    def advance(self, t: int) -> None:
        self.now = t


@pytest.fixture
def simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, StillWorld]]:
    world = StillWorld()

    def rows(feed: str) -> Any:
        def build(_world: Any, t: int) -> Iterator[list[str]]:
            yield [str(t), *world.rows[feed]]  # the time stamp first, as the real rows

        return build

    monkeypatch.setattr(generator, "ROWS", {feed: rows(feed) for feed in world.rows})
    yield generator.LiveSimulator(world, HISTORY, to_epoch(END)), world  # type: ignore[arg-type]


def _feeds(paths: list[Path]) -> list[str]:
    return [path.parent.name for path in paths]


def test_an_unchanged_capacity_file_is_not_written_again(
    simulator: tuple[Any, StillWorld], tmp_path: Path
) -> None:
    live, world = simulator
    minute = 60
    first = live.tick(generator.to_utc(to_epoch(END) + minute), tmp_path)
    assert _feeds(first) == ["beds", "care_homes", "domiciliary", "patients"]
    # a minute later nothing changed but the time: only the census
    assert _feeds(live.tick(generator.to_utc(to_epoch(END) + 2 * minute), tmp_path)) == ["patients"]
    # the care homes change: their file, and still not the others
    world.rows["care_homes"] = ["2"]
    assert _feeds(live.tick(generator.to_utc(to_epoch(END) + 3 * minute), tmp_path)) == [
        "care_homes",
        "patients",
    ]
    # 30 minutes after the last file of beds and home care, they are written though unchanged
    assert _feeds(live.tick(generator.to_utc(to_epoch(END) + 31 * minute), tmp_path)) == [
        "beds",
        "domiciliary",
        "patients",
    ]
    files = sorted(p.parent.name for p in tmp_path.rglob("*.csv"))
    assert files.count("care_homes") == 2 and files.count("beds") == 2
    assert files.count("patients") == 4
