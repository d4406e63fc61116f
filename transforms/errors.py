"""The one error type the parsers raise: it says what a person needs to fix an export."""

from __future__ import annotations


class ExportFormatError(ValueError):
    """An export file that cannot be loaded as it is.

    ``source`` names the file (and the member inside a zip, as ``item.zip!Connections.csv``),
    ``row`` the 1-based data row after the header where it is known.
    """

    def __init__(self, source: str, problem: str, row: int | None = None) -> None:
        self.source = source
        self.problem = problem
        self.row = row
        where = f"{source}, row {row}" if row is not None else source
        super().__init__(f"{where}: {problem}")
