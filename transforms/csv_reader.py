"""One CSV reader for every export file: encodings, preambles, delimiters and header aliases.

LinkedIn's files are RFC 4180 CSV, but users hand us re-saves: a BOM, UTF-16 with tabs,
cp1252 or MacRoman from spreadsheets, CRLF, a preamble that became ``Notes:,,``. The reader
finds the header by name instead of by position, so columns that come and go between export
years are harmless.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass

import polars as pl

from transforms.errors import ExportFormatError

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# How far down a file the header may sit: Connections.csv has a three-line preamble.
_HEADER_SEARCH_LINES = 20


@dataclass(frozen=True)
class CsvTable:
    """A decoded export: all columns as strings, renamed to the caller's canonical names."""

    frame: pl.DataFrame
    encoding: str
    # A spreadsheet re-save (legacy encoding) is loaded but flagged: its dates may be rewritten.
    resaved: bool


def decode_export(data: bytes, source: str) -> tuple[str, str, bool]:
    """Return (text, encoding, resaved). UTF-8 is the native encoding of every export."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig", False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", False
        except UnicodeDecodeError as exc:
            raise ExportFormatError(source, f"has a UTF-16 mark but is not UTF-16 ({exc})") from exc
    if b"\x00" in data[:4096]:
        raise ExportFormatError(
            source,
            "contains NUL bytes: it is binary, or UTF-16 without a byte-order mark. "
            "Re-export it from LinkedIn or save it as UTF-8 CSV.",
        )
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    # Excel on macOS writes MacRoman, on Windows cp1252; both decode almost any byte, so the
    # one that reads more non-ASCII lower-case letters wins (names are mostly lower case:
    # MacRoman "J\xbfrgensen" is "Jørgensen", in cp1252 "J¿rgensen"). Ties go to cp1252.
    candidates = []
    for encoding in ("cp1252", "mac_roman"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((_lowercase_letters(text), encoding == "cp1252", text, encoding))
    _, _, text, encoding = max(candidates)
    return text, encoding, True


def _first_lines(text: str, count: int) -> list[str]:
    """The first ``count`` lines of ``text``, with their line ends."""
    lines: list[str] = []
    start = 0
    while len(lines) < count and start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        # A lone CR (old Mac line ends) splits lines too, as str.splitlines would.
        chunk = text[start:end]
        parts = chunk.splitlines(keepends=True)
        lines.extend(parts)
        start = end
    return lines[:count]


def _lowercase_letters(text: str) -> int:
    return sum(1 for c in _NON_ASCII.findall(text) if unicodedata.category(c) == "Ll")


def _normalize_header(name: str) -> str:
    return " ".join(name.strip().strip('"').replace("_", " ").lower().split())


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: counts[d])


class _NotUtf8(Exception):
    """The bytes tried as UTF-8 are not: the file is a legacy-encoding re-save."""


def _utf8_payload(data: bytes) -> tuple[bytes, str] | None:
    """The bytes to hand to Polars as they are, when the file looks like UTF-8 (a BOM or none).
    UTF-16, and NUL bytes that decode_export must refuse, take the decoding path."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:], "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        return None
    return data, "utf-8"


def read_export_csv(
    data: bytes,
    *,
    source: str,
    columns: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> CsvTable:
    """Parse ``data`` into a frame whose columns are the keys of ``columns``.

    ``columns`` maps each canonical name to its accepted header aliases (case, spaces and
    underscores ignored). Columns absent from the file come back as all-null; a missing
    ``required`` column is an error naming what was found.
    """
    # Not data.strip(): it would copy the whole file to look at its first bytes.
    if not data or data.isspace():
        raise ExportFormatError(source, "is empty")
    # Every export is UTF-8: its bytes go to Polars untouched, which checks them as it reads.
    # Decoding to a Python string and encoding it back cost more than the read itself
    # (0.75 s for a million-row follower list, against 0.35 s for Polars).
    utf8 = _utf8_payload(data)
    if utf8 is not None:
        try:
            return _read_utf8(
                *utf8, resaved=False, source=source, columns=columns, required=required
            )
        except _NotUtf8:
            pass
        except ExportFormatError:
            # Said of the first lines only: if the rest is not UTF-8, the file is read as the
            # legacy encoding it is, and its complaint is about that text.
            if _is_utf8(utf8[0]):
                raise
    text, encoding, resaved = decode_export(data, source)
    return _read_utf8(
        text.encode("utf-8"),
        encoding,
        resaved=resaved,
        source=source,
        columns=columns,
        required=required,
    )


def _head(payload: bytes, count: int) -> str:
    """The text of the first ``count`` newline-ended chunks of ``payload``: enough for
    ``_first_lines(..., count)``, since each chunk is one line or more."""
    end = 0
    for _ in range(count):
        end = payload.find(b"\n", end) + 1
        if end == 0:
            end = len(payload)
            break
    try:
        return payload[:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _NotUtf8 from exc


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked in Polars: 0.03 s for 80 MB, where decoding to
    a Python string takes 0.2 s."""
    if data.isascii():
        return True
    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
        return False
    return True


def _body_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _NotUtf8 from exc


def _read_utf8(
    payload: bytes,
    encoding: str,
    *,
    resaved: bool,
    source: str,
    columns: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> CsvTable:
    """``read_export_csv`` of bytes that should be UTF-8; raises _NotUtf8 where they are not."""
    # Only the first lines are looked at one by one: splitting a million-row file into Python
    # strings would cost more than Polars takes to read it.
    lines = _first_lines(_head(payload, _HEADER_SEARCH_LINES), _HEADER_SEARCH_LINES)
    aliases = {_normalize_header(a): name for name, names in columns.items() for a in names}

    header_index = None
    for index, line in enumerate(lines[:_HEADER_SEARCH_LINES]):
        delimiter = _sniff_delimiter(line)
        cells = next(csv.reader([line], delimiter=delimiter), [])
        found = {aliases.get(_normalize_header(c)) for c in cells}
        if all(name in found for name in required):
            header_index = index
            break
    if header_index is None:
        first = lines[0].strip()[:120] if lines else ""
        raise ExportFormatError(
            source,
            f"no header with the columns {', '.join(required)} in its first "
            f"{_HEADER_SEARCH_LINES} lines (first line: {first!r})",
        )

    # Polars would rename a repeated column and one of the two would be silently lost.
    seen: set[str] = set()
    for cell in (c for c in cells if c.strip()):
        if cell in seen:
            raise ExportFormatError(
                source,
                f"has the column {cell!r} twice in its header; a spreadsheet edit probably "
                "copied it: delete one and save again",
            )
        seen.add(cell)
    body = payload[sum(len(line.encode("utf-8")) for line in lines[:header_index]) :]
    # The first 4 KiB were looked at before; binary data anywhere else refuses the file too,
    # or it would be stored ("Engi\0neer"). One memchr over the bytes: no cost worth naming.
    nul = body.find(b"\x00")
    if nul >= 0:
        raise ExportFormatError(
            source,
            "contains binary data (a NUL byte): an export is text from end to end; it was "
            "damaged or edited by a program. Re-export it from LinkedIn",
            row=max(body.count(b"\n", 0, nul), 1),
        )
    # Only the columns asked for are kept (a message's text is never even held), and the last
    # one, where a short row shows as a null.
    wanted = {i for i, c in enumerate(cells) if aliases.get(_normalize_header(c))}
    keep = sorted(wanted | {len(cells) - 1}) if cells else None
    frame = _read_body(body, delimiter, source, keep)
    if keep is not None and [_normalize_header(c) for c in frame.columns] != [
        _normalize_header(cells[i]) for i in keep
    ]:
        # Polars split the header otherwise than the csv module: positions cannot be trusted.
        keep = None
        frame = _read_body(body, delimiter, source, keep)
    # Polars checks the text of the columns it keeps; a legacy encoding elsewhere (in a
    # message's text) must still make the file read, and flagged, as the re-save it is.
    if keep is not None and len(keep) < len(cells) and not _is_utf8(body):
        raise _NotUtf8
    # Polars pads a row with too few fields with nulls; only then can the last column have
    # nulls where a field is missing, so only then is the slower row-by-row scan worth it.
    if frame.width and frame[frame.columns[-1]].null_count():
        every_column = frame if keep is None else _read_body(body, delimiter, source, None)
        if _may_have_short_rows(every_column, body, delimiter):
            ragged = _find_ragged_row(_body_text(body), delimiter, source, strict=False)
            if ragged is not None:
                raise ragged

    rename: dict[str, str] = {}
    for original in frame.columns:
        name = aliases.get(_normalize_header(original))
        if name is not None and name not in rename.values():
            rename[original] = name
    frame = frame.select([pl.col(o).alias(n) for o, n in rename.items()])
    missing = [n for n in columns if n not in frame.columns]
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(n) for n in missing)
    frame = frame.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row_number"),
        *[pl.col(n).str.strip_chars().replace("", None).alias(n) for n in columns],
    )
    return CsvTable(frame=frame, encoding=encoding, resaved=resaved)


def _read_body(body: bytes, delimiter: str, source: str, keep: list[int] | None) -> pl.DataFrame:
    try:
        return pl.read_csv(
            body,
            columns=keep,
            separator=delimiter,
            infer_schema=False,
            quote_char='"',
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise _locate_csv_error(_body_text(body), delimiter, source) from exc


def _may_have_short_rows(frame: pl.DataFrame, body: bytes, delimiter: str) -> bool:
    """Whether some row of ``body`` has fewer fields than the header, counted in Polars.

    Every delimiter of the body either separates two fields or sits inside a quoted value, so
    a file without short rows has exactly (fields - 1) per row plus those inside values. The
    Python scan that names the short row costs seconds per million rows (4.3 s for a follower
    list whose last column is often empty); this count costs a tenth of a second. A blank line
    also counts as short here: the scan then runs and, as before, lets it pass.
    """
    inside = frame.select(
        pl.sum_horizontal(
            pl.col(c).str.count_matches(delimiter, literal=True).sum() for c in frame.columns
        )
    ).item()
    inside += sum(name.count(delimiter) for name in frame.columns)
    separators = (frame.width - 1) * (frame.height + 1)
    return body.count(delimiter.encode("utf-8")) != separators + inside


def _find_ragged_row(
    body: str, delimiter: str, source: str, *, strict: bool = True
) -> ExportFormatError | None:
    """The first row whose field count differs from the header's, or (``strict``) broken
    quoting, named by its row number. Field values are never quoted back: they may be message
    text. Without ``strict`` quoting Polars accepted is not second-guessed."""
    reader = csv.reader(io.StringIO(body), delimiter=delimiter, strict=strict)
    row_number = 0
    try:
        header = next(reader)
        for row_number, row in enumerate(reader, start=1):
            if row and len(row) != len(header):
                return ExportFormatError(
                    source,
                    f"has {len(row)} fields where the header has {len(header)}; a field was "
                    "added or lost, or a value with a comma lost its quotes",
                    row=row_number,
                )
    except csv.Error as csv_exc:
        return ExportFormatError(
            source,
            f"is not valid CSV: its quoting is broken ({csv_exc}); a quote was opened and never "
            "closed, or a stray quote sits inside a field",
            row=row_number + 1,
        )
    return None


def _locate_csv_error(body: str, delimiter: str, source: str) -> ExportFormatError:
    """Polars says a row is malformed but not which one; the csv module finds it for people."""
    found = _find_ragged_row(body, delimiter, source)
    if found is not None:
        return found
    return ExportFormatError(
        source, "is not valid CSV: the CSV reader could not split it into rows and fields"
    )
