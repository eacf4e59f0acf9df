"""Streaming CSV and JSON readers with bounded memory and a running content hash.

Bytes are read in chunks through :class:`HashingStream` (sha256 of exactly what arrived),
decoded incrementally as UTF-8 (so a bad byte is reported with its line and position), and
turned into rows one at a time: a CSV row is ``(line_number, [field, ...])`` with the line the
record starts on (the header is line 1); a JSON item is ``(position, {key: value})`` with its
1-based position in the list. Nothing holds more than a chunk of the file, or one line or
item of at most ``HOMEWARD_MAX_LINE_KIB``, at once.

Text is made safe to store on the way (DESIGN §3): a header name or JSON key with a control
character or an unpaired surrogate is kept escaped (``\\u0000``); a value with a NUL or an
unpaired surrogate (which neither database stores) becomes an
:class:`~ingest.contracts.text.UncleanText` (escaped), which the contract rejects; other
control characters are the contract's to reject. A JSON
item nested too deeply for the parser is a file problem, not a crash.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO, Literal

from app.core.config import get_settings
from ingest.contracts.text import UNSTORABLE, UncleanText, escape_unclean
from ingest.reasons import reason_message

CHUNK_BYTES = 1 << 16
Format = Literal["csv", "json"]


class FileProblem(Exception):
    """The whole batch is unusable (not UTF-8, empty, no header, malformed JSON, …)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        line_number: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line_number = line_number
        self.column = column
        self.value = value


def file_problem(code: str, *, line_number: int | None = None, **context: Any) -> FileProblem:
    return FileProblem(code, reason_message(code, **context), line_number=line_number)


class HashingStream:
    """A read-only view of a binary stream that hashes and counts every byte it hands out."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._head = b""
        self._sha = hashlib.sha256()
        self.bytes_read = 0
        self.newlines_read = 0
        self.eof = False

    def peek(self, size: int) -> bytes:
        """The next ``size`` bytes (or fewer at the end), without consuming them."""
        while len(self._head) < size:
            more = self._raw.read(size - len(self._head))
            if not more:
                break
            self._head += more
        return self._head[:size]

    def read(self, size: int = CHUNK_BYTES) -> bytes:
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
        else:
            data = self._raw.read(size)
        if not data:
            self.eof = True
            return b""
        self._sha.update(data)
        self.bytes_read += len(data)
        self.newlines_read += data.count(b"\n")
        return data

    def drain(self) -> None:
        """Read (and hash) whatever is left, so the hash covers the whole batch."""
        while self.read(CHUNK_BYTES):
            pass

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


def iter_text(stream: HashingStream, chunk_bytes: int | None = None) -> Iterator[str]:
    """Decode the stream as UTF-8 chunk by chunk (a leading BOM is dropped)."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    first = True
    while True:
        newlines_before = stream.newlines_read
        offset_before = stream.bytes_read
        data = stream.read(chunk_bytes)
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            # the text before the bad byte is read first, so the rows it holds are counted
            # (rows in = what the failed file held, as far as it could be read)
            before = exc.object[: exc.start].decode("utf-8")
            if first:
                before = before.removeprefix("\ufeff")
            if before:
                yield before
            raise _not_utf8(exc, offset_before - pending, newlines_before) from None
        if first and text:
            text = text.removeprefix("\ufeff")
            first = False
        if text:
            yield text
        if not data:
            return


def _not_utf8(exc: UnicodeDecodeError, start_offset: int, newlines_before: int) -> FileProblem:
    bad = exc.object[exc.start : exc.end]
    line = newlines_before + exc.object[: exc.start].count(b"\n") + 1
    shown = " ".join(f"0x{b:02X}" for b in bad[:4])
    guess = bad.decode("cp1252", errors="replace")
    if guess and "\ufffd" not in guess:
        shown += f" ('{guess}' in Windows-1252)"
    return file_problem(
        "file_not_utf8",
        line_number=line,
        line=line,
        byte=start_offset + exc.start + 1,
        bad_bytes=shown,
    )


def max_line_chars() -> int:
    """The longest CSV line or JSON item read (``HOMEWARD_MAX_LINE_KIB``), in characters."""
    return get_settings().max_line_kib * 1024


def iter_lines(chunks: Iterator[str], max_chars: int | None = None) -> Iterator[str]:
    """Split text chunks into lines, each keeping its ``\\n`` (CSV needs the line ends).

    A line longer than ``max_chars`` is a :class:`FileProblem` (``line_too_long``): the
    pieces of a long line are held in a list, so the work stays linear in its length.
    """
    limit = max_chars or max_line_chars()
    pending: list[str] = []
    pending_chars = 0
    lines = 0
    for chunk in chunks:
        parts = chunk.split("\n")
        last = parts.pop()
        for part in parts:
            if pending:
                part = "".join(pending) + part
                pending, pending_chars = [], 0
            lines += 1
            if len(part) > limit:
                raise _too_long(lines, "line", limit)
            yield part + "\n"
        if last:
            pending.append(last)
            pending_chars += len(last)
            if pending_chars > limit:
                raise _too_long(lines + 1, "line", limit)
    if pending:
        yield "".join(pending)


def _too_long(line: int, what: str, limit: int) -> FileProblem:
    return file_problem(
        "line_too_long", line_number=line, line=line, what=what, limit_kib=limit // 1024
    )


class CsvTable:
    """A CSV batch: ``header`` is read on creation; iterate for ``(line_number, fields)``."""

    format: Format = "csv"

    def __init__(self, stream: HashingStream, max_chars: int | None = None) -> None:
        self._lines = iter_lines(iter_text(stream), max_chars)
        self._reader = csv.reader(self._lines)
        self.header: list[str] = []
        try:
            for fields in self._reader:
                if any(f.strip() for f in fields):
                    self.header = [escape_unclean(f.strip()) for f in fields]
                    break
        except csv.Error as exc:  # e.g. a lone carriage return in the header
            raise _not_csv(self._reader.line_num, exc) from None
        if not self.header:
            raise file_problem("file_empty")
        self.header_line = self._reader.line_num

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        last = reader.line_num
        try:
            for fields in reader:
                start, last = last + 1, reader.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # a blank line
                if "\x00" in "".join(fields):  # the one character of CSV no database stores
                    fields = [UncleanText(f) if "\x00" in f else f for f in fields]
                yield start, fields
        except csv.Error as exc:  # e.g. a lone carriage return: the rest cannot be trusted
            raise _not_csv(reader.line_num, exc) from None


def _not_csv(line: int, exc: csv.Error) -> FileProblem:
    return file_problem("file_not_csv", line_number=line, line=line, problem=exc)


_JSON_KIND = {"{": "object", "[": "list", '"': "string", "t": "boolean", "f": "boolean"}


def _json_kind(first_char: str) -> str:
    if first_char == "n":
        return "null"
    return _JSON_KIND.get(first_char, "number")


class JsonTable:
    """A JSON batch (a list of objects) parsed item by item with ``raw_decode`` over chunks.

    ``header`` holds the keys of the first object; iterate for ``(position, object)``.
    """

    format: Format = "json"

    def __init__(self, stream: HashingStream, max_chars: int | None = None) -> None:
        self._max_chars = max_chars or max_line_chars()
        self._chunks = iter_text(stream)
        self._decoder = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._dropped_newlines = 0
        self._eof = False
        self._first: dict[str, Any] | None = None
        self._done = False
        self._count = 0
        char = self._peek()
        if char is None:
            raise file_problem("file_empty")
        if char != "[":
            raise file_problem(
                "json_not_list", found=f"the body is a JSON {_json_kind(char)}, not a list"
            )
        self._pos += 1
        self._first = self._next_item()
        self.header: list[str] = list(self._first) if self._first is not None else []

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        item = self._first
        self._first = None
        while item is not None:
            yield self._count, item
            item = self._next_item()

    def _more(self) -> bool:
        if self._eof:
            return False
        if self._pos > CHUNK_BYTES:  # forget what has been parsed
            self._dropped_newlines += self._buf.count("\n", 0, self._pos)
            self._buf = self._buf[self._pos :]
            self._pos = 0
        try:
            self._buf += next(self._chunks)
        except StopIteration:
            self._eof = True
            return False
        return True

    def _peek(self) -> str | None:
        """The next non-blank character (not consumed), or None at the end."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in " \t\r\n":
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return None

    def _next_item(self) -> dict[str, Any] | None:
        if self._done:
            return None
        char = self._peek()
        if char is None:
            raise self._invalid("the body ends before the list is closed (cut short?)")
        if self._count and char == ",":
            self._pos += 1
            char = self._peek()
            if char == "]":
                raise self._invalid("a ',' before the closing ']' (trailing comma)")
        elif char == "]":
            self._pos += 1
            self._done = True
            trailing = self._peek()
            if trailing is not None:
                raise self._invalid(f"unexpected '{trailing}' after the end of the list")
            return None
        elif self._count:
            raise self._invalid("expected ',' or ']' between items")
        if char is None:
            raise self._invalid("the body ends before the list is closed (cut short?)")
        if char != "{":
            raise file_problem(
                "json_not_list", found=f"item {self._count + 1} is a JSON {_json_kind(char)}"
            )
        while True:
            try:
                item, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if len(self._buf) - self._pos > self._max_chars:
                    raise _too_long(self._line_at(self._pos), "JSON item", self._max_chars)
                if self._more():
                    continue
                raise self._invalid(exc.msg, at=exc.pos)
            except RecursionError:
                line = self._line_at(self._pos)
                raise file_problem(
                    "json_too_deep", line_number=line, line=line, item=self._count + 1
                ) from None
            except ValueError as exc:  # e.g. an integer of more than 4,300 digits
                raise self._invalid(str(exc).split(";")[0]) from None
            break
        if _MAYBE_UNSTORABLE.search(self._buf, self._pos, end):
            item = _cleaned(item)
        self._pos = end
        self._count += 1
        return item

    def _line_at(self, at: int) -> int:
        return self._dropped_newlines + self._buf.count("\n", 0, at) + 1

    def _invalid(self, problem: str, at: int | None = None) -> FileProblem:
        at = self._pos if at is None else at
        line = self._line_at(at)
        col = at - (self._buf.rfind("\n", 0, at) + 1) + 1
        return file_problem(
            "json_invalid",
            line_number=line,
            line=line,
            col=col,
            item=self._count + 1,
            problem=problem,
        )


# the escape of a NUL or a surrogate (\\u0000, \\ud800; JSON refuses them raw): only an item
# that has one is looked at value by value (a surrogate pair, e.g. an emoji, is kept)
_MAYBE_UNSTORABLE = re.compile(r"\\u(?:0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)


def _cleaned(item: dict[str, Any]) -> dict[str, Any]:
    """A JSON object whose keys are escaped and whose unstorable values are UncleanText."""
    cleaned: dict[str, Any] = {}
    for key, value in item.items():
        # json.dumps escapes control characters but not surrogates; a nested value is refused
        # anyway, so one holding a surrogate is kept as its escaped JSON text
        if isinstance(value, dict | list) and UNSTORABLE.search(
            json.dumps(value, ensure_ascii=False)
        ):
            value = UncleanText(json.dumps(value))
        elif isinstance(value, str) and UNSTORABLE.search(value):
            value = UncleanText(value)
        cleaned[escape_unclean(key)] = value
    return cleaned


def open_table(stream: HashingStream, fmt: Format) -> CsvTable | JsonTable:
    """Start reading a batch of ``fmt``; raises :class:`FileProblem` for an unusable file."""
    return CsvTable(stream) if fmt == "csv" else JsonTable(stream)


def sniff_format(file_name: str | None, head: bytes) -> Format:
    """``json`` for a ``.json`` name or a body starting with ``[``/``{``, else ``csv``."""
    if file_name and file_name.lower().endswith(".json"):
        return "json"
    if file_name and file_name.lower().endswith(".csv"):
        return "csv"
    stripped = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return "json" if stripped[:1] in (b"[", b"{") else "csv"
