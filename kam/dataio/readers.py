"""Reading import files: CSV in UTF-8 (with or without BOM) or GBK/GB18030 as Chinese
Excel writes it, and XLSX. Yields the header and the rows with their line numbers as a
spreadsheet shows them (the header is row 1)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

csv.field_size_limit(10 * 1024 * 1024)

ENCODINGS = ("utf-8", "gb18030")
ENCODING_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "utf8": "utf-8", "utf-8-sig": "utf-8"}


class FileProblem(ValueError):
    """The file as a whole cannot be read: wrong encoding, not a table, no header."""


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str
    size_hint: int  # bytes for CSV, rows for XLSX: enough for a progress bar


def open_table(path: Path, *, encoding: str | None = None) -> Table:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _open_xlsx(path)
    if suffix in {".csv", ".txt", ".tsv"}:
        return _open_csv(path, encoding=encoding)
    raise FileProblem(f"unsupported file type '{suffix}' (expected .csv or .xlsx)")


def _open_csv(path: Path, *, encoding: str | None) -> Table:
    raw = path.open("rb")
    chosen = detect_encoding(raw, encoding)
    raw.seek(0)
    if chosen == "utf-8" and raw.read(3) != codecs.BOM_UTF8:
        raw.seek(0)
    text = io.TextIOWrapper(raw, encoding=chosen, newline="", errors="strict")
    try:
        sample = text.read(64 * 1024)
    except UnicodeDecodeError as exc:
        raise FileProblem(_encoding_message(chosen, exc)) from None
    dialect = _sniff(sample)
    text.seek(0)
    if chosen == "utf-8" and text.read(1) != "\ufeff":
        text.seek(0)
    reader = csv.reader(text, dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblem("the file is empty (expected a header row)") from None
    except UnicodeDecodeError as exc:
        raise FileProblem(_encoding_message(chosen, exc)) from None
    return Table(
        header=[h.strip().lstrip("\ufeff") for h in header],
        rows=_csv_rows(reader, chosen),
        encoding=chosen,
        size_hint=path.stat().st_size,
    )


def _csv_rows(reader: Any, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    try:
        for values in reader:
            if any(v.strip() for v in values):
                yield reader.line_num, values
    except UnicodeDecodeError as exc:
        raise FileProblem(_encoding_message(encoding, exc)) from None
    except csv.Error as exc:
        raise FileProblem(f"line {reader.line_num}: not a valid CSV row ({exc})") from None


def _sniff(sample: str) -> type[csv.Dialect] | csv.Dialect:
    first_line = sample.split("\n", 1)[0]
    if "\t" in first_line and "," not in first_line:
        return csv.excel_tab
    if ";" in first_line and "," not in first_line:

        class Semicolon(csv.excel):
            delimiter = ";"

        return Semicolon
    return csv.excel


def detect_encoding(raw: BinaryIO, requested: str | None) -> str:
    """The encoding to read with: the one asked for, else UTF-8, else GB18030.

    GB18030 is a superset of GBK and GB2312, which is what Chinese Excel writes.
    A file that is neither is refused with the first byte that does not fit.
    """
    head = raw.read(65536)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileProblem(
            "the file is UTF-16 text (expected UTF-8 or GBK/GB18030; in Excel, save as 'CSV UTF-8')"
        )
    if b"\x00" in head:
        raise FileProblem("the file is not text (expected a CSV file in UTF-8 or GBK/GB18030)")
    candidates: tuple[str, ...]
    if requested:
        name = requested.strip().lower()
        name = ENCODING_ALIASES.get(name, name)
        try:
            codecs.lookup(name)
        except LookupError:
            raise FileProblem(f"unknown encoding '{requested}' (expected utf-8 or gbk)") from None
        candidates = (name,)
    else:
        candidates = ENCODINGS
    failures: list[tuple[int, bytes]] = []
    for name in candidates:
        raw.seek(0)
        failure = _first_bad_byte(raw, name)
        if failure is None:
            return name
        failures.append(failure)
    position, sample = failures[0]  # where it stops being UTF-8 helps most
    line = _line_of(raw, position)
    expected = candidates[0] if requested else "UTF-8 or GBK/GB18030 text"
    raise FileProblem(
        f"cannot be decoded on line {line}, at byte {position + 1} "
        f"(got {sample!r}, expected {expected}); "
        "if the file comes from another program, save it as 'CSV UTF-8' "
        "or pass the right --encoding"
    )


def _line_of(raw: BinaryIO, position: int) -> int:
    raw.seek(0)
    lines = 1
    remaining = position
    while remaining > 0:
        chunk = raw.read(min(remaining, 1 << 20))
        if not chunk:
            break
        lines += chunk.count(b"\n")
        remaining -= len(chunk)
    return lines


def _first_bad_byte(raw: BinaryIO, encoding: str) -> tuple[int, bytes] | None:
    """Decode the stream in chunks, in bounded memory; where it first fails, if it does."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    while True:
        chunk = raw.read(1 << 20)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            start = max(exc.start, 0)
            buffered = len(exc.object) - len(chunk)
            position = offset - buffered + start
            return position, bytes(exc.object[start : start + 4])
        if not chunk:
            return None
        offset += len(chunk)


def _encoding_message(encoding: str, exc: UnicodeDecodeError) -> str:
    return f"cannot be decoded as {encoding} at byte {exc.start + 1}"


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"not a readable Excel workbook ({exc.__class__.__name__})") from None
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise FileProblem(f"not a readable Excel workbook ({exc.__class__.__name__})") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header_row = next(rows)
    except StopIteration:
        raise FileProblem("the first sheet is empty (expected a header row)") from None
    header = ["" if v is None else str(v).strip() for v in header_row]
    return Table(
        header=header,
        rows=_xlsx_rows(rows),
        encoding="xlsx",
        size_hint=sheet.max_row or 0,
    )


def _xlsx_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, list[Any]]]:
    for number, values in enumerate(rows, start=2):
        if any(v is not None and str(v).strip() for v in values):
            yield number, ["" if v is None else v for v in values]
