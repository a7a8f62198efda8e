"""Opening an uploaded ledger: checks on the file as a whole, then its rows as a stream.

Excel files are read with python-calamine (Rust's calamine): on 175,000 rows of the
resident ledger it read in 1.9 s where openpyxl's read-only mode took 23 s (measured on
this project's machine). It holds the sheet's cells in memory (about 100 MB for that
sheet; an upload is at most IMPORT_MAX_BYTES and inflates at most _UNZIP_FACTOR times).
CSV files (UTF-8 or GB18030, as Excel saves them in China) are read with the standard
library, as a stream.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

from django.conf import settings
from python_calamine import CalamineWorkbook

from doorstep.core.errors import DomainError

from .columns import COLUMNS, SHEET_TITLES, Column, lookup_of, normalise_header

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and password-protected workbooks)
_HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in real ledgers
_UNZIP_FACTOR = 30  # a zip that inflates far beyond its size is refused (zip bomb)


class LedgerRejected(DomainError):
    """The file cannot be imported as a whole; the message is for people (in Chinese)."""


def _blank(values: tuple[Any, ...] | list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


class LedgerFile:
    """An opened ledger: `columns` maps column keys to positions; `rows()` streams the data.

    Use as a context manager; opening raises LedgerRejected for a file that is not a
    readable xlsx/CSV or whose header lacks a required column.
    """

    def __init__(
        self,
        fileobj: IO[bytes],
        *,
        kind: str,
        file_name: str,
        columns: Sequence[Column] | None = None,
        sheet_title: str = "",
    ) -> None:
        """`kind` names one of the ledgers here; another domain's list (e.g. the needs
        list of co-governance) passes its own `columns` and `sheet_title` instead."""
        self.kind = kind
        self.spec: tuple[Column, ...] = tuple(columns) if columns is not None else COLUMNS[kind]
        self.sheet_title = sheet_title or SHEET_TITLES.get(kind, "")
        self._fileobj = fileobj
        self._workbook: Any = None
        self._text: io.TextIOWrapper | None = None
        self.expected_rows: int | None = None  # data rows the sheet has (blank ones too)
        self._raw_rows = self._open(fileobj, file_name)
        try:
            self.columns, self.header_row = self._read_header()
        except BaseException:
            self.close()
            raise

    # -- opening --------------------------------------------------------------------------

    def _open(self, fileobj: IO[bytes], file_name: str) -> Iterator[tuple[Any, ...]]:
        fileobj.seek(0)
        magic = fileobj.read(4)
        fileobj.seek(0)
        lower = file_name.lower()
        if magic == _ZIP:
            return self._open_xlsx(fileobj)
        if magic == _OLE or lower.endswith(".xls"):
            raise LedgerRejected(
                "不支持旧版 .xls 格式或加密的工作簿，请在 Excel 中“另存为” .xlsx 后再上传"
            )
        if lower.endswith(".csv"):
            return self._open_csv(fileobj)
        if lower.endswith(".xlsx"):
            raise LedgerRejected("文件不是有效的 Excel（.xlsx）文件：可能已损坏，或只是改了扩展名")
        raise LedgerRejected("只能导入 Excel（.xlsx）或 CSV 文件，请使用本页提供的模板")

    def _open_xlsx(self, fileobj: IO[bytes]) -> Iterator[tuple[Any, ...]]:
        try:
            with zipfile.ZipFile(fileobj) as archive:
                names = set(archive.namelist())
                unzipped = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile as exc:
            raise LedgerRejected("文件不是有效的 Excel（.xlsx）文件：可能已损坏") from exc
        if "xl/workbook.xml" not in names:
            raise LedgerRejected("文件不是 Excel 工作簿（.xlsx），请使用本页提供的模板")
        if unzipped > settings.IMPORT_MAX_BYTES * _UNZIP_FACTOR:
            raise LedgerRejected("文件解压后过大，请拆分成几个文件分别导入")
        fileobj.seek(0)
        try:
            self._workbook = CalamineWorkbook.from_filelike(fileobj)
            titled = self.sheet_title
            names = self._workbook.sheet_names
            sheet = self._workbook.get_sheet_by_name(titled if titled in names else names[0])
        except Exception as exc:  # a broken file fails in many ways
            raise LedgerRejected("无法读取这个 Excel 文件：可能已损坏，请重新保存后再上传") from exc
        # calamine reads the cells that are there, not the <dimension> a program claims
        # (a too-small one would silently cut the import short). Rows start at the sheet's
        # first used row: blank rows above it are given back so row numbers stay true.
        first = sheet.start[0] if sheet.start else 0
        self.expected_rows = first + sheet.height
        return self._with_leading_blanks(first, sheet.iter_rows())

    @staticmethod
    def _with_leading_blanks(count: int, rows: Any) -> Iterator[tuple[Any, ...]]:
        for _ in range(count):
            yield ()
        for row in rows:
            yield tuple(row)

    def _open_csv(self, fileobj: IO[bytes]) -> Iterator[tuple[Any, ...]]:
        head = fileobj.read(64 * 1024)
        fileobj.seek(0)
        encoding = "utf-8-sig"
        try:
            codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
        except UnicodeDecodeError:
            encoding = "gb18030"  # what Excel writes for a “CSV” on a Chinese Windows
        self.expected_rows = _lines(fileobj)
        text = io.TextIOWrapper(fileobj, encoding=encoding, newline="")
        self._text = text  # keep it alive (closing it would close the upload)
        return (tuple(row) for row in csv.reader(text))

    def _read_header(self) -> tuple[dict[str, int], int]:
        lookup = lookup_of(self.spec)
        for number in range(1, _HEADER_SEARCH_ROWS + 1):
            try:
                values = next(self._raw_rows)
            except StopIteration:
                break
            except UnicodeDecodeError as exc:
                raise LedgerRejected("CSV 文件的编码无法识别，请用 UTF-8 保存") from exc
            except Exception as exc:
                raise LedgerRejected("无法读取这个文件：可能已损坏，请重新保存后再上传") from exc
            found: dict[str, int] = {}
            for index, value in enumerate(values):
                key = lookup.get(normalise_header(value))
                if key is None:
                    continue
                if key in found:
                    raise LedgerRejected(
                        f"第{number}行的列名重复：“{str(value).strip()}”出现了两次"
                    )
                found[key] = index
            if len(found) >= 2:
                missing = [c.header for c in self.spec if c.required and c.key not in found]
                if missing:
                    raise LedgerRejected(f"缺少必填列：{'、'.join(missing)}。请使用本页提供的模板")
                return found, number
        expected = "、".join(c.header for c in self.spec if c.required)
        raise LedgerRejected(f"找不到表头：第一行应为列名（{expected}等），请使用本页提供的模板")

    # -- reading --------------------------------------------------------------------------

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(sheet row number, values) for each non-blank row below the header."""
        number = self.header_row
        for values in self._raw_rows:
            number += 1
            if values and not _blank(values):
                yield number, values

    @property
    def expected(self) -> int | None:
        """Data rows below the header, blank ones counted (for a progress bar)."""
        if self.expected_rows is None:
            return None
        return max(0, self.expected_rows - self.header_row)

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        if self._text is not None:
            self._text.detach()  # leave the underlying file to its owner
            self._text = None

    def __enter__(self) -> LedgerFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lines(fileobj: IO[bytes]) -> int:
    """Lines in a CSV (a quoted cell holding a line break counts twice: an estimate)."""
    count, last = 0, b""
    while chunk := fileobj.read(1 << 20):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    fileobj.seek(0)
    return count + (1 if last not in (b"", b"\n") else 0)


def check(fileobj: IO[bytes], *, kind: str, file_name: str, size: int) -> int | None:
    """Refuse a file that cannot be imported as a whole (LedgerRejected, in Chinese);
    returns how many data rows it has (for the job's progress bar)."""
    if size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES / (1024 * 1024)
        raise LedgerRejected(f"文件太大：最大 {limit:g} MB，请拆分成几个文件分别导入")
    if size == 0:
        raise LedgerRejected("文件是空的")
    if kind not in COLUMNS:
        raise LedgerRejected("请选择导入类型（楼栋清单或居民台账）")
    try:
        with LedgerFile(fileobj, kind=kind, file_name=file_name) as ledger:
            expected = ledger.expected
            try:
                next(ledger.rows())
            except StopIteration:
                raise LedgerRejected("文件中没有数据：表头以下都是空行") from None
            except UnicodeDecodeError as exc:
                raise LedgerRejected("CSV 文件的编码无法识别，请用 UTF-8 保存") from exc
    finally:
        fileobj.seek(0)
    return expected
