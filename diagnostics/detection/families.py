"""Signal families (SPEC §7): one fault, one family, led by the most specific cell that explains it.

A faulty lot's failures are also its firmware version's and its model's: the three cells may alarm
on the same failures. Within a model × component, narrower cells *explain* a broader cell that
contains them (a lot its firmware version; lots and firmware versions the model cell) when, their
failures and their share of the expected (by units) set aside, less than half of the broader cell's
excess is left. The broader cell then joins the family of the one narrower cell that explains it;
when no single narrower cell does but several together do (a firmware fault seen in several of its
lots, a supplier change seen in lot after lot), the broader cell leads and they join it. A broader
cell with no excess (the scan leaves flagged cells' units out of it) joins the narrower cell with the
most failures. Families are flat: each member points at its leader.

Pure: cells in, leaders out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from diagnostics.detection.engine import CellKey

EXPLAINS = 0.5  # the share of a broader cell's excess a narrower cell must account for


@dataclass(frozen=True)
class FamilyCell:
    key: CellKey  # (kind, model, lot, firmware, component)
    observed: float
    expected: float
    units: int

    @property
    def excess(self) -> float:
        return self.observed - self.expected


def _left_over(broad: FamilyCell, narrow: list[FamilyCell]) -> float:
    """The broader cell's excess once the narrower cells' failures and their share of its expected are out."""
    units = sum(cell.units for cell in narrow)
    share = min(units / broad.units, 1.0) if broad.units > 0 else 1.0
    return (broad.observed - sum(cell.observed for cell in narrow)) - broad.expected * (1.0 - share)


def cell_key_text(key: CellKey) -> str:
    """A cell's key as text, as ``--json`` and the API show it: ``lot:PHN-1:L07:battery``."""
    kind, model, lot, firmware, component = key
    where = lot if kind == "lot" else firmware if kind == "firmware" else None
    return ":".join(part for part in (kind, model, where, component) if part is not None)


def leaders(cells: Iterable[FamilyCell], lot_firmware: Mapping[tuple[str, str], str]) -> dict[CellKey, CellKey]:
    """Each cell's family leader (its own key for a leader).

    ``lot_firmware`` names the firmware version most of a lot's units carry, by (model, lot).
    """
    groups: dict[tuple[str, str], list[FamilyCell]] = {}
    for cell in cells:
        groups.setdefault((cell.key[1], cell.key[4]), []).append(cell)
    leader: dict[CellKey, CellKey] = {}
    for (model, _component), members in groups.items():
        for cell in members:
            leader[cell.key] = cell.key
        lots = [c for c in members if c.key[0] == "lot"]
        for broad in [c for c in members if c.key[0] == "firmware"]:
            inside = [c for c in lots if lot_firmware.get((model, c.key[2] or "")) == broad.key[3]]
            _join(broad, inside, leader)
        for broad in [c for c in members if c.key[0] == "model"]:
            inside = [c for c in members if c.key[0] in ("lot", "firmware") and leader[c.key] == c.key]
            _join(broad, inside, leader)
    return leader


def _join(broad: FamilyCell, inside: list[FamilyCell], leader: dict[CellKey, CellKey]) -> None:
    """``broad`` joins the family of the narrower cell that explains it, or leads the narrower ones."""
    if not inside:
        return
    best = max(inside, key=lambda c: (c.observed, c.key[0] == "lot"))
    if broad.excess <= 0 or _left_over(broad, [best]) < EXPLAINS * broad.excess:
        leader[broad.key] = leader[best.key]
        return
    if len(inside) < 2 or _left_over(broad, inside) >= EXPLAINS * broad.excess:
        return  # the narrower cells do not account for it: a fault of its own
    for cell in inside:
        own = leader[cell.key]
        for key, lead in list(leader.items()):
            if lead == own:
                leader[key] = broad.key
