"""Text exports (CSV, TSV): which encoding, which delimiter, and every record's line.

Encodings are told apart by rules, not a statistical guess, and the choice is said in the
load report: byte-order marks first (UTF-8, UTF-16), UTF-16 without a mark by its zero
bytes, then UTF-8. Other bytes are read as Japanese (CP932, or EUC-JP when that reads
cleaner) unless they read as Western European text (CP1252: ``Société``, ``Müller``) and not
as Japanese. Latin-1 is never chosen: it accepts any byte, so it would turn Japanese
half-width katakana (``ｱｵｿﾞﾗ``) into ``±µ¿Þ×`` without a single error. ``encoding:`` in the
mapping overrides all of this.
"""

from __future__ import annotations

import csv
import io
import re

from ..data.errors import DataError

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f\u3000-\u303f\uff01-\uff5e]")
_ODD = re.compile(r"[\ue000-\uf8ff\ufffd]")  # private-use or replacement: a wrong decoding
# a Western accented letter inside a word: "Soci(é)t(é)", "M(ü)ller"
_WESTERN = re.compile(rb"[A-Za-z][\xc0-\xff][a-z]")
_LINE_END = re.compile(r"\r\n|\r|\n")  # the line breaks csv counts (not \x0b, \u2028…)


def _utf16(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the zero bytes of ASCII text in UTF-16 show through."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    for enc, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros > 0.3 * half and other < 0.05 * half:
            try:
                data.decode(enc)
                return enc
            except UnicodeDecodeError:
                return None
    return None


def _mostly_utf8(data: bytes, error: UnicodeDecodeError, name: str) -> None:
    """Stop when a file is UTF-8 but for a few broken bytes: reading it as anything else
    would turn every Japanese character into mojibake."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - broken
    if multibyte >= 4 and broken <= max(1, multibyte // 10):
        line = data[: error.start].count(b"\n") + 1
        raise DataError(
            f"{name}, line {line} holds bytes that are not UTF-8 ({data[error.start : error.start + 4]!r}) "
            "although the rest of the file is UTF-8: the file was cut or two files were "
            "joined. Export it again, or set `encoding:` in the mapping if you know better."
        )


def _decodes(data: bytes, enc: str) -> str | None:
    try:
        return data.decode(enc)
    except UnicodeDecodeError:
        return None


def detect_encoding(data: bytes, name: str = "the export") -> str:
    """The encoding of an export's bytes (see the module docstring).

    Examples
    --------
    >>> detect_encoding("ｱｵｿﾞﾗ,1".encode("cp932"))
    'cp932'
    >>> detect_encoding("Société,1".encode("cp1252"))
    'cp1252'
    >>> detect_encoding("id,名前".encode("utf-16"))
    'utf-16'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if enc := _utf16(data):
        return enc
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        _mostly_utf8(data, e, name)
    japanese = {}
    for enc in ("cp932", "euc_jp"):
        text = _decodes(data, enc)
        if text is not None:
            japanese[enc] = len(_JAPANESE.findall(text)) - 5 * len(_ODD.findall(text))
    western = _decodes(data, "cp1252")
    if japanese:
        best = max(japanese, key=lambda e: (japanese[e], e == "cp932"))
        if western is None or japanese[best] > 2 * len(_WESTERN.findall(data)):
            return best
    if western is not None:
        return "cp1252"
    raise DataError(
        f"{name}: the bytes are not UTF-8, UTF-16, Japanese (CP932, EUC-JP) or Western European "
        "(CP1252) text. Set `encoding:` in the mapping, or export the file again as UTF-8."
    )


def detect_delimiter(text: str) -> str:
    r"""The delimiter of a text export among , ; tab and |.

    >>> detect_delimiter("id;mrr\nA1;200,50\n")
    ';'
    """
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",\t;|"}
        return max(counts, key=lambda d: (counts[d], d == ","))


def split_records(text: str, sep: str, name: str) -> tuple[list[list[str]], list[int]]:
    r"""The records of a CSV text and the line each starts on (line 1 is the first line).

    Blank lines are passed over; quoted cells may hold line breaks. A quote that opens and
    never closes would swallow every later row into one cell, so it stops with its line.

    Examples
    --------
    >>> split_records('id,note\n\nA1,"two\nlines"\nA2,x\n', ",", "x.csv")
    ([['id', 'note'], ['A1', 'two\nlines'], ['A2', 'x']], [1, 3, 5])
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    records, starts = [], []
    try:
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            if len(record) > 1 or (record and record[0].strip()):
                records.append(record)
                starts.append(start)
    except csv.Error as e:
        raise DataError(
            f"{name}, line {reader.line_num}: the line cannot be split into cells ({e}). "
            "Check its quotes; a cell this large usually means a quote left open."
        ) from None
    if starts:
        breaks = [0] + [m.end() for m in _LINE_END.finditer(text)]
        tail = text[breaks[starts[-1] - 1] :] if starts[-1] - 1 < len(breaks) else ""
        if tail.count('"') % 2 and any("\n" in c or "\r" in c for c in records[-1]):
            raise DataError(
                f"{name}, line {starts[-1]}: a quote opens here and never closes, so every "
                "line after it would be read as one cell. Fix the quote or export again."
            )
    return records, starts
