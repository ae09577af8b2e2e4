"""Benchmark output: sections of aligned name/value rows, printed at the end of a run."""

from __future__ import annotations


class Report:
    def __init__(self) -> None:
        self._lines: list[tuple[str, str] | str] = []

    def section(self, title: str) -> None:
        self._lines.append(title)

    def row(self, name: str, value: str) -> None:
        self._lines.append((name, value))

    def line(self, text: str) -> None:
        """A line of its own (a table's row), indented like the rows."""
        self._lines.append((text, ""))

    def print(self) -> None:
        for line in self._lines:
            if isinstance(line, str):
                print(f"\n{line}")
            else:
                print(f"  {line[0]:<18} {line[1]}".rstrip())
