"""Assemble text from blocks under a size limit without cutting a line or unbalancing Markdown.

A block has a head, items and a tail (e.g. `<details>` + fence … fence + `</details>`). Items are
never split; when the next item does not fit, the block's tail is still written, every later
block is left out, and one note counts what was omitted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Measure = Callable[[str], int]


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Block:
    head: Sequence[str] = ()
    items: Sequence[Sequence[str]] = ()
    tail: Sequence[str] = ()
    unit: str = "line"  # what one item is, for the truncation note ("finding", "diff line")
    plural: str = ""

    def units(self, count: int) -> str:
        return f"{count} {self.unit if count == 1 else (self.plural or self.unit + 's')}"


@dataclass
class _Assembly:
    limit: int
    measure: Measure
    reserve: int
    lines: list[str] = field(default_factory=list)
    used: int = 0

    def cost(self, lines: Sequence[str]) -> int:
        return sum(self.measure(line) + 1 for line in lines)  # + 1: the newline

    def fits(self, lines: Sequence[str], then: Sequence[str] = ()) -> bool:
        return self.used + self.cost(lines) + self.cost(then) + self.reserve <= self.limit

    def add(self, lines: Sequence[str]) -> None:
        self.lines.extend(lines)
        self.used += self.cost(lines)


def assemble(
    blocks: Sequence[Block],
    limit: int,
    note: Callable[[str], Sequence[str]],
    measure: Measure = len,
) -> str:
    """Join the blocks' lines, at most `limit` long (by `measure`), including the note.

    `note(omitted)` gets e.g. "12 findings and 300 diff lines" and returns the note's lines.
    """
    worst_case = note("999999999 findings and 999999999 diff lines")
    assembly = _Assembly(limit, measure, reserve=0)
    assembly.reserve = assembly.cost(worst_case)
    omitted: Counter[tuple[str, str]] = Counter()
    stopped = False
    for block in blocks:
        key = (block.unit, block.plural)
        if stopped or not assembly.fits(block.head, block.tail):
            stopped = True
            omitted[key] += len(block.items)
            continue
        assembly.add(block.head)
        for position, item in enumerate(block.items):
            if not assembly.fits(item, block.tail):
                stopped = True
                omitted[key] += len(block.items) - position
                break
            assembly.add(item)
        assembly.add(block.tail)
    if stopped:
        counts = [Block(unit=u, plural=p).units(n) for (u, p), n in omitted.items() if n]
        assembly.reserve = 0
        assembly.add(note(" and ".join(counts) or "some content"))
    return "\n".join(assembly.lines) + "\n"
