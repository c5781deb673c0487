"""Reading the tables people actually hand in: UTF-8 with or without BOM, Excel's Danish
semicolon CSV, the Windows-1252 files older Excel versions save, Excel's "Unicode-tekst" (UTF-16
with a byte-order mark, tab-separated), and .xlsx workbooks (the first sheet, read as CSV)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.messages import current_language, say, say_count, where


# A cell that starts with one of these is a formula to Excel and LibreOffice (a tab or a carriage
# return can hide one): a course title from the web must not run as one in a user's spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_RE = re.compile(r"^'+[=+\-@\t\r]")


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text, for every CSV fagmatch writes: text that starts like a
    formula gets a leading apostrophe (which Excel hides), as does text that already looks escaped,
    so that `spreadsheet_text` gives back exactly what was written. Other values pass unchanged."""
    if isinstance(value, str) and (value.startswith(FORMULA_START) or _ESCAPED_RE.match(value)):
        return "'" + value
    return value


def spreadsheet_text(cell: str) -> str:
    """The text `spreadsheet_cell` was given (CSV readers of fagmatch's own files use it)."""
    return cell[1:] if _ESCAPED_RE.match(cell) else cell


def excel_csv(rows: list[list[Any]], *, bom: bool = False) -> str:
    """Rows as the CSV Danish Excel opens by double-click: `;` (its list separator in a Danish locale),
    CRLF line ends, cells with several lines quoted whole; with `bom`, UTF-8's byte-order mark first,
    without which Excel reads the file as Windows-1252. Cells are written as given (see spreadsheet_cell)."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(rows)
    return (BOM if bom else "") + out.getvalue()


class TabularError(ValueError):
    """A file that cannot be read as a table at all."""


@dataclass
class Table:
    """Rows of a CSV file keyed by header, each with the line it starts on (1-based, header = line 1)."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    notices: list[str] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    delimiter: str = ","
    # the row a spreadsheet shows a row in, by the line it starts on, where the two differ: a cell
    # with line breaks takes one row there but several lines here
    sheet_rows: dict[int, int] = field(default_factory=dict)


BOM = "\ufeff"  # UTF-8's byte-order mark: Danish Excel reads a CSV file with it as UTF-8
XLSX_SIGNATURE = b"PK\x03\x04"  # an .xlsx workbook is a zip file
XLS_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an .xls workbook (OLE2 compound file)
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


# A letter beyond ASCII as UTF-8 writes it (two to four bytes); in Windows-1252 text such pairs are
# garbled letters ("Ã¦"), which no one types.
_UTF8_LETTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode_bytes(data: bytes, name: str) -> tuple[str, list[str]]:
    """The text of an uploaded table: an .xlsx workbook's sheet as `;`-separated CSV (xlsx_text); UTF-16
    with a byte-order mark; UTF-8 (BOM optional); else Windows-1252 with a notice, as Danish Excel
    writes it. UTF-16 without a mark cannot be told apart safely and is refused."""
    if data.startswith(XLSX_SIGNATURE):
        return xlsx_text(data, name)
    if data.startswith(XLS_SIGNATURE):
        raise TabularError(say("{name}: an Excel 97–2003 workbook (.xls); save it as .xlsx or as CSV UTF-8", name=name))
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise TabularError(say("{name}: not valid UTF-16 text; save the file as CSV UTF-8", name=name)) from None
    if b"\x00" in data[:4096]:
        raise TabularError(say(
            "{name}: the file holds NUL bytes, as UTF-16 text without a byte-order mark does; save it as CSV UTF-8 or as .xlsx",
            name=name))
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        if _UTF8_LETTER.search(data):
            # UTF-8 with a stray byte: read as Windows-1252, every æ, ø and å of the file would be garbled
            raise TabularError(say(
                "{name}: line {line}: byte {byte} is not UTF-8, though the rest of the file is; correct that character "
                "or save the whole file as UTF-8", name=name, line=data[:exc.start].count(b"\n") + 1, byte=exc.start,
            )) from None
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise TabularError(say(
                "{name}: not UTF-8 (byte {byte}) and not Windows-1252 either; save the file as UTF-8",
                name=name, byte=exc.start,
            )) from None
        return text, [say("{name}: not UTF-8, read as Windows-1252 (Excel's Danish default); check æ, ø and å", name=name)]


_SEP_HINT_RE = re.compile(r'"?sep=(.)"?[,;\t]*')


MAX_TITLE_LINES = 5


def _title_lines(lines: list[str]) -> int:
    """How many lines above the column names hold a title (a sheet's "Kompetencevurdering – Jobcenter
    Vest, 2026", often in merged cells) or nothing: lines of one cell, or of two (split by another
    delimiter than the column names', or above four or more names), before a line of three or more."""
    def cells(line: str) -> tuple[int, str]:
        filled = line.strip().strip(";,\t")
        delimiter = sniff_delimiter(filled)
        return (0 if not filled else filled.count(delimiter) + 1), delimiter

    for header in range(min(MAX_TITLE_LINES, len(lines) - 1) + 1):
        count, delimiter = cells(lines[header])
        if count >= 3:
            titles = [cells(line) for line in lines[:header]]
            # a title and a date beside it ("Kompetencevurdering;marts 2026") above a header of four or more
            return header if all(n <= 1 or (n == 2 and (d != delimiter or count >= 4)) for n, d in titles) else 0
    return 0


def column_letter(index: int) -> str:
    """A 0-based column as a spreadsheet names it: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _cut(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def sniff_delimiter(first_line: str) -> str:
    """Pick the delimiter of the header line: Danish Excel uses ';', most tools ',', some tabs."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(path: Path | str, *, name: str | None = None) -> Table:
    """Read a CSV file into header-keyed rows; raises TabularError on an empty file or a bad header.

    Rows with more cells than the header are not guessed at: they are listed in `bad_rows`."""
    path = Path(path)
    name = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TabularError(say("{name}: cannot read file: {reason}", name=name, reason=exc.strerror)) from None
    text, notices = decode_bytes(data, name)
    if not text.strip():
        raise TabularError(say("{name}: the file is empty", name=name))
    lines = text.splitlines()
    # Excel's hint line "sep=;" names the delimiter; the header is the line after it
    hint = _SEP_HINT_RE.fullmatch(lines[0].lstrip(BOM))
    titles = 0 if hint else _title_lines(lines)
    delimiter = hint[1] if hint else sniff_delimiter(lines[titles])
    if titles:
        notices = notices + [say_count(titles, "{name}: line 1, above the column names, is read as a title and left out",
                                       "{name}: lines 1–{titles}, above the column names, are read as a title and left out",
                                       name=name, titles=titles)]
    # strict: a quote never closed is an error, not a last cell that swallows every row after it
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for _ in range(titles + bool(hint)):
            next(reader)
        header = [cell.strip() for cell in next(reader)]
    except csv.Error as exc:
        raise TabularError(f"{where(name, 1)}: {exc}") from None
    except StopIteration:
        raise TabularError(say("{name}: the file is empty", name=name)) from None
    if not any(header):
        raise TabularError(where(name, reader.line_num) + ": " + say("the header row is empty"))
    if len(header) > MAX_SHEET_COLUMNS:  # refused before anything reads them: no table here is that wide
        raise TabularError(where(name, reader.line_num) + ": " + say(
            "{columns} columns; a table has at most {most}", columns=len(header), most=MAX_SHEET_COLUMNS))
    duplicates = sorted(h for h, n in Counter(header).items() if h and n > 1)
    if duplicates:
        raise TabularError(where(name, 1) + ": " + say("column(s) named twice: {columns}", columns=", ".join(duplicates)))
    rows: list[tuple[int, dict[str, str]]] = []
    bad_rows: list[tuple[int, str]] = []
    sheet_rows: dict[int, int] = {}
    named = max(i for i, h in enumerate(header) if h) + 1  # the columns a row must reach (not unnamed trailing ones)
    start = reader.line_num + 1
    try:
        for sheet_row, cells in enumerate(reader, start=start):
            if sheet_row != start:
                sheet_rows[start] = sheet_row
            if any(cell.strip() for cell in cells):
                if (extra := next((i for i, c in enumerate(cells) if i >= len(header) and c.strip()), None)) is not None:
                    bad_rows.append((start, say_count(
                        len(cells), "{cells} cell but the header has {columns} columns: column {column} ({value!r}) has no "
                        "name in the header row; name it or empty it (in a CSV file, a cell holding the delimiter must be quoted)",
                        "{cells} cells but the header has {columns} columns: column {column} ({value!r}) has no name in "
                        "the header row; name it or empty it (in a CSV file, a cell holding the delimiter must be quoted)",
                        cells=len(cells), columns=len(header), column=column_letter(extra), value=_cut(cells[extra].strip()),
                    )))
                elif (unnamed := next((i for i, c in enumerate(cells) if i < len(header) and not header[i] and c.strip()),
                                      None)) is not None:  # column A too
                    # a column whose header cell was left blank: its values would be dropped unseen
                    bad_rows.append((start, say(
                        "column {column} ({value!r}) has no name in the header row; name it or empty it",
                        column=column_letter(unnamed), value=_cut(cells[unnamed].strip()),
                    )))
                elif len(cells) < named:  # a file cut off in this row: its missing cells are not "unknown"
                    bad_rows.append((start, say_count(
                        len(cells), "{cells} cell but the header has {columns} columns: the row is cut short (an empty "
                        "cell is still written, as two delimiters)",
                        "{cells} cells but the header has {columns} columns: the row is cut short (an empty cell "
                        "is still written, as two delimiters)", cells=len(cells), columns=named,
                    )))
                else:
                    padded = cells + [""] * (len(header) - len(cells))
                    rows.append((start, {h: padded[i] for i, h in enumerate(header) if h}))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise TabularError(where(name, start) + ": " + say("a quote that opens here is not closed")) from None
        raise TabularError(f"{where(name, start)}: {exc}") from None
    return Table(header=[h for h in header if h], rows=rows, notices=notices, bad_rows=bad_rows, delimiter=delimiter,
                 sheet_rows=sheet_rows)


MAX_SHEET_ROWS = 2_000  # a team of at most 500 (matcher.gaps.MAX_TEAM_SIZE), with room for blank and note rows
MAX_SHEET_COLUMNS = 200  # the widest template, the needs survey, has a column per statement (under 50)


def xlsx_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """A sheet of an .xlsx workbook as `;`-separated CSV text, with notices: the sheet open when the
    workbook was saved (the one its user saw), or where that is empty the first that is not; whole
    numbers without ".0", dates as ISO dates, empty cells empty; rows after the last filled one, and
    each row's cells after its last filled one and the header's width, dropped. TabularError for a
    sheet longer than any team file."""
    from openpyxl import load_workbook  # only for .xlsx uploads

    _check_unpacked_size(data, name)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        # the reader's own name for the fault is English: said on the command line and in the API only
        reason = f" ({type(exc).__name__})" if current_language() == "en" else ""
        raise TabularError(say("{name}: not a readable .xlsx workbook{reason}; save it again from Excel, or as CSV UTF-8",
                               name=name, reason=reason)) from None
    try:
        sheets = list(book.worksheets)
        shown = book.active if book.active in sheets else None
        rows, chosen = [], None
        for sheet in ([shown] if shown is not None else []) + [s for s in sheets if s is not shown]:
            rows = _filled_rows(sheet, name)
            if rows:
                chosen = sheet
                break
        others = [s.title for s in sheets if s is not chosen and _filled_rows(s, name, MAX_PEEKED_ROWS)]
    finally:
        book.close()
    notices = [say("{name}: read the sheet {sheet!r}; the workbook's other sheets ({others}) are not read", name=name,
                   sheet=chosen.title, others=", ".join(others))] if chosen is not None and others else []
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    return out.getvalue(), notices


# A workbook of the largest team (500 rows of under 50 answers) unpacks to about 2 MB; 40 kB of zip can
# unpack to 40 MB of empty cells, which the workbook reader builds one by one (minutes, gigabytes).
MAX_UNPACKED_BYTES = 16 * 1024 * 1024


def _check_unpacked_size(data: bytes, name: str) -> None:
    """TabularError for a workbook whose parts unpack to more than MAX_UNPACKED_BYTES (the zip's own
    sizes, which bound what unpacking yields: a part that claims less is cut off there)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            unpacked = sum(part.file_size for part in book.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # the workbook reader names a broken file in its own words
    if unpacked > MAX_UNPACKED_BYTES:
        raise TabularError(say("{name}: the workbook unpacks to {mb} MB, more than a team file holds ({most} MB); "
                               "save the sheet alone, or as CSV UTF-8", name=name,
                               mb=unpacked // 1_000_000, most=MAX_UNPACKED_BYTES // 1_000_000))


MAX_PEEKED_ROWS = 50  # enough to see that a sheet not read holds anything


def _filled_rows(sheet: Any, name: str, max_rows: int = MAX_SHEET_ROWS) -> list[list[str]]:
    """A sheet's filled rows as text cells, trimmed (see xlsx_text); [] for an empty sheet."""
    # Read no further than a team file can reach: the sheet's own size claim is not trusted (a
    # 5 kB workbook may claim a million rows of 16 384 columns, and reading them all takes minutes
    # and gigabytes). One row more than the limit tells a sheet that passes it.
    rows = [[_cell_text(value) for value in row]
            for row in sheet.iter_rows(values_only=True, max_row=max_rows + 1, max_col=MAX_SHEET_COLUMNS)]
    if max_rows == MAX_SHEET_ROWS and len(rows) > MAX_SHEET_ROWS and any(rows[MAX_SHEET_ROWS]):
        raise TabularError(say("{name}: more than {rows} rows in the sheet; a team file has one row per person",
                               name=name, rows=MAX_SHEET_ROWS))
    while rows and not any(rows[-1]):
        rows.pop()
    for row in rows:  # the empty cells up to the sheet's claimed width say nothing
        while row and not row[-1]:
            row.pop()
    # ...but a blank cell under the header's last column is a blank answer, as in any other column,
    # not a row cut short: rows are as wide as the header at least (the widest of the first rows:
    # a title may stand above it)
    width = max((len(row) for row in rows[:MAX_TITLE_LINES + 1]), default=0)
    for row in rows:
        row.extend([""] * (width - len(row)))
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def xlsx_bytes(rows: list[list[str]], sheet: str) -> bytes:
    """A one-sheet .xlsx workbook of text rows; cells that are whole numbers are written as numbers,
    so Excel does not flag them as numbers stored as text."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    for row in rows:
        ws.append([int(cell) if cell.isdigit() and len(cell) < 10 else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
