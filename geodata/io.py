"""Reading user data (sites, region polygons, survey tables, CLDF) and atomic writes.

Every reader validates what it reads through :mod:`geodata._validate` and either raises a
:class:`~geodata.DialectGraphError` or repairs with a :class:`~geodata.Report`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import threading
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata._validate import (
    NA_SPELLINGS,
    DialectGraphError,
    Problems,
    Report,
    first_examples,
    km_text,
    nfc_strings,
    require_columns,
)

__all__ = [
    "atomic_path",
    "check_output_path",
    "clean_stale_temps",
    "read_json_text",
    "read_vector_layer",
    "require_file",
    "read_table",
    "to_jsonable",
    "write_json",
    "write_text",
    "read_cldf",
    "read_matrix",
    "read_regions",
    "place_sites_in_regions",
    "regions_with_sites",
    "read_sites",
    "read_square_matrix",
    "read_survey",
    "sites_from_frame",
    "survey_from_frame",
    "validate_regions",
]

#: Columns of a sites table that the toolkit fills itself; a user column of that name is
#: refused when the table is read, not after a long build.
_RESERVED_SITE_COLUMNS = ("site_id", "area_km2", "land_km2", "perimeter_km", "geometry")

_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", ".kml"}


_SIDECAR_RE = r"(-journal|-wal|-shm|\.tmp_rtree_.*\.db)?"
_active_temps: dict[Path, None] = {}
_previous_handlers: dict[int, Any] = {}
_handler_depth = 0


def _sidecars(tmp: Path) -> list[Path]:
    """``tmp`` and the files GDAL/SQLite create beside it (journals, rtree databases)."""
    parent = tmp.parent
    if not parent.is_dir():
        return []
    return [parent / name for name in os.listdir(parent)
            if name == tmp.name or (name.startswith(tmp.name)
                                    and re.fullmatch(re.escape(tmp.name) + _SIDECAR_RE, name))]


def _remove_temp(tmp: Path) -> None:
    for f in _sidecars(tmp):
        with contextlib.suppress(OSError):
            f.unlink()


def _on_signal(signum: int, frame: Any) -> None:
    """Remove the temporary files of unfinished atomic writes, then act as before."""
    for tmp in list(_active_temps):
        _remove_temp(tmp)
    _active_temps.clear()
    previous = _previous_handlers.get(signum, signal.SIG_DFL)
    signal.signal(signum, previous)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        os.kill(os.getpid(), signum)  # the default action: terminate with this signal


def _install_handlers() -> None:
    global _handler_depth
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    if _handler_depth == 0:
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)
            if previous in (signal.SIG_IGN, None):
                continue
            _previous_handlers[signum] = previous
            signal.signal(signum, _on_signal)
    _handler_depth += 1


def _restore_handlers() -> None:
    global _handler_depth
    if threading.current_thread() is not threading.main_thread() or _handler_depth == 0:
        return
    _handler_depth -= 1
    if _handler_depth == 0:
        for signum, previous in list(_previous_handlers.items()):
            if signal.getsignal(signum) is _on_signal:
                signal.signal(signum, previous)
        _previous_handlers.clear()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temps(path: str | os.PathLike, *, suffix: str | None = None) -> list[Path]:
    """Remove temporary files that killed writes of ``path`` left beside it.

    Temporary names are ``.<stem>.tmp<pid>-<random><suffix>`` (plus GDAL's journals and
    rtree databases); those whose process is gone are removed and returned. Names in the
    older ``.<stem>.<8 chars><suffix>`` form, whose writer cannot be known, are left alone
    and named in a warning.

    Parameters
    ----------
    path : path-like
        The file whose leftover temporary files are looked for in its folder.
    suffix : str, optional
        Suffix of the temporary names; default: the suffix of ``path``.

    Returns
    -------
    list of Path
        The files removed (none when the folder does not exist). Temporary files of live
        processes, and this process's active ones, are kept.
    """
    path = Path(path)
    suffix = suffix or path.suffix
    parent = path.parent
    if not parent.is_dir():
        return []
    ours = re.compile(rf"\.{re.escape(path.stem)}\.tmp(\d+)-[0-9a-f]+{re.escape(suffix)}"
                      + _SIDECAR_RE)
    legacy = re.compile(rf"\.{re.escape(path.stem)}\.[A-Za-z0-9_]{{8}}{re.escape(suffix)}"
                        + _SIDECAR_RE)
    removed, unknown = [], []
    for name in sorted(os.listdir(parent)):
        m = ours.fullmatch(name)
        if m:
            pid = int(m.group(1))
            if pid != os.getpid() and _pid_alive(pid):
                continue  # another process is writing it now
            if pid == os.getpid() and any(name.startswith(t.name) for t in _active_temps):
                continue
            with contextlib.suppress(OSError):
                (parent / name).unlink()
                removed.append(parent / name)
        elif legacy.fullmatch(name):
            unknown.append(name)
    if unknown:
        warnings.warn(
            f"{len(unknown)} temporary file(s) of an earlier interrupted write lie beside "
            f"{str(path)!r}: {first_examples(unknown)}. Delete them if no other program is "
            "writing that file.", stacklevel=3)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A crash half-way leaves the old file (or no file), never a truncated one. The
    temporary file (and any journal or rtree database GDAL made beside it) is removed on
    failure, on SIGINT and on SIGTERM; temporary files that killed runs (SIGKILL, power
    loss) left behind are removed the next time ``path`` is written (see
    :func:`clean_stale_temps`, which reports them as a warning).

    Parameters
    ----------
    path : path-like
        The file to write; missing parent folders are created. An existing directory
        raises :class:`DialectGraphError`.
    suffix : str, optional
        Suffix of the temporary file (so writers that choose a format by suffix work);
        default: the suffix of ``path``.

    Yields
    ------
    Path
        The temporary path to write to, ``.<stem>.tmp<pid>-<random><suffix>`` beside
        ``path``.
    """
    path = Path(path)
    suffix = suffix or path.suffix
    if path.is_dir():
        raise DialectGraphError(
            f"`path` must name a file to write; {str(path)!r} is a directory. Give a file "
            f"name inside it, e.g. {str(path / ('output' + suffix))!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    removed = clean_stale_temps(path, suffix=suffix)
    if removed:
        warnings.warn(
            f"removed {len(removed)} temporary file(s) left beside {str(path)!r} by an "
            f"earlier interrupted write: {first_examples([p.name for p in removed])}.",
            stacklevel=3)
    tmp_path = path.parent / f".{path.stem}.tmp{os.getpid()}-{secrets.token_hex(4)}{suffix}"
    _active_temps[tmp_path] = None
    _install_handlers()
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        _active_temps.pop(tmp_path, None)
        _remove_temp(tmp_path)
        _restore_handlers()


def check_output_path(
    path: str | os.PathLike,
    *,
    argument: str = "path",
    suffixes: tuple[str, ...] | None = None,
) -> Path:
    """Check, before any long work, that ``path`` can be written; return it as a Path.

    Rules: not an existing directory; the suffix is one of ``suffixes`` (when given); the
    nearest existing folder above it is a folder we may write in (missing folders are
    created by the writers).

    Parameters
    ----------
    path : path-like
        The output file to check.
    argument : str, default "path"
        The argument or option name used in messages (e.g. ``"--out"``).
    suffixes : tuple of str, optional
        Allowed suffixes, lower case with the dot (``(".csv",)``); compared with the last
        suffix of ``path`` in lower case. Default: any suffix.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Examples
    --------
    >>> check_output_path("out/table.txt", argument="--out", suffixes=(".csv",))
    Traceback (most recent call last):
    ...
    geodata._validate.DialectGraphError: `--out` must end in .csv; got 'out/table.txt'. Use a name like 'out/table.csv'.
    """
    path = Path(path)
    if path.is_dir():
        example = path / ("output" + (suffixes[0] if suffixes else ""))
        raise DialectGraphError(
            f"`{argument}` must name a file to write; {str(path)!r} is a directory. Give a "
            f"file name inside it, e.g. {str(example)!r}.")
    if suffixes and path.suffix.lower() not in suffixes:
        raise DialectGraphError(
            f"`{argument}` must end in {' or '.join(suffixes)}; got {str(path)!r}. Use a name "
            f"like {str(path.with_suffix(suffixes[0]))!r}.")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise DialectGraphError(
            f"`{argument}` must lie in a folder; {str(folder)!r} is a file, so "
            f"{str(path)!r} cannot be created. Choose another output path.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DialectGraphError(
            f"`{argument}` must lie in a folder you may write in; {str(folder.resolve())!r} is "
            "read-only. Choose another output folder or change its permissions.")
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically: a temporary file beside ``path``, then a rename.

    Parameters
    ----------
    path : path-like
        The file to write (see :func:`atomic_path`).
    text : str
        The text, written as UTF-8.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def to_jsonable(obj):
    """Plain JSON types from pandas/numpy results; NaN and infinities become ``null``.

    Parameters
    ----------
    obj : object
        Dicts (keys made strings), lists, tuples, sets, Series (a dict by index),
        DataFrames (a dict of row dicts), numpy arrays and scalars, paths (strings), or
        plain values (returned as they are), nested in any way.

    Examples
    --------
    >>> to_jsonable({"r2": np.float64("nan"), "n": np.int64(3), "s": pd.Series({"a": 1.5})})
    {'r2': None, 'n': 3, 's': {'a': 1.5}}
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return {str(i): to_jsonable(row.to_dict()) for i, row in obj.iterrows()}
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: str | os.PathLike, obj, *, indent: int = 2) -> Path:
    """Write ``obj`` as JSON (via :func:`to_jsonable`) atomically.

    Parameters
    ----------
    path : path-like
        The file to write (see :func:`write_text`).
    obj : object
        Anything :func:`to_jsonable` turns into JSON types; non-ASCII text is kept as is.
    indent : int, default 2
        Indentation of the JSON text; a newline ends the file.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    return write_text(path, json.dumps(to_jsonable(obj), indent=indent, ensure_ascii=False) + "\n")


def require_file(path: str | os.PathLike, argument: str, what: str) -> None:
    """Raise unless ``path`` is an existing regular file: a directory, a missing path and
    anything else (a socket, a device) each get their own message.

    ``what`` completes "`argument` must be ...", e.g. "a readable CSV/TSV file".

    Parameters
    ----------
    path : path-like
        The file to check.
    argument : str
        The argument or option name used in messages.
    what : str
        What the file must be, completing the message (see above).

    Raises
    ------
    DialectGraphError
        When ``path`` is a directory, does not exist or is not a regular file.
    """
    path = Path(path)
    if path.is_dir():
        raise DialectGraphError(
            f"`{argument}` must be {what}; {str(path)!r} is a directory. Name a file inside it.")
    if not path.exists():
        raise DialectGraphError(
            f"`{argument}` must be {what}; {str(path)!r} does not exist. Check the path.")
    if not path.is_file():
        raise DialectGraphError(
            f"`{argument}` must be {what}; {str(path)!r} is not a regular file.")


def read_table(
    path: str | os.PathLike, *, argument: str = "path", index_header: bool = False,
    first_column: str | None = None, missing_values: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Read a CSV/TSV table as text, the one way every table of the toolkit is read.

    Checks: the path is an existing file (a directory says so); UTF-8; a header row with
    unique, non-blank column names (pandas would rename a repeated ``x`` to ``x.1``
    silently); rows no longer than the header. Cells spelt as in
    :data:`~geodata.validation.NA_SPELLINGS` (blank, ``NA``, ``N/A``, ``NaN``, ``nan``,
    ``NULL`` ...) or holding only spaces become missing (NaN), and the report says how
    many of each spelling in which columns.

    Parameters
    ----------
    path : path-like
        ``.tsv``/``.tab`` files are tab-separated, others comma-separated.
    argument : str
        The argument or option name used in messages (e.g. ``"--sites"``).
    index_header : bool
        The first column holds row labels and may have a blank header (square matrices).
    first_column : str, optional
        Name given to a first column whose header alone is blank (reported): the corner
        cell of a table whose rows are sites, as in Gabmap's data files.
    missing_values : sequence of str, optional
        The spellings of a missing cell, instead of :data:`NA_SPELLINGS` (a blank cell is
        always missing): ``[]`` keeps ``NA`` as text, a group code such as North Aegean.

    Returns
    -------
    (DataFrame, Report)
        Every cell as ``str`` or NaN.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text("site,item,value\\na,x,1\\nb,x,NaN\\nc,x,\\n")
    >>> frame, report = read_table(p)
    >>> frame["value"].isna().tolist(), str(report)
    ([False, True, True], "treated as missing: 2 cells spelt as missing data ('' 1, 'NaN' 1) in column(s) 'value'")
    """
    path = Path(path)
    require_file(path, argument, "a readable CSV/TSV file")
    with open(path, "rb") as fh:
        magic = fh.read(4)
        if magic[:2] == b"PK" and (path.suffix.lower() in {".xlsx", ".xlsm", ".ods"}
                                   or _zipped_workbook(path)) or \
                magic == b"\xd0\xcf\x11\xe0":  # a zipped workbook (renamed .csv too), or .xls
            raise DialectGraphError(
                f"`{argument}` must be a CSV/TSV text file; {str(path)!r} is a spreadsheet "
                "workbook. Save the sheet as \"CSV UTF-8\" (Excel: File > Save As; "
                "LibreOffice: Save a Copy > Text CSV), which keeps IPA characters.")
        if magic[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise DialectGraphError(
                f"`{argument}` must be a UTF-8 CSV/TSV file; {str(path)!r} is UTF-16 (what "
                "Excel writes as \"Unicode Text\"). Save it as \"CSV UTF-8\" (Excel: File > "
                "Save As), which keeps IPA characters.")
    sep = "\t" if path.suffix.lower() in {".tsv", ".tab"} else _csv_separator(path)
    kind = "TSV" if sep == "\t" else "CSV"
    try:
        raw = _read_csv_text(path, sep)
    except pd.errors.EmptyDataError:
        raise DialectGraphError(
            f"`{argument}` must be a {kind} file with a header row; {str(path)!r} is empty. "
            "Check that the right file was given.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, UnicodeDecodeError):
            detail = f"byte {exc.object[exc.start:exc.start + 1]!r} is not UTF-8" + \
                _encoding_hint(path)
        raise DialectGraphError(
            f"`{argument}` must be a UTF-8 {kind} file with a header row; reading "
            f"{str(path)!r} failed ({detail}). Check the file's format (save it as UTF-8 "
            f"{kind}).{_title_line_hint(path, sep)}") from exc
    header = raw.iloc[0].fillna("").astype(str).str.strip().tolist()
    _refuse_title_line(header, raw, path, argument)
    # a column without a header and without any value (a spreadsheet's trailing
    # separator on every row) holds nothing: dropped, and said below
    body = raw.iloc[1:]
    hollow = [i for i, h in enumerate(header) if h == "" and (i > 0 or not index_header)
              and body.iloc[:, i].fillna("").astype(str).str.strip().eq("").all()]
    if len(hollow) == len(header):
        hollow = []  # nothing but blanks: the errors below say so
    if hollow:
        raw = raw.drop(columns=raw.columns[hollow])
        raw.columns = range(raw.shape[1])
        header = [h for i, h in enumerate(header) if i not in set(hollow)]
    named_corner = False
    if (first_column is not None and len(header) > 1 and header[0] == ""
            and all(header[1:]) and first_column not in header):
        header[0], named_corner = first_column, True
    problems = Problems()
    blank = [i + 1 for i, h in enumerate(header) if h == "" and not (index_header and i == 0)]
    if blank:
        problems.add(f"`{argument}` must have a name for every column; column(s) "
                     f"{first_examples(blank)} of {str(path)!r} have a blank header (or a "
                     "row is longer than the header). Name them or remove the extra cells.")
    dups = sorted({h for h in header if h and header.count(h) > 1})
    if dups:
        problems.add(f"`{argument}` must have unique column names; {first_examples(dups)} "
                     f"occur(s) more than once in {str(path)!r}. Rename the copies.")
    problems.raise_if_any()
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = header
    report = Report()
    if sep == ";":
        report.add("semicolon-separated", f"{str(path)!r} was read with ';' between the cells "
                   + ("(its header has no comma)" if "," not in _header_line(path) else
                      "(every line has as many as its header; the header's comma is in a "
                      "column name)"))
    elif sep == "\t" and path.suffix.lower() not in {".tsv", ".tab"}:
        report.add("tab-separated", f"{str(path)!r} was read with tabs between the cells "
                   "(its header has tabs and no comma)")
    if hollow:
        report.add("dropped empty columns", f"{len(hollow)} column(s) of {str(path)!r} had "
                   f"no header and no value (column(s) {first_examples([i + 1 for i in hollow])}"
                   ": a trailing separator on every row) and were dropped")
    if named_corner:
        report.add("first column named", f"the first column of {str(path)!r} has no header "
                   f"(a corner cell, as in Gabmap's data files): read as {first_column!r}")
    # vectorised on the text columns (pyarrow strings): no Python call per cell
    stripped = frame.apply(lambda c: c.str.strip() if pd.api.types.is_string_dtype(c) else c)
    if isinstance(missing_values, str) or not (
            missing_values is None or all(isinstance(v, str) for v in missing_values)):
        raise DialectGraphError(f"`missing_values` must be a list of spellings such as "
                                f"['NaN', 'NULL']; got {missing_values!r}. Put a single "
                                "spelling in a list.")
    spellings = NA_SPELLINGS if missing_values is None else (
        "", *(v.strip() for v in missing_values))
    missing = stripped.isna() | stripped.isin(spellings)
    if missing_values is None:
        _namibia_is_no_missing_cell(stripped, missing, report)
    # a row with nothing in any cell (a spreadsheet's row of separators only, ',,,'): left
    # out and said; the others keep their file lines for the messages that cite them
    empty = missing.to_numpy().all(axis=1) if frame.shape[1] else np.zeros(len(frame), bool)
    dropped: tuple[int, ...] = ()
    if empty.any() and not empty.all():
        several = empty.sum() > 1
        lines = _body_lines(path, len(frame))[empty].tolist()
        report.add("left out empty rows",
                   f"file line{'s' if several else ''} {first_examples(lines)} of "
                   f"{str(path)!r} {'have' if several else 'has'} no value in any cell "
                   f"(a spreadsheet's row{'s' if several else ''} of separators only)")
        dropped = tuple(np.flatnonzero(empty).tolist())
        frame, stripped, missing = (x[~empty].reset_index(drop=True)
                                    for x in (frame, stripped, missing))
    if missing.to_numpy().any():
        spelt = pd.Series(stripped.to_numpy()[missing.to_numpy()]).fillna("")
        counts = spelt.value_counts()
        cols = [c for c in frame.columns if missing[c].any()]
        # spellings that may be values: a code (Namibia, North Aegean), a syllable (nan)
        words = [k for k in counts.index if k in ("NA", "nan", "null")]
        report.add(
            "treated as missing",
            f"{int(missing.to_numpy().sum())} cells spelt as missing data ("
            + ", ".join(f"{k!r} {v}" for k, v in sorted(counts.items(),
                                                          key=lambda kv: (-kv[1], kv[0])))
            + f") in column(s) {first_examples(cols, 6)}"
            + (f"; if {words[0]!r} is a value (a group code such as NA, a reading such as "
               "nan), read it as text with missing_values (CLI: --missing-values) naming "
               "only the spellings of a missing cell" if words and missing_values is None
               else ""))
        frame = frame.mask(missing)
    # the file's lines, for the messages that cite them (survey rows without a site)
    frame.attrs["file_path"], frame.attrs["file_rows_dropped"] = str(path), dropped
    return frame, report


def _namibia_is_no_missing_cell(cells: pd.DataFrame, missing: pd.DataFrame,
                                report: Report) -> None:
    """'NA' in a column of two-letter country codes is Namibia, not a missing cell (an
    audit's 40 Namibian sites lost their country, and the country checks with it):
    ``missing`` is set back there, and that said."""
    column = country_column(cells.columns)
    if column is None or not pd.api.types.is_string_dtype(cells[column]):
        return
    values = cells[column]
    na = (values == "NA").to_numpy()
    if not na.any():
        return
    others = values[~missing[column] & ~na].dropna().unique()
    if not len(others) or np.mean([len(str(v)) == 2 and str(v).isalpha()
                                   for v in others]) < 0.8:
        return
    missing.loc[na, column] = False
    report.add("read 'NA' as Namibia",
               f"{int(na.sum())} cell(s) of column {column!r} spelt 'NA' were read as "
               "Namibia's country code, not as missing data (the column's other values are "
               "two-letter country codes); leave such a cell blank for an unknown country")


def _body_lines(path: str | os.PathLike | None, n: int) -> np.ndarray:
    """The file line (1-based) of each of the ``n`` rows under the header of the table at
    ``path``: the parser skips blank lines (spaces at most; a line of tabs is a row of a
    TSV), so the k-th row is the k-th line with text after the header (position + 2 where
    the file cannot be read again or its lines do not match the rows)."""
    fallback = np.arange(n) + 2
    if path is None:
        return fallback
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline=None) as fh:
            texted = [k for k, line in enumerate(fh, start=1) if line.strip(" \r\n")]
    except OSError:
        return fallback
    return np.asarray(texted[1:n + 1]) if len(texted) == n + 1 else fallback


def _file_lines(frame: pd.DataFrame, rows: np.ndarray) -> list[int]:
    """The file lines of ``frame``'s rows at positions ``rows``, as :func:`read_table` read
    them (past blank lines and the empty rows it left out); position + 2 (a header line,
    1-based) for a frame from elsewhere."""
    dropped = np.asarray(frame.attrs.get("file_rows_dropped", ()), dtype=np.int64)
    body = _body_lines(frame.attrs.get("file_path"), len(frame) + len(dropped))
    return np.delete(body, dropped)[np.asarray(rows, dtype=np.int64)].tolist()


#: Legacy East Asian encodings by charset-normalizer's codec name, as a user knows them.
_EAST_ASIAN_CODECS = {
    "cp932": "Shift-JIS (Excel's \"CSV\" on Japanese Windows)",
    "shift_jis": "Shift-JIS (Excel's \"CSV\" on Japanese Windows)",
    "euc_jp": "EUC-JP",
    "gb": "GBK / GB18030 (Excel's \"CSV\" on Chinese Windows)",
    "big5": "Big5 (Excel's \"CSV\" on Traditional Chinese Windows)",
    "cp950": "Big5 (Excel's \"CSV\" on Traditional Chinese Windows)",
    "euc_kr": "EUC-KR (Excel's \"CSV\" on Korean Windows)",
    "cp949": "EUC-KR (Excel's \"CSV\" on Korean Windows)",
}


#: Windows code pages of other alphabets: (name, first and last letter of the script).
_ALPHABET_CODECS = {
    "cp1253": ("Windows-1253 (Excel's \"CSV\" on Greek Windows)", 0x0370, 0x03FF),
    "cp1251": ("Windows-1251 (Excel's \"CSV\" on Cyrillic Windows)", 0x0400, 0x04FF),
}


#: Letters of Windows-1250 (Czech, Slovak, Polish, Hungarian, Slovene, Croatian,
#: Romanian ...) that Windows-1252 lacks: a line holding one reads as Windows-1250 too.
_CENTRAL_EUROPEAN = set("čćďěľĺňřšťůžźżłńśąęőűăţşđČĆĎĚĽĹŇŘŠŤŮŽŹŻŁŃŚĄĘŐŰĂŢŞĐ")


def _all_han(data: bytes, codec: str) -> bool:
    """Whether ``data`` reads in ``codec`` with every character beyond ASCII a Chinese
    character or CJK punctuation (and at least two of them)."""
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    wide = [ord(ch) for ch in text if ord(ch) > 0x7F and ch != "\ufeff"]
    return len(wide) >= 2 and all(0x4E00 <= c <= 0x9FFF or 0x3000 <= c <= 0x303F
                                  or 0xFF00 <= c <= 0xFFEF for c in wide)


def _all_hangul(data: bytes, codec: str) -> bool:
    """Whether ``data`` reads in ``codec`` with every character beyond ASCII a Hangul
    syllable or jamo (Korean text, not Chinese characters taken for it)."""
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return all(0xAC00 <= ord(ch) <= 0xD7AF or 0x1100 <= ord(ch) <= 0x11FF
               or 0x3130 <= ord(ch) <= 0x318F for ch in text if ord(ch) > 0x7F)


def _encoding_hint(path: Path) -> str:
    """Where a file that is not UTF-8 first breaks, and what it reads as: ' (line 3, which
    reads as Windows-1252 (Excel's "CSV" on Windows): 'Città...')' ('' when unreadable)."""
    try:
        data = path.read_bytes()
        data.decode("utf-8")
        return ""
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        raw = data[start:end if end >= 0 else len(data)].rstrip(b"\r")
    except OSError:
        return ""
    if b"\x00" in data:  # a binary file (an image, an archive): no text encoding fits
        return ""
    # an East Asian Windows's "CSV" (Shift-JIS, GBK, Big5, EUC-KR) read as Windows-1252 is
    # garbage (an audit's Japanese survey): charset-normalizer tells them apart, unless
    # Windows-1252 reads the file as Latin letters ('são'), which a short file leaves open
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = ""
    latin = bool(western) and all(ch.isalpha() and ord(ch) < 0x250
                                  for ch in western if ord(ch) > 0x7F)
    family = None
    if not latin:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        codec = best.encoding if best is not None else ""
        family = next((v for k, v in _EAST_ASIAN_CODECS.items() if codec.startswith(k)), None)
        korean = codec.startswith(("euc_kr", "cp949"))
        if (family is None or korean and not _all_hangul(data, codec)) and _all_han(
                data, "gb18030"):
            # a short GBK file of place names charset-normalizer took for Cyrillic or
            # Korean (an audit's '杭州' was shown as 'º¼ÖÝ' or Greek 'ΊΌΦέ')
            codec, family = "gb18030", _EAST_ASIAN_CODECS["gb"]
    if family is not None:
        try:
            text = raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            text = ""
        if text and all(ch.isprintable() or ch == "\t" for ch in text):
            return f" (line {line}, which reads as {family}: {text[:60]!r})"
    # a line that another alphabet's code page reads as words of that script (a Greek
    # Windows's 'Ηράκλειο' is 'ÇñÜêëåéï' in Windows-1252): both readings are shown, as
    # a short file cannot tell them apart
    other = ""
    for codec, (name, low, high) in _ALPHABET_CODECS.items():
        text = raw.decode(codec, errors="replace")
        wide = [ch for ch in text if ord(ch) > 0x7F]
        if len(wide) >= 3 and all(low <= ord(ch) <= high for ch in wide):
            other = f", or as {name}: {text[:60]!r}"
            break
    else:
        # Central European Windows writes 'Poreč' with the byte of Windows-1252's 'è'
        # (an audit's Croatian file was said to read as 'Poreè'): both readings are shown
        text = raw.decode("cp1250", errors="replace")
        if any(ch in _CENTRAL_EUROPEAN for ch in text):
            other = f", or as Windows-1250 (Excel's \"CSV\" on Central European Windows): " \
                    f"{text[:60]!r}"
    for codec, name in (("cp1252", "Windows-1252 (Excel's \"CSV\" on Windows)"),
                        ("latin-1", "Latin-1")):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if all(ch.isprintable() or ch == "\t" for ch in text):  # text, not a binary file
            return f" (line {line}, which reads as {name}: {text[:60]!r}{other})"
    return f" (line {line})"


def _refuse_title_line(header: list[str], raw: pd.DataFrame, path: Path,
                       argument: str) -> None:
    """Raise when the first row holds one cell and the next one several (a title a
    spreadsheet padded to the header's width: 'Survey of Sinitic readings,,'), or one cell
    with another separator's cells (a title whose ';' set the separator of a comma file)."""
    named = [h for h in header if h]
    if len(named) != 1 or not header[0] or len(raw) < 2:
        return
    nxt = raw.iloc[1].fillna("").astype(str).str.strip()
    if int((nxt != "").sum()) > 1 or any(nxt.iloc[0].count(c) >= 2 for c in (",", ";", "\t")):
        raise DialectGraphError(
            f"`{argument}` must start with its header row; the first line of {str(path)!r} "
            f"holds one cell, {header[0][:60]!r}, and the next line several: a title above "
            "the header? Remove it, so that the header comes first.")


def _title_line_hint(path: Path, sep: str) -> str:
    """' The first line ... looks like a title' when the file's first line has fewer cells
    than the next ones (a title above the header), else ''."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            lines = [fh.readline() for _ in range(3)]
    except OSError:
        return ""
    counts = [line.count(sep) for line in lines if line.strip()]
    if len(counts) >= 2 and counts[0] < counts[1] and len(set(counts[1:])) == 1:
        return (f" Its first line, {lines[0].strip()[:60]!r}, has fewer cells than the next "
                "ones: a title above the header? Remove it, so that the header comes first.")
    return ""


def _zipped_workbook(path: Path) -> bool:
    """Whether ``path`` is a zip archive of an Excel or OpenDocument workbook (an audit's
    workbook renamed .csv was "byte b'\\xc5' is not UTF-8")."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return "[Content_Types].xml" in names or "content.xml" in names or any(
        n.startswith("xl/") for n in names)


def _header_line(path: Path) -> str:
    """The first line of a text file (up to 64 KiB), decoded leniently."""
    with open(path, "rb") as fh:
        return fh.readline(1 << 16).decode("utf-8", errors="replace")


def _csv_separator(path: Path) -> str:
    """``","``; ``"\t"`` for a file whose header has tabs and no comma (Gabmap's data files,
    spreadsheets' "Text (tab-delimited)"); ``";"`` for one whose header has semicolons and
    neither (a CSV saved by a spreadsheet set to a language that writes decimal commas);
    ``"|"`` for a header with pipes and none of those (a database export)."""
    with open(path, "rb") as fh:
        lines = [fh.readline(1 << 16).decode("utf-8", errors="replace") for _ in range(20)]
    lines = [ln for ln in lines if ln.strip()]
    head = lines[0] if lines else ""
    if "," in head:
        chosen = ","
    elif "\t" in head:
        chosen = "\t"
    elif ";" in head:
        chosen = ";"
    else:
        chosen = "|" if "|" in head else ","
    # a header with a comma inside a column name ('notes, remarks') of a ';' file: the
    # separator is the one every line has as often as the header, when the header's is not
    if len(lines) >= 2:
        def steady(c: str) -> bool:
            counts = {ln.count(c) for ln in lines}
            return len(counts) == 1 and counts.pop() > 0
        if not steady(chosen):
            others = [c for c in (",", "\t", ";", "|") if c != chosen and steady(c)]
            if len(others) == 1:
                return others[0]
    return chosen


def _read_csv_text(path: Path, sep: str) -> pd.DataFrame:
    """Every cell as text, the header as the first row. pyarrow's multi-threaded reader
    when it is installed (ten times faster on a million rows); any file it refuses (a
    ragged row, bytes that are not UTF-8, ...) is read again by pandas' own parser, whose
    result or error the caller reports."""
    kwargs = dict(sep=sep, dtype=str, keep_default_na=False, na_values=[], header=None,
                  skip_blank_lines=True)
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return pd.read_csv(path, **kwargs)
    try:
        return pd.read_csv(path, engine="pyarrow", **kwargs)
    except Exception:  # noqa: BLE001 - re-read below; that parser's error is the one shown
        return pd.read_csv(path, **kwargs)


def _read_table(path: str | os.PathLike, argument: str) -> pd.DataFrame:
    return read_table(path, argument=argument)[0]


def read_vector_layer(path: str | os.PathLike, layer: str | None = None, *,
                      argument: str = "path", **kwargs: Any) -> gpd.GeoDataFrame:
    """``pyogrio.read_dataframe(path, layer=layer, **kwargs)``, with GDAL's errors (a
    damaged or truncated file, garbage bytes, a missing layer) as one
    :class:`DialectGraphError` that names the file and the layer.

    Parameters
    ----------
    path : path-like
        The vector file (GeoJSON, GeoPackage, Shapefile, ...).
    layer : str, optional
        The layer to read; default: the first layer.
    argument : str, default "path"
        The argument or option name used in messages.
    **kwargs
        Passed to :func:`pyogrio.read_dataframe`.
    """
    import pyogrio

    try:
        return pyogrio.read_dataframe(path, layer=layer, **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FeatureError, pyogrio.errors.FieldError,
            pyogrio.errors.GeometryError, pyogrio.errors.CRSError) as exc:
        where = f" (layer {layer!r})" if layer else ""
        raise DialectGraphError(
            f"`{argument}` must be a readable vector file; reading {str(path)!r}{where} failed "
            f"({type(exc).__name__}: {str(exc).strip()}). The file is damaged or not what it "
            "claims to be: rebuild or re-save it.") from exc


def read_json_text(text: str | bytes, *, argument: str, source: str = "") -> Any:
    """Parse JSON text, or raise a :class:`DialectGraphError` that says where it is broken.

    Used for every JSON stored by the toolkit (e.g. a graph GeoPackage's ``metadata``
    layer), so damaged files give one clear message rather than a ``JSONDecodeError``.

    Parameters
    ----------
    text : str or bytes
        The JSON text; any other type (e.g. a NaN cell) raises :class:`DialectGraphError`.
    argument : str
        The name of what the text is (e.g. ``"metadata"``), used in messages.
    source : str, optional
        Where the text comes from (a file name), named in messages; default: nothing.

    Examples
    --------
    >>> read_json_text('{"a": 1}', argument="metadata")
    {'a': 1}
    >>> read_json_text('{"a": ', argument="metadata", source="g.gpkg")
    Traceback (most recent call last):
    ...
    geodata._validate.DialectGraphError: `metadata` must be valid JSON; the text from 'g.gpkg' is broken at line 1, column 7 (Expecting value). The file is damaged: rebuild or re-save it.
    """
    where = f" from {source!r}" if source else ""
    if not isinstance(text, str | bytes | bytearray):
        raise DialectGraphError(f"`{argument}` must be JSON text; the value{where} is "
                                f"{type(text).__name__} ({text!r:.40}). The file is damaged: "
                                "rebuild or re-save it.")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        pos = (f"line {exc.lineno}, column {exc.colno} ({exc.msg})"
               if isinstance(exc, json.JSONDecodeError) else str(exc))
        raise DialectGraphError(
            f"`{argument}` must be valid JSON; the text{where} is broken at {pos}. The file "
            "is damaged: rebuild or re-save it.") from None


def sites_from_frame(
    frame: pd.DataFrame,
    *,
    id_col: str = "id",
    lat_col: str = "latitude",
    lon_col: str = "longitude",
    argument: str = "sites",
    missing_coordinates: str = "raise",
) -> gpd.GeoDataFrame:
    """Validate a table of survey points and return a GeoDataFrame indexed by ``site_id``.

    Checks: the columns exist; ids are present and unique; coordinates are numbers in
    range. Coordinates that are out of range but valid when swapped are reported as
    "swapped lat/lon", with the fix. All problems are raised together.

    ``missing_coordinates="keep"`` keeps the rows whose latitude and longitude are both
    empty, with NaN coordinates and no geometry (for sites that given polygons will place:
    :func:`place_sites_in_regions`); a value that is not a number still raises.

    Parameters
    ----------
    frame : DataFrame
        The table of sites, one row per site.
    id_col, lat_col, lon_col : str
        Names of the site-id, latitude and longitude columns (default ``"id"``,
        ``"latitude"``, ``"longitude"``). Ids are stripped and put in Unicode NFC.
    argument : str, default "sites"
        The argument or option name used in messages.
    missing_coordinates : {"raise", "keep"}, default "raise"
        Rows with both coordinates empty raise, or are kept without a point.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 indexed by ``site_id``, with float ``latitude``/``longitude``
        and the other columns of ``frame``.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b"], "latitude": [39.9, 31.2], "longitude": [116.4, 121.5]})
    >>> sites_from_frame(df).index.tolist()
    ['a', 'b']
    """
    require_columns(frame, [id_col, lat_col, lon_col], argument=argument,
                    option="id_col/lat_col/lon_col (CLI: --id-col/--lat-col/--lon-col)")
    if len(frame) == 0:
        raise DialectGraphError(f"`{argument}` must hold at least one site; it has a header "
                                "and no rows. Check the file.")
    problems = Problems()
    taken = [c for c in frame.columns
             if (c in _RESERVED_SITE_COLUMNS or str(c).startswith("feat__")
                 or (c == "latitude" and lat_col != "latitude")
                 or (c == "longitude" and lon_col != "longitude"))
             and c not in (id_col, lat_col, lon_col)]
    if taken:
        problems.add(
            f"`{argument}` has column(s) {first_examples(taken)} whose names dialectgraph "
            "uses for what it computes itself (the site index, region area, geometry, "
            "coordinates, node features); they would be overwritten or clash when the graph "
            f"is saved. Rename them (e.g. {str(taken[0]) + '_source'!r}) or drop them."
        )
    ids = frame[id_col]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        rows = _file_lines(frame, np.flatnonzero(blank.to_numpy()))
        problems.add(
            f"`{argument}` column {id_col!r} must name every site; {_rows(int(blank.sum()))} "
            f"no id (file line{'s' if len(rows) > 1 else ''} {first_examples(rows)}). Fill in "
            "the ids."
        )
    ids = ids.astype(str).str.strip().str.normalize("NFC")  # as the survey's ids
    dup = ids[ids.duplicated(keep=False) & ~blank]
    if len(dup):
        first = sorted(dup.unique())[0]
        lines = _file_lines(frame, np.flatnonzero((ids == first).to_numpy()))
        # a row pasted twice (every cell the same) is told apart from two sites given one id
        cells = frame.loc[dup.index].astype("string").fillna("")
        repeats = cells.groupby(dup.to_numpy()).nunique().le(1).all(axis=1)
        if repeats.all():
            fix = ("Every one is a repeated row (all its cells the same): delete the repeats, "
                   "keeping one row per site.")
        elif repeats.any():
            one = int(repeats.sum()) == 1
            fix = (f"Of them, {first_examples(sorted(repeats.index[repeats]))} "
                   f"{'is a repeated row' if one else 'are repeated rows'} (all cells the "
                   "same): delete the repeats; rename or merge the others.")
        else:
            fix = "Rename or merge the duplicates."
        problems.add(
            f"`{argument}` column {id_col!r} must hold unique site ids; {dup.nunique()} "
            f"{'id occurs' if dup.nunique() == 1 else 'ids occur'} more than once "
            f"({first_examples(sorted(dup.unique()))}; {first!r} on file lines "
            f"{first_examples(lines)}). {fix}"
        )
    if missing_coordinates not in ("raise", "keep"):
        raise DialectGraphError(f"`missing_coordinates` must be 'raise' or 'keep'; got "
                                f"{missing_coordinates!r}.")
    lat = pd.to_numeric(frame[lat_col], errors="coerce")
    lon = pd.to_numeric(frame[lon_col], errors="coerce")
    bad_num = lat.isna() | lon.isna()
    if missing_coordinates == "keep":  # both cells empty: a site placed later (its polygon)
        empty = frame[[lat_col, lon_col]].astype("string").apply(
            lambda c: c.str.strip().fillna("") == "").all(axis=1).to_numpy()
        bad_num &= ~empty
    if bad_num.any():
        which = ids[bad_num].tolist()
        k = int(np.flatnonzero(bad_num.to_numpy())[0])
        shown = f"{frame[lat_col].iloc[k]!r}/{frame[lon_col].iloc[k]!r}"
        comma = pd.concat([frame[lat_col], frame[lon_col]]).astype(str).str.fullmatch(
            r"\s*-?\d+,\d+\s*").any()
        problems.add(
            f"`{argument}` columns {lat_col!r}/{lon_col!r} must be numbers in decimal degrees; "
            f"{int(bad_num.sum())} {'site has' if int(bad_num.sum()) == 1 else 'sites have'} "
            "missing or non-numeric coordinates "
            f"(first: {first_examples(which)}; site {which[0]!r} has {shown}). Fill them in "
            "as decimal degrees (3.5; south and west negative) or as degrees, minutes and "
            "seconds with their hemisphere (3°30′N, 60°23′29″S), which `read_sites` (the "
            "CLI's reader) converts, or remove those sites." + (" Write decimals with a point (44.1194, not 44,1194)." if comma else "")
        )
    lat_bad = ~bad_num & ((lat < -90) | (lat > 90))
    lon_bad = ~bad_num & ((lon < -180) | (lon > 180))
    if lat_bad.any() or lon_bad.any():
        bad = lat_bad | lon_bad
        swapped_ok = lon.between(-90, 90) & lat.between(-180, 180)
        placed = lat.notna() & lon.notna()  # rows left blank ("keep") say nothing
        i = int(np.flatnonzero(bad.to_numpy())[0])
        if swapped_ok[~bad_num & placed].all():
            hint = (" Did you swap the columns? Swapping them would make every coordinate "
                    f"valid; pass lat_col={lon_col!r}, lon_col={lat_col!r} (CLI: --lat-col "
                    f"{lon_col} --lon-col {lat_col}).")
        elif swapped_ok[bad].all():  # the columns are right, a few rows are not
            n_ok, n_bad = int((~bad & ~bad_num & placed).sum()), int(bad.sum())
            # "in range", not "valid": a row swapped within both ranges is not seen here
            # (an audit's Cartwright, lat=-57.02 lon=53.7, among 'the other 68 valid')
            hint = (f" The other {n_ok} {'row is' if n_ok == 1 else 'rows are'} in range, and "
                    f"{'this one is' if n_bad == 1 else f'these {n_bad} are'} in range the "
                    "other way round: latitude and longitude look swapped "
                    f"({first_examples(ids[bad].tolist())}). Swap the two values in "
                    f"{'that row' if n_bad == 1 else 'those rows'} (a row swapped within both "
                    "ranges is looked for once they are right).")
        elif not lat_bad.any() and lon[lon_bad].between(180, 360).all():
            hint = (" They look written from 0 to 360 degrees east: subtract 360 from the "
                    "longitudes above 180 (190 is -170, 170 degrees west).")
        elif not lat_bad.any() and lon[lon_bad].between(-540, -180).all():
            hint = (" They look 360 degrees too far west: add 360 to the longitudes below "
                    f"-180 ({lon.iloc[i]} is {lon.iloc[i] + 360:.6g}).")
        else:
            hint = " Check the coordinates or the column names."
        problems.add(
            f"`{argument}` must hold longitude/latitude in degrees; "
            f"{_rows(int(lat_bad.sum()))} latitude outside [-90, 90] and "
            f"{_rows(int(lon_bad.sum()))} longitude outside [-180, 180] (first: site "
            f"{ids.iloc[i]!r}, lat={lat.iloc[i]}, "
            f"lon={lon.iloc[i]}).{hint}"
        )
    problems.raise_if_any()
    # the source columns go first: they may be called "longitude"/"latitude" the other
    # way round (lat_col="longitude" after a swapped-columns error)
    out = frame.drop(columns=list(dict.fromkeys([id_col, lat_col, lon_col]))).copy()
    out.index = pd.Index(ids.to_numpy(), name="site_id")
    out["latitude"] = lat.to_numpy(dtype=float)
    out["longitude"] = lon.to_numpy(dtype=float)
    geometry = gpd.points_from_xy(out["longitude"], out["latitude"], crs="EPSG:4326")
    geometry[out["latitude"].isna().to_numpy()] = None  # "keep": no point, not POINT(nan nan)
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")


def _rows(n: int) -> str:
    """'1 row has', '3 rows have'."""
    return f"{n} row has" if n == 1 else f"{n} rows have"


def read_sites(
    path: str | os.PathLike,
    *,
    id_col: str = "id",
    lat_col: str = "latitude",
    lon_col: str = "longitude",
    argument: str = "path",
    with_report: bool = False,
    missing_coordinates: str = "raise",
    missing_values: Sequence[str] | None = None,
) -> gpd.GeoDataFrame | tuple[gpd.GeoDataFrame, Report]:
    """Read survey points from a CSV/TSV file with user-named id and coordinate columns.

    Parameters
    ----------
    path : path-like
        CSV (or ``.tsv``) with a header row, or a vector file of points (``.geojson``,
        ``.json``, ``.gpkg``, ``.shp``, ``.fgb``, ``.kml``), whose coordinates come from the
        geometry (in EPSG:4326) and whose attributes are the columns (a KML file's
        placemark names are the site ids, as in a Gabmap map file).
    id_col, lat_col, lon_col : str
        Names of the site-id, latitude and longitude columns. When left at the default
        and missing, a single alias column (``site``, ``lat``, ``lon`` ...; any case) is
        used instead (reported).
    argument : str, default "path"
        Name used in messages (the CLI passes ``"--sites"``).
    with_report : bool, default False
        Return ``(sites, report)`` instead of ``sites``.
    missing_coordinates : {"raise", "keep"}, default "raise"
        Sites whose latitude and longitude are both empty raise, or are kept without a
        point (see :func:`sites_from_frame`).
    missing_values : sequence of str, optional
        Spellings of a missing cell instead of :data:`NA_SPELLINGS` (see
        :func:`read_table`): ``[]`` reads ``NA`` as a value.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 indexed by ``site_id`` with ``latitude``/``longitude`` columns
        and every other column of the file kept as text (cells spelt as missing data,
        e.g. ``NA``, become NaN). With ``with_report=True``, also the :class:`Report` of
        :func:`read_table` (which cells were read as missing).
    """
    if Path(path).suffix.lower() in _VECTOR_SUFFIXES - {".zip"}:
        frame, report = _point_table(path, argument=argument, lat_col=lat_col, lon_col=lon_col)
        if Path(path).suffix.lower() == ".kml" and id_col == "id":
            id_col = _kml_names(frame, report, argument=argument)
    else:
        frame, report = read_table(path, argument=argument, missing_values=missing_values)
    id_col, lat_col, lon_col = (
        _column_alias(frame, given, default, report, argument=argument, what=what, param=param)
        for given, default, what, param in (
            (id_col, "id", "site ids", "id_col"), (lat_col, "latitude", "latitudes", "lat_col"),
            (lon_col, "longitude", "longitudes", "lon_col")))
    if any(e["action"] == "semicolon-separated" for e in report.entries):
        # such files write decimals with a comma: 44,1194 is 44.1194
        for col in (lat_col, lon_col):
            if col in frame.columns:
                text = frame[col].astype("string").str.strip()
                comma = text.str.fullmatch(r"-?\d+,\d+").fillna(False).to_numpy(bool)
                if comma.any():
                    frame.loc[comma, col] = text[comma].str.replace(",", ".", regex=False)
                    report.add("decimal commas", f"{int(comma.sum())} value(s) of column "
                               f"{col!r} written with a decimal comma were read with a point "
                               f"(e.g. {text[comma].iloc[0]!r})")
    for col in (lat_col, lon_col):
        if col in frame.columns and not pd.api.types.is_numeric_dtype(frame[col]):
            # full-width digits, point and minus ('３５．１４', typed in a Japanese or Chinese
            # input mode) are the ASCII ones 0xFEE0 further on (only those: Unicode's NFKC
            # would also write a DMS mark '″' as two primes)
            text = frame[col].astype("string")
            plain = text.str.translate(_FULL_WIDTH)
            wide = (plain != text).fillna(False).to_numpy(bool)
            if wide.any():
                frame.loc[wide, col] = plain[wide]
                report.add("full-width characters", f"{int(wide.sum())} value(s) of column "
                           f"{col!r} written with full-width digits or signs (or the minus "
                           f"sign −) were read as plain ones (e.g. {text[wide].iloc[0]!r} as "
                           f"{plain[wide].iloc[0]!r})")
    for col, axis in ((lat_col, "latitude"), (lon_col, "longitude")):
        if col in frame.columns:
            _read_sexagesimal(frame, col, axis, report, argument=argument)
    if id_col in frame.columns:
        raw = frame[id_col].dropna().astype(str)
        padded = sorted(set(raw[raw.str.strip() != raw]))
        if padded:  # trimmed below, as the survey's ids are, and said as they are
            report.add("trimmed site ids", f"{len(padded)} site id(s) had spaces before or "
                       f"after them (first: {first_examples(padded)}) and were read without "
                       "them")
    sites = sites_from_frame(frame, id_col=id_col, lat_col=lat_col, lon_col=lon_col,
                             argument=argument, missing_coordinates=missing_coordinates)
    # a town's informant typed with a sign lost is refused first: its town-mates say so
    # for certain, where the test of sites apart from all others may only note it
    # the three checks' typos come in one message (an audit fixed a swapped informant of
    # Tallinn, ran again and met swapped Kökar, which the country check had seen)
    problems = Problems()
    named = _note_strays_of_one_place(sites, report, argument=argument, problems=problems)
    confirmed: set[str] = set()
    named |= _check_stated_countries(sites, report, argument=argument, problems=problems,
                                     named=named, confirmed=confirmed)
    _refuse_swapped_looking(sites[sites["latitude"].notna()], argument=argument,
                            report=report, problems=problems, named=named,
                            confirmed=confirmed)
    problems.raise_if_any()
    _note_ids_alike_but_for_case(sites, report, argument=argument)
    return (sites, report) if with_report else sites


def _refuse_typos(typos: dict[int, list[tuple[int, float]]], ids: pd.Index, lat: np.ndarray,
                  lon: np.ndarray, *, rule: str, apart: str,
                  where: Callable[[int, float], str], problems: Problems) -> set[str]:
    """Add to ``problems`` the sites that a move of :data:`_MOVES` (``{move: [(row, km),
    ...]}``) puts where they belong: one problem per move, its sites, and the fix; returns
    their ids."""
    for m, found in typos.items():
        how, _, fix, axis = _MOVES[m]
        shown = [f"{ids[k]!r} (lat={lat[k]:.6g}, lon={lon[k]:.6g}; {where(k, km)})"
                 for k, km in found[:3]]
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        given = np.array([] if axis is None else [(lat, lon)[axis][k] for k, _ in found])
        problems.add(f"{rule}; {len(found)} site(s) {apart} with {how}: {', '.join(shown)}"
                     f"{more}. " + fix(given))
    return {str(ids[k]) for found in typos.values() for k, _ in found}


#: Column names of a sites table that give each site's country (ISO codes or names).
COUNTRY_COLUMNS = ("country", "country_code", "countrycode", "iso2", "iso3", "iso_a2",
                   "iso_a3", "iso_code")
#: A site farther than this (km) outside the country its row names is reported (a coast
#: or an island the 1:10m outline draws coarsely lies within it) ...
COUNTRY_SLACK_KM = 25.0
#: ... and refused when a sign changed, or latitude and longitude exchanged, puts it there,
#: if it lies farther than this (km) outside it (nearer, the column is likelier wrong).
COUNTRY_TYPO_MIN_KM = 100.0
#: Codes and names that Natural Earth's 1:10m countries lack (France and Norway have no
#: ISO codes there; France's polygon holds its overseas departments, Norway's Svalbard)
_COUNTRY_ALIASES = {"uk": "gb", "el": "gr", "fr": "fra", "no": "nor", "xk": "kos",
                    "tw": "twn", "re": "fra", "yt": "fra", "gf": "fra", "gp": "fra",
                    "mq": "fra", "reunion": "fra", "mayotte": "fra", "frenchguiana": "fra",
                    "guadeloupe": "fra", "martinique": "fra", "sj": "nor",
                    "svalbard": "nor", "svalbardandjanmayen": "nor",
                    # ISO codes the 1:10m file folds into their sovereign (TK was "not a
                    # code the countries know", an audit's Tokelau atolls)
                    "tk": "nz", "tokelau": "nz", "bq": "nl", "bonairesinteustatiusandsaba":
                    "nl", "caribbeannetherlands": "nl", "bv": "nor", "bouvetisland": "nor",
                    "cc": "au", "cocoskeelingislands": "au", "cx": "au",
                    "christmasisland": "au"}
#: The columns of Natural Earth's countries that name a country, read by both.
_COUNTRY_NAME_COLUMNS = ("name_long", "name", "sovereignt", "adm0_a3", "iso_a3", "iso_a2")


def country_column(columns: Any) -> Any:
    """The column of ``columns`` that holds the sites' countries (:data:`COUNTRY_COLUMNS`,
    any case), or None."""
    return next((c for c in columns if str(c).strip().lower() in COUNTRY_COLUMNS), None)


def country_keys(value: Any) -> list[str]:
    """The countries a cell names, as compared (:func:`_country_key`): one, or several
    separated by ';' or '|' as Glottolog writes them ('ES;PT'); [] for a blank."""
    if not _country_key(value):
        return []
    return [k for k in map(_country_key, re.split(r"[;|]", str(value))) if k]


@lru_cache(maxsize=1)
def _world_countries() -> tuple[gpd.GeoDataFrame, shapely.STRtree]:
    """The bundled 1:10m ``world_countries`` and an STRtree of its polygons (built once)."""
    from geodata.datasets import load_boundary

    world = load_boundary("world_countries")
    return world, shapely.STRtree(world.geometry.to_numpy())


@lru_cache(maxsize=1)
def _country_lookup() -> dict[str, int]:
    """Each compared key (:func:`_country_key`) of a bundled 1:10m country's codes and
    names -> the country's row in ``world_countries``."""
    world = _world_countries()[0]
    lookup: dict[str, int] = {}
    for col in _COUNTRY_NAME_COLUMNS:
        for k, v in enumerate(world[col].astype(str)):
            if v and v != "-99":
                lookup.setdefault(_country_key(v), k)
    return lookup


def countries_of_places(sites: pd.DataFrame, column: Any) -> tuple[list, list[tuple]]:
    """The sites' stated countries (``column``), each informant's put right where the
    other informants of its place (a ``name`` column: the sites of one name within
    :data:`PLACE_KM` of their median), two at least, all name one country and it names
    none of theirs: a typo in one cell (an audit's Maastricht_2 'DE', beside two 'NL',
    was put in Germany 18 km away and its edges to Dutch sites flagged).

    Returns
    -------
    list
        One value per site (the town-mates' where put right).
    list of tuple
        ``(position, given, town-mates' value)`` for each site put right.
    """
    values = list(sites[column])
    # a country by code or by name is one ('Argentina' beside two 'AR' was "another
    # country than its town-mates'", an audit's)
    lookup = _country_lookup()
    keys = [frozenset(lookup.get(c, c) for c in country_keys(v)) for v in values]
    fixed = []
    for rows, km in _sites_of_one_name(sites):
        rows = rows[km <= PLACE_KM]
        if len(rows) < 3:
            continue
        for k in rows:
            mates = {keys[m] for m in rows if m != k}
            if len(mates) != 1 or not keys[k]:
                continue
            theirs = next(iter(mates))
            if theirs and not keys[k] & theirs:
                fixed.append((int(k), values[k], values[next(m for m in rows if m != k)]))
    for k, _, mate_value in fixed:
        values[k] = mate_value
    return values, fixed


def _country_key(value: Any) -> str:
    """A country's code or name as compared: accents, case, spaces and punctuation
    folded, aliases resolved ('Dem. Rep. Korea', 'dem_rep_korea' and 'DemRepKorea' alike;
    'UK' is 'GB'); '' for a blank."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    key = re.sub(r"[^0-9a-z]+", "", _bare(str(value)).casefold())
    return _COUNTRY_ALIASES.get(key, key)


def _check_stated_countries(sites: gpd.GeoDataFrame, report: Report, *, argument: str,
                            problems: Problems, named: set[str] = frozenset(),
                            confirmed: set[str] | None = None) -> set[str]:
    """Check the sites against a country column (ISO 3166 codes or English names of the
    bundled 1:10m countries): a site farther than :data:`COUNTRY_SLACK_KM` outside its
    country that a changed sign or exchanged coordinates would put in it is refused (an
    audit's Dakar, Kaolack, Bamako and Conakry without their minus lay in Chad and Nigeria,
    among the survey's own sites, where no test of sites apart can see them); one that no
    such change explains is reported. A column most of whose values name no country is no
    country column (nothing is checked). A cell may name several countries, as Glottolog
    writes them ('ES;PT'): the site is in any of them. The refused go to ``problems``
    (their ids returned); the sites ``named`` by an earlier check are not checked; the
    ids of the sites within :data:`COUNTRY_SLACK_KM` of their country are added to
    ``confirmed`` (no test of sites apart may take them for typos)."""
    column = country_column(sites.columns)
    if column is None or not len(sites):
        return set()
    stated = sites[column].astype("string").str.strip()
    known = stated.notna() & (stated != "")
    if not known.any():
        return set()
    world, world_tree = _world_countries()
    lookup = _country_lookup()
    # one cell of several countries ('ES;PT', Glottolog's) switched the whole check off
    # (an audit's Coimbra, its minus dropped, went to Sardinia unsaid)
    keys = stated[known].map(country_keys)
    values = pd.unique(np.array([k for ks in keys for k in ks], dtype=object))
    # not a column of countries: most values and most rows name none (one spelling of four
    # unknown, 'Malvinas' beside CL, AR and FK, switched the check off for every row unsaid)
    rows_known = keys.map(lambda ks: any(k in lookup for k in ks)).mean()
    if not len(values) or (pd.Series(values).map(lookup).notna().mean() < 0.8
                           and rows_known < 0.8):
        return set()
    # a sovereign state's code covers its dependencies: Guam typed US (an audit's sites
    # were "4,158 km outside 'US'"), Greenland typed DK
    sov = world["sovereignt"].astype(str)
    its_name = ((world["name"].astype(str) == sov) | (world["name_long"].astype(str) == sov))
    area = shapely.area(world.geometry.to_numpy())  # degrees², to rank within a group
    deps: dict[int, list[int]] = {}
    for members in pd.Series(np.arange(len(world))).groupby(sov.to_numpy()).agg(list):
        if len(members) < 2:
            continue
        # the state's own polygon: the one of its name ('Denmark'), else the largest
        # ('United States' for 'United States of America')
        mine = [m for m in members if its_name.iloc[m]]
        head = mine[0] if mine else max(members, key=lambda m: area[m])
        deps[int(head)] = [int(m) for m in members if m != head]
    row = keys.map(lambda ks: [m for k in ks if k in lookup
                               for m in (lookup[k], *deps.get(lookup[k], ()))])
    unknown = [str(v) for v in stated[known][row.map(len).eq(0)].unique()]
    if unknown:  # a code the 1:10m file lacks turned the whole check off unsaid (YT)
        unchecked = sites.index[np.flatnonzero(known.to_numpy())[row.map(len).eq(0)]]
        report.add("countries not known",
                   f"{len(unchecked)} site(s) name a country the bundled 1:10m countries do "
                   f"not know ({first_examples(unknown, 5)}): their coordinates were not "
                   "checked against it. Write an ISO 3166 code or an English name",
                   [str(i) for i in unchecked])
    from geodata._geo import great_circle_km

    geoms = world.geometry.to_numpy()
    lat, lon = sites["latitude"].to_numpy(float), sites["longitude"].to_numpy(float)

    def km_outside(ks: list[int], la: float, lo: float) -> float:
        """km from the nearest of the countries ``ks`` (0 inside one)."""
        if not (np.isfinite(la) and np.isfinite(lo)) or abs(la) > 90 or abs(lo) > 180:
            return np.inf
        point = shapely.Point(lo, la)
        best = np.inf
        for k in ks:
            if geoms[k].covers(point):
                return 0.0
            # the nearest point looked for from the point and its copies 360° east and
            # west: a country's part across 180° (New Zealand's Kermadecs from Suva) lay
            # 350° away in plain degrees, and the distance said was to the far part
            for shift in (0.0, 360.0, -360.0):
                near = shapely.get_coordinates(shapely.shortest_line(
                    shapely.Point(lo + shift, la), geoms[k]))[-1]
                best = min(best, float(great_circle_km(lo, la, near[0], near[1])))
        return best

    typos: dict[int, list[tuple[int, float]]] = {}
    astray: list[tuple[int, float]] = []
    hint: dict[int, str] = {}  # a change that puts a site at sea in its country
    positions = np.flatnonzero(known.to_numpy())
    for pos, ks in zip(positions, row.tolist()):
        if not ks or str(sites.index[pos]) in named:
            continue
        far = km_outside(ks, lat[pos], lon[pos])
        if far <= COUNTRY_SLACK_KM:
            if confirmed is not None:
                confirmed.add(str(sites.index[pos]))
            continue
        # a site near its stated country is more likely stated in the wrong one than
        # mistyped: an audit's Tachelhit point, in Morocco 47 km from Algeria (Glottolog's
        # 'DZ;MA' cut to 'DZ'), was told to lose its minus, 1,500 km into the Sahara
        for m, (_, move, _, _) in enumerate(_MOVES if far > COUNTRY_TYPO_MIN_KM else ()):
            if km_outside(ks, *move(lat[pos], lon[pos])) <= COUNTRY_SLACK_KM:
                typos.setdefault(m, []).append((pos, far))
                break
        else:
            astray.append((pos, far))
            # one nearer at sea, in no country, is said so, not refused (an islet the
            # borders lack may lie there): an audit's Valencia without its minus lay 59 km
            # out in the Balearic Sea, kept as a disc of water without a word of the sign
            if far <= COUNTRY_TYPO_MIN_KM and not world_tree.query(
                    shapely.Point(lon[pos], lat[pos]), predicate="within").size:
                fits = [what for what, move, _, _ in _MOVES
                        if km_outside(ks, *move(lat[pos], lon[pos])) <= COUNTRY_SLACK_KM]
                if fits:
                    hint[pos] = fits[0]
    refused = _refuse_typos(
        typos, sites.index, lat, lon,
        rule=f"`{argument}` rows must put each site in the country its {column!r} column names",
        apart="lie outside it but would lie in it",
        where=lambda k, km: f"{km:,.0f} km outside {stated.iloc[k]!r}", problems=problems)
    if astray:
        # one in no country at all is at sea or on an islet the 1:10m borders lack (an
        # audit's Dokdo and the eastern Torres Strait islands): its data may well be right
        lies_in = {}  # the country a site lies in, None for none
        for k, _ in astray:
            hit = world_tree.query(shapely.Point(lon[k], lat[k]), predicate="within")
            lies_in[k] = str(world["name"].iloc[int(hit[0])]) if len(hit) else None
        nowhere = {k for k, c in lies_in.items() if c is None}
        # those inside another country first, the farthest first: an audit's Kolonia typed
        # PW (in Micronesia, 2,591 km off) came after 41 atolls the borders lack
        astray.sort(key=lambda kd: (kd[0] in nowhere, -kd[1]))
        from geodata.graph.edges import OFF_COAST_HOME_M

        off = {}  # a site in no country just off one's coast: barriers put it there
        for k in nowhere:
            near = int(world_tree.nearest(shapely.Point(lon[k], lat[k])))
            km = km_outside([near], lat[k], lon[k])
            if km * 1000 <= OFF_COAST_HOME_M:
                off[k] = f"{km:.1f} km off {world['name'].iloc[near]}, so in it for barriers"
        shown = [f"{sites.index[k]!r} ({km:,.0f} km outside {stated.iloc[k]!r}, in "
                 f"{lies_in[k] or 'no country'}"
                 + (f": {off[k]}" if k in off else "")
                 + (f"; in it with {hint[k]}" if k in hint else "") + ")"
                 for k, km in astray[:5]]
        more = f" and {len(astray) - 5} more" if len(astray) > 5 else ""
        report.add("sites outside their country",
                   f"{len(astray)} site(s) lie more than {COUNTRY_SLACK_KM:g} km outside the "
                   f"country their {column!r} column names (Natural Earth's 1:10m borders): "
                   f"{', '.join(shown)}{more}. Kept as given (barriers of countries flag "
                   "their edges by the country they lie in); check their coordinates or the "
                   "column" + (
                       f" ({len(nowhere)} lie in no country: at sea, or on an island the "
                       "1:10m borders lack; barriers of countries put one within "
                       f"{OFF_COAST_HOME_M / 1000:g} km of a country's coast in that country, "
                       "one farther out in its column's)" if nowhere else ""),
                   [str(sites.index[k]) for k, _ in astray])
    return refused


#: Informants of one place (sites sharing a name) lie within this (km) of their median ...
PLACE_KM = 5.0
#: ... and one of them this far (km) from it is reported: a coordinate typo, most likely
#: (nearer when the others lie closer together: :data:`STRAY_SPREADS`).
STRAY_KM = 25.0
#: One is also reported beyond this many times the others' farthest distance from their
#: median, and :data:`PLACE_KM` (an audit's Izmail_2, typed 20 km from its town-mates 0.3
#: km apart, got its own region without a word).
STRAY_SPREADS = 10.0


def place_names(sites: pd.DataFrame) -> pd.Series | None:
    """The sites' names as compared (spaces around and case folded; NA for a blank), from
    their one ``name`` column (any case), or None without one: informants of one place
    share a name."""
    names = [c for c in sites.columns if str(c).strip().lower() == "name"]
    if len(names) != 1:
        return None
    name = sites[names[0]].astype("string").str.strip().str.casefold()
    return name.mask(name == "")


def _sites_of_one_name(sites: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """The positions of the sites of each name (:func:`place_names`) with coordinates,
    three at least (the informants of a place), and each one's great-circle km from their
    median; [] without one ``name`` column."""
    name = place_names(sites)
    if name is None or "latitude" not in sites.columns:
        return []
    from geodata._geo import great_circle_km

    lat = sites["latitude"].to_numpy(float)
    lon = sites["longitude"].to_numpy(float)
    known = name.notna().to_numpy()
    out = []
    for rows in name[known].groupby(name[known], sort=False).indices.values():
        rows = np.flatnonzero(known)[rows]
        rows = rows[np.isfinite(lat[rows]) & np.isfinite(lon[rows])]
        if len(rows) >= 3:
            out.append((rows, great_circle_km(np.median(lon[rows]), np.median(lat[rows]),
                                              lon[rows], lat[rows])))
    return out


def _note_strays_of_one_place(sites: gpd.GeoDataFrame, report: Report, *, argument: str,
                              problems: Problems) -> set[str]:
    """Report a site far (over :data:`STRAY_KM`, or :data:`STRAY_SPREADS` times as far as
    they lie from their median, at least :data:`PLACE_KM`) from the others of its name when
    those lie together (within :data:`PLACE_KM` of their median): one informant of a town typed with
    a sign dropped or a digit wrong (an audit's Nairobi_2, 288 km from its three town-mates,
    got no word: near the equator a dropped minus moves a site little). One that would lie
    with them with a sign changed, or latitude and longitude exchanged, is a typo for
    certain: refused (an audit's Galway_1 at +9.057 lay in Lower Saxony, Manchester_1 in
    the North Sea, with a note among twenty). The refused go to ``problems`` (their ids
    returned)."""
    names = [c for c in sites.columns if str(c).strip().lower() == "name"]
    if len(names) != 1:
        return set()
    from geodata._geo import great_circle_km

    lat = sites["latitude"].to_numpy(float)
    lon = sites["longitude"].to_numpy(float)
    strays = []
    for rows, km in _sites_of_one_name(sites):
        together = km[km <= PLACE_KM]
        limit = STRAY_KM if not together.size else min(
            STRAY_KM, max(PLACE_KM, STRAY_SPREADS * float(together.max())))
        far = km > limit
        if far.any() and (km[~far] <= PLACE_KM).all() and far.sum() < (~far).sum():
            strays += [(rows[k], float(km[k]), float(np.median(lon[rows[~far]])),
                        float(np.median(lat[rows[~far]]))) for k in np.flatnonzero(far)]
    typos: dict[int, list[tuple[int, float]]] = {}
    for k, far_km, at_lon, at_lat in strays:
        if far_km <= STRAY_KM:
            continue  # said, not refused: near the prime meridian or the equator a sign
            # changed moves a site a few km only, and a right one could look like a typo
        for m, (_, move, _, _) in enumerate(_MOVES):
            la, lo = move(lat[k], lon[k])
            if abs(la) <= 90 and great_circle_km(at_lon, at_lat, lo, la) <= PLACE_KM:
                typos.setdefault(m, []).append((k, far_km))
                break
    refused = _refuse_typos(
        typos, sites.index, lat, lon,
        rule=f"`{argument}` rows must give each site's latitude and longitude as the other "
             "sites of its name (informants of one place) have them",
        apart="lie far from those, which lie together, but would lie among them",
        where=lambda k, km: f"{km:,.0f} km from the other sites named "
                            f"{str(sites[names[0]].iloc[k]).strip()!r}", problems=problems)
    strays = [x for x in strays if str(sites.index[x[0]]) not in refused]
    if strays:
        shown = [f"{sites.index[k]!r} ({km:,.0f} km from the other sites named "
                 f"{str(sites[names[0]].iloc[k]).strip()!r})" for k, km, _, _ in strays[:3]]
        report.add("sites apart from their place",
                   f"`{argument}` has {len(strays)} site(s) far from the other sites of their "
                   f"name, which lie together: {', '.join(shown)}"
                   f"{' ...' if len(strays) > 3 else ''}. Kept as given; if the coordinates "
                   "are a typo (a sign dropped, a digit wrong), correct them",
                   [str(sites.index[k]) for k, _, _, _ in strays])
    return refused


def _note_ids_alike_but_for_case(sites: gpd.GeoDataFrame, report: Report, *,
                                 argument: str) -> None:
    """Report site ids that differ from another only by case ('savoonga' and 'Savoonga'):
    they are kept as two sites, but at one place they are likely one site typed twice."""
    folded = pd.Series(sites.index.astype(str), index=sites.index).str.casefold()
    alike = folded.duplicated(keep=False).to_numpy()
    if not alike.any():
        return
    from geodata._geo import great_circle_km

    lat = sites["latitude"].to_numpy(float)
    lon = sites["longitude"].to_numpy(float)
    groups = []
    for _, rows in folded[alike].groupby(folded[alike], sort=False).indices.items():
        rows = np.flatnonzero(alike)[rows]
        far = np.asarray(great_circle_km(lon[rows[0]], lat[rows[0]], lon[rows[1:]],
                                         lat[rows[1:]]), dtype=float).max()
        where = ("at one place" if far < 1.0 else f"{far:,.0f} km apart"
                 if np.isfinite(far) else "")
        names = " and ".join(repr(str(i)) for i in sites.index[rows])
        groups.append(f"{names}{f' ({where})' if where else ''}")
    report.add("site ids alike but for case",
               f"`{argument}` has {len(groups)} group(s) of site ids that differ only by "
               f"case ({'; '.join(groups[:3])}{' ...' if len(groups) > 3 else ''}); they are "
               "read as different sites. If one place was entered twice, keep one row (and "
               "one id in the survey)")


#: Full-width ASCII (U+FF01 to U+FF5E), the ideographic space and the minus sign (U+2212,
#: a word processor's), as their plain forms.
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x2212: 0x2D}

_NUMBER = r"\d+(?:[.,]\d+)?"
#: Degrees, minutes and seconds as atlases print them: 60°23′29″N, 60°23.5'N, N 60°23′,
#: 5d19m20sE, 60:23:29N, -4°35′. A hemisphere letter (N, S, E, W) or a mark (°, ′, ″, :) is
#: needed: "60 23" could be a typo of 60.23.
_SEXAGESIMAL = re.compile(
    rf"(?P<pre>[NSEW])?\s*(?P<sign>[-+−])?\s*(?P<deg>{_NUMBER})\s*(?:[°º˚]|(?-i:d)|:|\s)?\s*"
    rf"(?:(?P<min>{_NUMBER})\s*(?:[′'’]|(?-i:m)|:|\s)?\s*"
    rf"(?:(?P<sec>{_NUMBER})\s*(?:[″\"”]|(?-i:s)|′′|''|’’)?)?)?\s*(?P<post>[NSEW])?",
    re.IGNORECASE)
_MARKED = re.compile(r"[°º˚′'’″\"”:]|\d\s*(?-i:[dms])|[NSEW]", re.IGNORECASE)


def parse_sexagesimal(text: str, *, axis: str | None = None) -> float:
    """A coordinate in degrees, minutes and seconds, in decimal degrees.

    Parameters
    ----------
    text : str
        The coordinate as written: ``"60°23′29″N"``, ``"60°23.5'N"``, ``"N 60°23′"``,
        ``"5d19m20sE"``, ``"60:23:29N"``, ``"-4°35′"``; decimal commas are read
        (``"29,5″"``). South and west (a letter or a minus sign) are negative.
    axis : {"latitude", "longitude"}, optional
        The axis the value belongs to: a latitude with an E/W letter (or a longitude with
        N/S) raises.

    Returns
    -------
    float
        Decimal degrees.

    Raises
    ------
    ValueError
        When ``text`` is not such a coordinate (minutes or seconds of 60 or more, a
        fraction followed by smaller units, two hemisphere letters, a letter of the other
        axis, letters other than N, S, E, W).

    Examples
    --------
    >>> round(parse_sexagesimal("60°23′29″N"), 5)
    60.39139
    >>> parse_sexagesimal("4°30′W", axis="longitude")
    -4.5
    """
    raw = str(text).strip()
    match = _SEXAGESIMAL.fullmatch(raw)
    if match is None and re.fullmatch(r"[Oo]?[^A-Za-z]*\d[^A-Za-z]*[Oo]?", raw) and re.search(
            r"[Oo]", raw):  # a Spanish atlas's "72°56'10\"O"
        raise ValueError(f"{text!r} has the hemisphere letter O, which is west in Spanish, "
                         "French, Italian and Portuguese (oeste, ouest, ovest) and east in "
                         "German and Dutch (Ost, oost): write W or E")
    if not raw or match is None or not _MARKED.search(raw):
        raise ValueError(f"{text!r} is not a coordinate in degrees, minutes and seconds")
    pre, post = match["pre"], match["post"]
    if pre and post:
        raise ValueError(f"{text!r} has two hemisphere letters")
    letter = (pre or post or "").upper()
    if letter and axis is not None and letter not in ("NS" if axis == "latitude" else "EW"):
        raise ValueError(f"{text!r} is a {'longitude' if letter in 'EW' else 'latitude'} "
                         f"(hemisphere {letter}), not a {axis}")
    if letter in ("S", "W") and match["sign"]:
        raise ValueError(f"{text!r} has both a sign and a hemisphere letter")

    def number(part: str | None) -> float:
        return float(part.replace(",", ".")) if part else 0.0

    minutes, seconds = number(match["min"]), number(match["sec"])
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"{text!r} has minutes or seconds of 60 or more")
    if (match["min"] and re.search(r"[.,]", match["deg"])) or (
            match["sec"] and re.search(r"[.,]", match["min"] or "")):
        raise ValueError(f"{text!r} has a fraction of a degree (or minute) followed by "
                         "minutes (or seconds)")
    value = number(match["deg"]) + minutes / 60 + seconds / 3600
    negative = letter in ("S", "W") or match["sign"] in ("-", "−")
    return -value if negative else value


def _read_sexagesimal(frame: pd.DataFrame, col: str, axis: str, report: Report, *,
                      argument: str) -> None:
    """Convert the cells of ``col`` written in degrees, minutes and seconds to decimal
    degrees (reported); cells that cannot be read are left for the coordinate checks of
    :func:`sites_from_frame`, except a hemisphere letter of the other axis (swapped
    columns), which raises here."""
    text = frame[col].astype("string").str.strip()
    candidate = (text.notna() & (text != "") & pd.to_numeric(text, errors="coerce").isna()
                 & text.str.contains(_MARKED, regex=True).fillna(False)).to_numpy(bool)
    if not candidate.any():
        return
    values, other_axis, unread = {}, [], []
    for i in np.flatnonzero(candidate):
        try:
            values[i] = parse_sexagesimal(text.iloc[i], axis=axis)
        except ValueError as err:
            if "not a " + axis in str(err):
                other_axis.append(text.iloc[i])
            elif re.search(r"\d\s*[°º˚′'’″\"”:]", text.iloc[i]):  # DMS, wrongly
                unread.append((text.iloc[i], str(err)))
    if other_axis:
        other = "lat_col" if axis == "longitude" else "lon_col"
        raise DialectGraphError(
            f"`{argument}` column {col!r} must hold {axis}s; {len(other_axis)} value(s) carry "
            f"the hemisphere letter of a {'longitude' if axis == 'latitude' else 'latitude'} "
            f"({first_examples(other_axis)}). Did you swap the columns? Pass the other column "
            f"as {other} (CLI: --{other.replace('_', '-')}).")
    if unread:
        # one reason once, with its first values ("'72°56'O' and 336 more have the
        # hemisphere letter O ...", not the same explanation three times)
        by_reason: dict[str, list[str]] = {}
        for value, err in unread:
            head = repr(str(value))
            why = err[len(head):].strip() if err.startswith(head) else err
            by_reason.setdefault(why, []).append(str(value) if err.startswith(head) else "")
        said = []
        for why, vals in list(by_reason.items())[:3]:
            shown = [v for v in vals if v]
            if len(shown) > 1:  # 'x', 'y' and 3 more have ...
                why = re.sub(r"^has ", "have ", re.sub(r"^is ", "are ", why))
            said.append(f"{first_examples(shown, 2)} {why}" if shown else why)
        raise DialectGraphError(
            f"`{argument}` column {col!r} must hold {axis}s in decimal degrees or in degrees, "
            f"minutes and seconds; {len(unread)} value(s) written in degrees and minutes "
            f"cannot be read: {'; '.join(said)}{' ...' if len(by_reason) > 3 else ''}. "
            "Correct them (minutes and seconds run from 0 to 59; the hemisphere is N, S, E "
            "or W, or a minus sign for south and west).")
    if not values:
        return
    rows = list(values)
    frame.loc[frame.index[rows], col] = [repr(values[i]) for i in rows]
    first = rows[0]
    bare = [text.iloc[i] for i in rows if not re.search(r"[NSEW]|^\s*[-+−]", text.iloc[i],
                                                         re.IGNORECASE)]
    said = ""
    if bare:
        said = (f"; {len(bare)} of them have no hemisphere letter or sign "
                f"({first_examples(bare)}) and were read as "
                f"{'north' if axis == 'latitude' else 'east'} (positive)")
    report.add("degrees, minutes and seconds",
               f"{len(rows)} value(s) of column {col!r} written in degrees, minutes and "
               f"seconds were converted to decimal degrees (e.g. {text.iloc[first]!r} -> "
               f"{values[first]:.6f}){said}")


#: A site lies apart when its nearest other site is this many times the survey's median
#: spacing away (and 300 km at least); it looks swapped when, latitude and longitude
#: exchanged, it would lie within twice that spacing (50 km at least) of another site.
SWAP_APART = 10.0
#: ... unless this share of the survey's other sites, exchanged, would lie among them too
#: (a survey spread over the world: the test cannot tell a swap from chance), or that
#: share times the sites apart makes half a site found by chance.
SWAP_CHANCE = 0.05
#: Sites apart in groups of more than this many are a part of the survey, not typos.
SWAP_GROUP = 3


def _refuse_swapped_looking(sites: gpd.GeoDataFrame, *, argument: str,
                            report: Report | None = None, problems: Problems | None = None,
                            named: set[str] = frozenset(),
                            confirmed: set[str] = frozenset()) -> None:
    """Raise for sites far from every other site that would lie among them with latitude
    and longitude exchanged, or a sign changed (valid both ways, so no range check sees
    it: an audit's ten swapped Mediterranean sites landed in Arabia and were only
    "detached groups"; ten Chilean longitudes typed without their minus landed in the
    Indian Ocean; four swapped Baltic rows, only noted, stretched the regions and the
    maps to Oman). A control keeps a survey spread over the world, where a moved point
    lands near some site by chance, from being refused. With ``problems``, they are added
    to it (not raised); the sites ``named`` by an earlier check are not named again, nor
    the sites ``confirmed`` by the country their ``country`` column names (an audit's
    Faroese and Icelandic sites, FO and IS where they lie, 609 km from a Norwegian
    survey, were told to lose their minus, into Sogn)."""
    from scipy.spatial import cKDTree

    from geodata._geo import EARTH_RADIUS_KM

    lat, lon = sites["latitude"].to_numpy(float), sites["longitude"].to_numpy(float)
    if len(sites) < 5:
        return

    def unit(la: np.ndarray, lo: np.ndarray) -> np.ndarray:
        la, lo = np.radians(la), np.radians(lo)
        return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

    def km(chord: np.ndarray) -> np.ndarray:
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))

    xyz = unit(lat, lon)
    tree = cKDTree(xyz)
    # each site's nearest other sites (k fixed: no pairs within a radius, which a dense
    # survey of 20,000 sites would make 10^8)
    chord, _ = tree.query(xyz, k=min(SWAP_GROUP + 1, len(sites)))
    # the spacing of the places, not of the sites (an audit's 287 of 348 Glottolog
    # dialects at their language's point made it "0 m")
    places = np.unique(np.round(xyz, 9), axis=0)
    spacing = (float(np.median(km(cKDTree(places).query(places, k=2)[0][:, 1])))
               if len(places) > 1 else 0.0)
    gap = max(SWAP_APART * spacing, 300.0)
    # apart: fewer than SWAP_GROUP other sites within the gap (a typo is a row, not a
    # region: a group of more is a part of the survey of its own, as East Africa in a
    # sample of the world's languages); the body is the rest
    apart = km(chord[:, -1]) > gap
    # ... and the sites of a group apart from the main body by more than the gap, when it
    # is small (a quarter of the sites at most): an audit's nine Québec longitudes typed
    # without their minus lay together in Central Asia, 6,800 km from the rest, unsaid
    # (the control below keeps a far part of a survey spread over the world from refusal)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    links = tree.query_pairs(2 * np.sin(gap / (2 * EARTH_RADIUS_KM)), output_type="ndarray")
    n = len(sites)
    _, part = connected_components(coo_matrix(
        (np.ones(len(links)), (links[:, 0], links[:, 1])), shape=(n, n)), directed=False)
    sizes = np.bincount(part)
    main = int(np.argmax(sizes))
    apart |= (part != main) & (sizes[part] <= n // 4)
    # a site an earlier check refused is no place to move the others to (Stanley_2, its
    # minus dropped, drew its two town-mates' "remove the minus sign", an audit's)
    typo = sites.index.astype(str).isin(list(named))
    body = ~apart & ~typo
    sound = np.flatnonzero(~typo)  # the sites a moved one may land beside
    sound_tree = cKDTree(xyz[sound]) if typo.any() else tree
    if body.sum() * 2 <= len(sites):  # no main body to be apart from
        return
    inside = cKDTree(xyz[body])
    among = max(2 * spacing, 50.0)
    # exchanged (a longitude beyond 90 cannot be a latitude), or a sign lost (western
    # longitudes typed without their minus: an audit's Chilean sites landed in the Indian
    # Ocean), or a sign given that was not there
    moves = (("latitude and longitude exchanged", lambda la, lo: (lo, la),
              lambda la, lo: np.abs(lo) <= 90,
              "Exchange the two values in those rows."),
             ("the longitude's sign changed", lambda la, lo: (la, -lo),
              lambda la, lo: lo != 0, _sign_fix("longitude", "west of Greenwich",
                                                "east of Greenwich")),
             ("the latitude's sign changed", lambda la, lo: (-la, lo),
              lambda la, lo: la != 0, _sign_fix("latitude", "south of the equator",
                                                "north of the equator")))
    said = sites.index.astype(str).isin(list(named) + list(confirmed))
    # without a country column, the way past a group rightly apart is to state it
    past = ("" if country_column(sites.columns) is not None else
            " If they are right where they are (islands far from the rest), give the sites a "
            "`country` column (ISO codes or names): a site in the country it states is never "
            "taken for a typo.")
    own_problems = problems is None
    problems = Problems() if problems is None else problems
    for how, move, can, fix in moves:
        who = np.flatnonzero(apart & can(lat, lon) & ~said)
        if not who.size:
            continue
        # the control: where the body's own sites land moved. A survey spread over the
        # world has a site near almost any point, so a lone site's moved point lands
        # "among" them by chance; then the test says nothing
        own = np.flatnonzero(body & can(lat, lon))
        moved = km(np.linalg.norm(unit(*move(lat[own], lon[own])) - xyz[own], axis=1)) > among
        by_chance = False
        if moved.any():
            chance = np.mean(km(inside.query(unit(*move(lat[own[moved]],
                                                         lon[own[moved]])))[0]) <= among)
            by_chance = chance > SWAP_CHANCE or chance * len(who) >= 0.5
        near_now = km(inside.query(xyz[who])[0])
        # moved, near the body or any other site (an audit's swapped Opuwo lands 200 km
        # from Oshakati, itself 618 km from the body, and was "no exchange puts it among
        # them"); the moved point is far from where it was, so not at itself
        to = unit(*move(lat[who], lon[who]))
        near_moved = km(inside.query(to)[0])
        # ... but not a site beside it (near Greenwich a sign changed moves a site a few km,
        # among its own town-mates)
        d_any, j_any = sound_tree.query(to)
        j_any = sound[j_any]
        far_from_it = km(np.linalg.norm(xyz[j_any] - xyz[who], axis=1)) > gap
        near_moved = np.where(far_from_it, np.minimum(near_moved, km(d_any)), near_moved)
        # among them, or as near as the apart ones are far, and 10 times nearer than now
        # (Arica, the survey's northernmost, is 100 km from the next site)
        hit = who[(near_moved <= among) | ((near_moved <= gap) & (10 * near_moved <= near_now))]
        if not hit.size:
            continue
        said[hit] = True
        far = near_now[np.isin(who, hit)]
        shown = [f"{sites.index[k]!r} (lat={lat[k]:.6g}, lon={lon[k]:.6g})" for k in hit[:3]]
        more = f" and {len(hit) - 3} more" if len(hit) > 3 else ""
        if callable(fix):
            fix = fix((lon if "longitude" in how else lat)[hit])
        if by_chance:
            # the survey's own sites, moved so, land among it too (one straddling the
            # equator): the test cannot tell a typo from chance, so it is said, not refused
            # (an audit's Ivatan, 20.77 typed for -20.77... the other way, lay in Australia)
            if report is not None:
                report.add("sites apart from the others",
                           f"{len(hit)} site(s) lie apart from the others ({far.min():,.0f} km "
                           f"from them at least; the median spacing is {km_text(spacing)}) and "
                           f"would lie among them with {how}: {', '.join(shown)}{more}. Kept "
                           "as given (many of this survey's sites would land among the others "
                           f"so, by chance); if it is a typo: {fix[0].lower()}{fix[1:]}",
                           [str(sites.index[k]) for k in hit])
            continue
        problems.add(
            f"`{argument}` rows must give each site's latitude and longitude as the others "
            f"do; {len(hit)} site(s) lie apart from the others ({far.min():,.0f} km from them "
            f"at least; the median spacing is {km_text(spacing)}) but would lie among them "
            f"with {how}: {', '.join(shown)}{more}. {fix}{past}")
    # the lone ones: not a group apart, a part of the survey of its own (an audit's Bengal
    # and Andaman sites, a third of its survey, were listed beside an unrelated typo)
    unsaid = np.bincount(part[~said], minlength=len(sizes))  # each group's others unsaid
    rest = np.flatnonzero(apart & ~said & (unsaid[part] == 1))
    if problems and rest.size:
        # the other sites apart, which no move explains, are named in the same message: an
        # audit fixed the three named and met Cape Dorset (+76.54, in Siberia) next
        gone = km(inside.query(xyz[rest])[0])
        shown = [f"{sites.index[k]!r} (lat={lat[k]:.6g}, lon={lon[k]:.6g}; {d:,.0f} km from "
                 "them)" for k, d in zip(rest[:3], gone[:3])]
        more = f" and {rest.size - 3} more" if rest.size > 3 else ""
        # a note on the last problem, not a problem of its own: an audit's 53 right island
        # sites beside one typo read as "2 problems"
        problems.items[-1] += (
            f" (Besides, {rest.size} more site(s) lie apart from the others, which no "
            f"exchange or change of sign puts among them: {', '.join(shown)}{more}. They "
            "may be right (islands, a survey's outliers); if not, check their coordinates "
            "too.)")
    elif rest.size and report is not None:
        # said even with nothing refused: an audit's Hangzhou typed 40.27 for 30.27, 1,100
        # km north of every other site, built a region of 2.8 million km² unsaid
        gone = km(inside.query(xyz[rest])[0])
        order = rest[np.argsort(-gone, kind="stable")]
        far_km = dict(zip(rest, gone))
        shown = [f"{sites.index[k]!r} (lat={lat[k]:.6g}, lon={lon[k]:.6g}; "
                 f"{far_km[k]:,.0f} km from them)" for k in order[:3]]
        more = f" and {rest.size - 3} more" if rest.size > 3 else ""
        report.add("sites apart from the others",
                   f"{rest.size} site(s) lie apart from the others (the median spacing is "
                   f"{km_text(spacing)}), which no exchange or change of sign puts among "
                   f"them: {', '.join(shown)}{more}. Kept as given: they may be right "
                   "(islands, a survey's outliers); if not, check their coordinates (a "
                   "digit mistyped?)", [str(sites.index[k]) for k in order])
    if own_problems:
        problems.raise_if_any()


def _sign_fix(coordinate: str, negative: str, positive: str) -> Callable[[np.ndarray], str]:
    """The fix for values of ``coordinate`` whose sign looks changed, by the signs given:
    a minus lost (the values are positive) or one typed that is not there (negative)."""
    def fix(given: np.ndarray) -> str:
        if (given > 0).all():
            return f"Put the minus sign back: {negative} {coordinate}s are negative."
        if (given < 0).all():
            return f"Remove the minus sign: {positive} {coordinate}s are positive."
        return (f"Change their sign: {negative} {coordinate}s are negative, {positive} "
                "positive.")
    return fix


#: The typos of a coordinate pair that the checks undo: (what, the move, the fix for the
#: values given, which value the fix is about: 0 latitude, 1 longitude, None both).
_MOVES = (("the longitude's sign changed", lambda la, lo: (la, -lo),
           _sign_fix("longitude", "west of Greenwich", "east of Greenwich"), 1),
          ("the latitude's sign changed", lambda la, lo: (-la, lo),
           _sign_fix("latitude", "south of the equator", "north of the equator"), 0),
          ("latitude and longitude exchanged", lambda la, lo: (lo, la),
           lambda _: "Exchange the two values in those rows.", None))


def _kml_names(frame: pd.DataFrame, report: Report, *, argument: str) -> str:
    """The id column of a KML file's points: its placemarks' names (a Gabmap map file;
    the placemarks' own ids, when a program wrote any, are ``map.1``, ``map.2`` ...) when
    every placemark has one; an empty ``id`` column is dropped."""
    name = next((c for c in frame.columns if str(c).strip().lower() == "name"), None)
    if name is None or frame[name].isna().any():
        return "id"
    if "id" in frame.columns and frame["id"].isna().all():
        del frame["id"]
    report.add("site ids from placemark names",
               f"`{argument}` is a KML file: the site ids are its placemarks' names (column "
               f"{name!r}); pass id_col (CLI: --id-col) to choose another column")
    return str(name)


def _point_table(path: str | os.PathLike, *, argument: str, lat_col: str,
                 lon_col: str) -> tuple[pd.DataFrame, Report]:
    """A vector file of points as the text table :func:`read_table` gives: its attributes,
    and ``lat_col``/``lon_col`` from the geometry (EPSG:4326)."""
    require_file(Path(path), argument, "a readable vector file of points")
    layer = read_vector_layer(path, argument=argument)
    report = Report()
    if len(layer) and layer.crs is None:
        raise DialectGraphError(
            f"`{argument}` must have a coordinate reference system; {str(path)!r} has none. "
            "Save it with one (GeoJSON is EPSG:4326 by definition), or give a CSV with "
            "latitude and longitude columns.")
    layer = _points_of_a_map_file(layer, path, report, argument=argument)
    kinds = layer.geom_type.fillna("missing")
    bad = kinds != "Point"
    if bad.any():
        raise DialectGraphError(
            f"`{argument}` must hold one Point per site; {int(bad.sum())} of {len(layer)} "
            f"features of {str(path)!r} are not points (first: row {int(np.flatnonzero(bad)[0])}"
            f", {kinds[bad].iloc[0]}). Give the sites' locations as points (regions go to "
            "--regions).")
    clash = [c for c in (lat_col, lon_col) if c in layer.columns]
    if clash:
        report.add("coordinates from the geometry",
                   f"column(s) {first_examples(clash)} of {str(path)!r} were replaced by the "
                   "coordinates of the point geometries")
    pts = layer.to_crs("EPSG:4326") if len(layer) else layer
    frame = pd.DataFrame(pts.drop(columns=pts.geometry.name)).astype(object)
    frame = frame.map(lambda v: np.nan if pd.isna(v) else str(v))
    frame[lat_col] = [repr(float(y)) for y in pts.geometry.y]
    frame[lon_col] = [repr(float(x)) for x in pts.geometry.x]
    return frame.reset_index(drop=True), report


def _points_of_a_map_file(layer: gpd.GeoDataFrame, path: str | os.PathLike, report: Report,
                          *, argument: str) -> gpd.GeoDataFrame:
    """The sites' points of a map file that draws each site as a point and a polygon (as
    Gabmap's map files may: a point and a polygon placemark of one name, or one placemark
    of both): the polygons are left out, and said (they are regions, for --regions).
    Other layers are returned as they are."""
    kinds = layer.geom_type.fillna("missing")
    if (kinds == "Point").all() or layer.empty:
        return layer
    name = next((c for c in layer.columns if str(c).strip().lower() == "name"), None)
    collection = kinds == "GeometryCollection"
    if collection.any():  # a placemark of a point and its polygon: the point
        parts = [shapely.get_parts(g) if g is not None else np.array([]) for g in
                 layer.geometry[collection]]
        points = [p[shapely.get_type_id(p) == 0] for p in parts]
        if any(len(p) != 1 for p in points):
            return layer
        layer = layer.copy()
        layer.loc[collection, layer.geometry.name] = [p[0] for p in points]
        report.add("points of point-and-polygon placemarks",
                   f"{int(collection.sum())} feature(s) of {str(path)!r} hold a point and a "
                   "polygon (as a Gabmap map file may): the points are the sites; the polygons "
                   "were left out (give the file to --regions to use them as the regions)")
        kinds = layer.geom_type.fillna("missing")
    areas = kinds.isin(["Polygon", "MultiPolygon"])
    if areas.any() and name is not None and (kinds[~areas] == "Point").all():
        pointed = set(layer.loc[~areas, name].dropna().astype(str))
        if set(layer.loc[areas, name].dropna().astype(str)) <= pointed and \
                layer.loc[areas, name].notna().all():
            report.add("polygons beside the points",
                       f"{int(areas.sum())} polygon feature(s) of {str(path)!r} share their "
                       f"names ({name!r}) with point features (as a Gabmap map file may draw "
                       "each site twice): the points are the sites; the polygons were left out "
                       "(give the file to --regions to use them as the regions)")
            layer = layer[~areas]
    return layer


#: Column names read in place of a default one that a file lacks (case-insensitive), in
#: tiers: a column named in an earlier tier is taken over those of later ones ('site_id' over 'glottocode', which several dialect sites may
#: share); two columns of the first tier that has any are ambiguous and nothing is guessed.
SITE_COLUMN_ALIASES = {"id": (("site_id", "siteid"), ("site", "glottocode")),
                       "latitude": (("lat",),),
                       "longitude": (("lon", "lng", "long"),)}


def _column_alias(frame: pd.DataFrame, given: str, default: str, report: Report, *,
                  argument: str, what: str, param: str) -> str:
    """``given``, or the one column of the file that a common alias names when ``given``
    is the default and the file lacks it (reported); otherwise ``given`` unchanged, so
    the missing column is reported by the usual check."""
    if given != default or given in frame.columns:
        return given
    names = {str(c).strip().lower(): c for c in frame.columns}
    # the default name in another case ('ID', 'Latitude': a CLDF LanguageTable) first;
    # else one alias of the first tier that has any, not several (which would be a guess)
    found = [names[default]] if default in names else []
    for tier in SITE_COLUMN_ALIASES[default]:
        found = found or [names[a] for a in tier if a in names]
    if len(found) != 1:
        return given
    report.add("column read by its alias",
               f"`{argument}` has no {default!r} column; {what} were read from column "
               f"{found[0]!r}; pass {param} (CLI: --{param.replace('_', '-')}) to choose "
               "another")
    return str(found[0])


def check_degrees_in_range(frame: gpd.GeoDataFrame | gpd.GeoSeries, *,
                           argument: str = "regions") -> None:
    """Raise when a layer in a geographic CRS has coordinates no degree can have: metres of
    a projected CRS saved without it (a GeoJSON exported from UTM without its ``crs``
    member is read as lon/lat; an audit's build then grew to 24 GB)."""
    if frame.crs is None or not frame.crs.is_geographic or not len(frame):
        return
    x0, y0, x1, y1 = frame.total_bounds
    if not np.isfinite([x0, y0, x1, y1]).all():
        return
    if min(x0, -x1) < -540.0 or min(y0, -y1) < -90.5:
        raise DialectGraphError(
            f"`{argument}` must have coordinates in the degrees its CRS ({frame.crs.name}) "
            f"says; they span x {x0:,.0f} to {x1:,.0f}, y {y0:,.0f} to {y1:,.0f}, which look "
            "like metres of a projected CRS (UTM, a national grid) saved without it (a "
            "GeoJSON without its 'crs' member is read as lon/lat). Set the layer's real CRS "
            "(in QGIS: Layer CRS > Set Layer CRS, then save it again; in Python: "
            "gdf.set_crs(CODE, allow_override=True) with the file's own EPSG code, e.g. "
            "'EPSG:32634' for UTM zone 34N or 'EPSG:2100' for the Greek Grid), or save it as "
            "a GeoPackage, which keeps its CRS.")


def validate_regions(
    regions: gpd.GeoDataFrame, *, argument: str = "regions", repair: bool = True
) -> tuple[gpd.GeoDataFrame, Report]:
    """Check region polygons and repair invalid ones, reporting each change.

    Rules: a CRS is set; every geometry is a non-empty (Multi)Polygon; invalid polygons
    are repaired with ``shapely.make_valid`` (keeping only the polygonal parts) when
    ``repair`` is true; rows sharing an id are parts of one region, merged (reported).
    Empty, missing or non-polygonal geometries raise.

    Parameters
    ----------
    regions : GeoDataFrame
        The region polygons, indexed by region id.
    argument : str, default "regions"
        The argument or option name used in messages.
    repair : bool, default True
        Repair invalid polygons (reported); when False they raise.

    Returns
    -------
    (GeoDataFrame, Report)
        A copy of the valid regions (parts sharing an id merged), and what was changed.
    """
    report = Report()
    problems = Problems()
    if regions.crs is None:
        raise DialectGraphError(
            f"`{argument}` must have a coordinate reference system; its CRS is missing. "
            "Set it with regions.set_crs('EPSG:4326') if the coordinates are lon/lat degrees "
            "(for a file: add the Shapefile's .prj, or set the layer's CRS in QGIS and save "
            "it again; GeoJSON is always lon/lat)."
        )
    check_degrees_in_range(regions, argument=argument)
    geoms = regions.geometry.array
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        problems.add(
            f"`{argument}` must have a geometry for every region; {int(missing.sum())} are "
            f"empty or missing ({first_examples(regions.index[missing].tolist())}). "
            "Drop those rows or supply their polygons."
        )
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, [3, 6])  # Polygon, MultiPolygon
    invalid = ~missing & ~shapely.is_valid(geoms)
    wrong = ~missing & ~polygonal & ~(types == 7)  # collections may hold polygons
    if wrong.any():
        kinds = sorted(set(shapely.get_type_id(geoms[wrong]).tolist()))
        names = {0: "Point", 1: "LineString", 2: "LinearRing", 4: "MultiPoint",
                 5: "MultiLineString"}
        problems.add(
            f"`{argument}` must hold Polygon or MultiPolygon geometries; {int(wrong.sum())} are "
            f"{', '.join(names.get(k, str(k)) for k in kinds)} "
            f"({first_examples(regions.index[wrong].tolist())}). Use polygons, or build "
            "Voronoi regions from points with geodata.voronoi_regions."
        )
    if invalid.any() and not repair:
        problems.add(f"`{argument}` has {int(invalid.sum())} invalid polygons "
                     f"({first_examples(regions.index[invalid].tolist())}); pass repair=True.")
    problems.raise_if_any()
    out = regions.copy()
    fix = invalid | (types == 7)
    if out.index.has_duplicates:
        out = _merge_parts(out, report, argument=argument)
        geoms = out.geometry.array
        fix = ~shapely.is_valid(geoms) | (shapely.get_type_id(geoms) == 7)
    if fix.any():
        fixed = shapely.make_valid(geoms[fix])
        fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
        empty = shapely.is_empty(fixed)
        if empty.any():
            raise DialectGraphError(
                f"`{argument}` has {int(empty.sum())} geometries with no polygonal area after "
                f"repair ({first_examples(out.index[fix][empty].tolist())}). Fix those polygons."
            )
        out.loc[fix, out.geometry.name] = fixed
        # a valid collection (a Gabmap placemark of a point and its polygon) only gave its
        # polygons: said as such, not as a repair of invalid geometry (an audit's 350)
        bad = ~shapely.is_valid(np.asarray(geoms, dtype=object)[fix])
        ids = out.index[fix]
        if bad.any():
            report.add(
                "repaired invalid geometry",
                f"{int(bad.sum())} region(s) made valid with shapely.make_valid "
                f"({first_examples(ids[bad].tolist())})", ids[bad])
        if (~bad).any():
            report.add(
                "polygons of geometry collections",
                f"{int((~bad).sum())} region(s) are collections of shapes (as a Gabmap map "
                "file's placemark of a point and its polygon): their polygons are the "
                f"regions, the rest left out ({first_examples(ids[~bad].tolist())})",
                ids[~bad])
    return out, report


def _merge_parts(regions: gpd.GeoDataFrame, report: Report, *,
                 argument: str) -> gpd.GeoDataFrame:
    """Rows that share an id are parts of one region (a layer with a row per island):
    their polygons become one, with the first row's other columns; reported, with the
    columns whose values differ between the parts."""
    idx = regions.index
    dup = idx[idx.duplicated(keep=False)]
    counts = pd.Series(dup).value_counts(sort=False)
    geom_col = regions.geometry.name
    merged_geoms = regions.geometry.groupby(level=0, sort=False).agg(
        lambda g: shapely.union_all(shapely.make_valid(g.array)))
    differ = []
    for col in [c for c in regions.columns if c != geom_col]:
        varied = regions[col].groupby(level=0, sort=False).nunique(dropna=False)
        if (varied > 1).any():
            differ.append(col)
    first = regions[~idx.duplicated(keep="first")].copy()
    first[geom_col] = merged_geoms.reindex(first.index).to_numpy()
    first = gpd.GeoDataFrame(first, geometry=geom_col, crs=regions.crs)
    shown = [f"{i!r} ({n} parts)" for i, n in counts.head(5).items()]
    report.add("merged parts of one region",
               f"{len(counts)} id(s) of `{argument}` have several rows, read as parts of one "
               f"region (its islands) and merged into one polygon each: {', '.join(shown)}"
               + (f" and {len(counts) - 5} more" if len(counts) > 5 else "")
               + (f"; their columns {first_examples(differ)} differ between the parts, the "
                  "first row's values are kept" if differ else ""),
               [str(i) for i in counts.index])
    return first


def _polygonal_part(geom):
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def read_regions(path: str | os.PathLike, *, id_col: str | None = None,
                 repair: bool = True, argument: str = "path"
                 ) -> tuple[gpd.GeoDataFrame, Report]:
    """Read region polygons from GeoJSON, GeoPackage or Shapefile (via pyogrio).

    Parameters
    ----------
    path : path-like
        The vector file; any format GDAL reads (a missing path raises).
    id_col : str, optional
        Column holding the site id of each region; the index becomes ``site_id``.
        Default: the layer's own row index is kept.
    repair : bool, default True
        Repair invalid geometries (with a report) instead of raising.
    argument : str, default "path"
        The argument or option name used in messages (e.g. ``"--boundary"``).

    Returns
    -------
    (GeoDataFrame, Report)
        The validated polygons and what was repaired.
    """
    path = Path(path)
    if not path.exists():
        raise DialectGraphError(f"`{argument}` must be an existing vector file; "
                                f"{str(path)!r} does not exist. Check the path.")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise DialectGraphError(
            f"`{argument}` must be a GeoJSON, GeoPackage or Shapefile readable by GDAL; reading "
            f"{str(path)!r} failed ({type(exc).__name__}: {exc}). Check the file."
        ) from exc
    if id_col is not None:
        require_columns(gdf, [id_col], argument=argument,
                        option="id_col (CLI: --region-id-col)")
        # ids read as the sites' ids are (stripped, Unicode NFC), so that they match
        gdf = gdf.set_index(gdf[id_col].astype(str).str.strip().str.normalize("NFC")
                            ).drop(columns=[id_col])
        gdf.index.name = "site_id"
    return validate_regions(gdf, argument=argument, repair=repair)


def place_sites_in_regions(sites: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, *,
                           argument: str = "regions", sites_argument: str = "sites"
                           ) -> tuple[gpd.GeoDataFrame, Report]:
    """Sites without coordinates (read with ``missing_coordinates="keep"``) placed at a
    point inside their own polygon of ``regions`` (same id), reported.

    A site without coordinates and without a polygon raises (it could be placed nowhere).

    Parameters
    ----------
    sites : GeoDataFrame
        Sites indexed by id; those with a missing or empty geometry are placed.
    regions : GeoDataFrame
        Region polygons with a CRS, indexed by the same ids.
    argument : str, default "regions"
        Name of ``regions`` used in messages.
    sites_argument : str, default "sites"
        Name of ``sites`` used in messages.

    Returns
    -------
    (GeoDataFrame, Report)
        The sites, every one with a point, and what was placed.
    """
    report = Report()
    blank = sites.geometry.isna().to_numpy() | sites.geometry.is_empty.to_numpy()
    if not blank.any():
        return sites, report
    ids = sites.index[blank]
    lost = ids.difference(regions.index, sort=False)
    if len(lost):
        raise DialectGraphError(
            f"`{sites_argument}` sites without coordinates need a polygon in `{argument}` to "
            f"be placed in; {len(lost)} of the {len(ids)} without coordinates "
            f"{'has' if len(lost) == 1 else 'have'} none ({first_examples(lost.tolist())}). "
            f"Fill in their latitude/longitude, add their polygons to `{argument}` (with "
            "their ids), or drop those sites.")
    from geodata._geo import point_on_largest_part

    polygons = regions.loc[ids].geometry.to_crs("EPSG:4326")
    inside = gpd.GeoSeries(point_on_largest_part(polygons.array), index=polygons.index,
                           crs="EPSG:4326")
    out = sites.copy()
    out.loc[ids, "longitude"] = inside.x.to_numpy()
    out.loc[ids, "latitude"] = inside.y.to_numpy()
    out.loc[ids, out.geometry.name] = inside.to_numpy()
    report.add("placed sites inside regions",
               f"{len(ids)} site(s) of `{sites_argument}` have no coordinates "
               f"({first_examples(ids.tolist())}); each is placed at a point inside its "
               f"polygon of `{argument}`", ids.tolist())
    return out, report


def regions_with_sites(regions: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *,
                       argument: str = "regions", sites_argument: str = "sites"
                       ) -> tuple[gpd.GeoDataFrame, Report]:
    """Join survey sites to their region polygons by id: the regions get the sites'
    columns (``longitude``/``latitude`` among them; the polygons' own columns win).

    Every site needs its own polygon: sites without one raise (all listed, with the
    region each lies in). A polygon without a site is kept (a region not surveyed; the
    graph places it at a point inside its polygon), reported; so is a site without
    coordinates (:func:`place_sites_in_regions`).

    Parameters
    ----------
    regions : GeoDataFrame
        Region polygons with a CRS, indexed by site id.
    sites : GeoDataFrame
        Survey sites indexed by id, each needing a polygon of the same id in ``regions``.
    argument : str, default "regions"
        Name of ``regions`` used in messages.
    sites_argument : str, default "sites"
        Name of ``sites`` used in messages.

    Returns
    -------
    (GeoDataFrame, Report)
        The regions with the sites' columns, and what was noted.
    """
    sites, report = place_sites_in_regions(sites, regions, argument=argument,
                                           sites_argument=sites_argument)
    missing = sites.index.difference(regions.index, sort=False)
    if len(missing):
        pts = sites.loc[missing].to_crs(regions.crs)
        hits = shapely.STRtree(regions.geometry.array).query(pts.geometry.array,
                                                             predicate="within")
        inside = {}
        for p_i, r_i in zip(*hits):
            inside.setdefault(missing[p_i], regions.index[r_i])

        def where(m) -> str:
            if m not in inside:
                return " (inside no polygon)"
            owner = inside[m]
            return (f" (inside the polygon of {owner!r})" if owner in sites.index else
                    f" (inside the polygon {owner!r}, which names no site)")

        shown = [f"{m!r}{where(m)}" for m in missing[:5]]
        shared = sum(1 for m in missing if inside.get(m) in sites.index)
        if len(missing) == len(sites):  # no id in common: the wrong id column
            hint = (f". No site id is an id of `{argument}` (its ids: "
                    f"{first_examples(regions.index.tolist())}): name the column of the "
                    "polygons' ids with id_col (CLI: --region-id-col)")
        elif shared:
            hint = (f". {'It lies' if len(missing) == 1 else f'{shared} of them lie'} inside "
                    "another site's polygon: a region holds one site")
        else:
            hint = ""
        raise DialectGraphError(
            f"`{sites_argument}` must have a polygon in `{argument}` for every site; "
            f"{len(missing)} of {len(sites)} sites {'has' if len(missing) == 1 else 'have'} "
            f"none: {', '.join(shown)}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            + hint
            + f". Add their polygons to `{argument}` (with their ids), drop those sites, or "
            "build regions around the sites instead (without --regions).")
    extra = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    both = [c for c in extra.columns if c in regions.columns]
    if both:
        report.add("columns of the regions kept",
                   f"column(s) {first_examples(both)} are in both `{argument}` and "
                   f"`{sites_argument}`; the values of `{argument}` are kept")
    out = regions.join(extra.drop(columns=both), how="left")
    lonely = regions.index.difference(sites.index, sort=False)
    if len(lonely):
        report.add("regions without a site",
                   f"{len(lonely)} of {len(regions)} polygons of `{argument}` "
                   f"{'has' if len(lonely) == 1 else 'have'} no site in `{sites_argument}` "
                   f"({first_examples(lonely.tolist())}); "
                   + ("it is kept as a region without readings, placed at a point inside its "
                      "polygon" if len(lonely) == 1 else "they are kept as regions without "
                      "readings, each placed at a point inside its polygon"),
                   lonely.tolist())
    return out, report


def _last_syllable_untoned(reading: str) -> str:
    """``reading`` without the tone of its last syllable: a tone alone after a word of
    several syllables ("tʰiɛn⁵⁵ ɕia⁵¹/⁵³") is another tone of that syllable, the others
    keep theirs ("tʰiɛn⁵⁵ ɕia⁵³")."""
    from geodata.dialectometry.features import _TONE_CHARS

    return re.sub(rf"[{re.escape(_TONE_CHARS)}0-9]+$", "", reading.strip()).rstrip()


def _complete_tone_variants(split: pd.Series, delimiter: str,
                            again: np.ndarray | None = None) -> tuple[pd.Series, tuple | None]:
    """Lists of variants in which a variant is a tone alone (``"ʃou⁵³/⁵⁵"`` split into
    ``["ʃou⁵³", "⁵⁵"]``: one syllable with two tones) get that syllable on it
    (``"ʃou⁵⁵"``); also returns ``(count, first cell, first completed variant)`` or None,
    not counting the rows ``again`` (a row given twice). A cell of numbers (``"1/2"``) is
    left alone: the syllable must hold a letter."""
    from geodata.dialectometry.features import _is_tone_only

    count, first = 0, None
    done = []
    repeat = np.zeros(len(split), bool) if again is None else np.asarray(again, bool)
    for parts, twice in zip(split.tolist(), repeat):
        if isinstance(parts, list) and len(parts) > 1:
            tone = [_is_tone_only(p) for p in parts]
            # each tone alone takes the syllable before it ("kʰɪŋ⁵⁵/hɔŋ⁵³/⁵⁵": hɔŋ⁵⁵), the
            # first syllable after it when none is before
            bases = [p for p, t in zip(parts, tone) if not t and p.strip()]
            new, last = [], None
            for p, t in zip(parts, tone):
                if not t:
                    if p.strip():  # an empty part ("ma⁵⁵//⁵³") is no syllable
                        last = p
                    new.append(p)
                    continue
                base = last if last is not None else (bases[0] if bases else None)
                new.append(_last_syllable_untoned(base) + p.strip()
                           if base is not None and any(ch.isalpha() for ch in base) else p)
            if new != parts:
                count += 0 if twice else sum(a != b for a, b in zip(parts, new))
                if first is None:
                    tone_at = next(k for k, (a, b) in enumerate(zip(parts, new)) if a != b)
                    first = (delimiter.join(parts), new[tone_at])
                parts = new
        done.append(parts)
    out = pd.Series(done, index=split.index, dtype=object)
    return out, ((count, *first) if first else None)


def _complete_tone_rows(out: pd.DataFrame, report: Report) -> None:
    """Variants of one site and item on separate rows (a long table) in which a variant is
    a tone alone get the syllable of another, as a cell's split variants do (an audit's
    long table kept '²' beside 'lat²²' as a reading, where the same survey wide, 'lat²²/²',
    read 'lat²'; their distances differed). In place; reported."""
    from geodata.dialectometry.features import _is_tone_only

    tone = out["value"].map(lambda v: isinstance(v, str) and bool(v.strip())
                            and _is_tone_only(v)).to_numpy(bool)
    if not tone.any():
        return
    keys = out.loc[tone, ["site", "item"]].drop_duplicates()
    cells = out[["site", "item"]].assign(_pos=np.arange(len(out))).merge(
        keys, on=["site", "item"])
    rows = [g["_pos"].to_numpy() for _, g in cells.groupby(["site", "item"], sort=False)
            if len(g) > 1]
    if not rows:
        return
    col = out.columns.get_loc("value")
    lists = pd.Series([out.iloc[r, col].tolist() for r in rows], dtype=object)
    done, completed = _complete_tone_variants(lists, "/")
    if completed is None:
        return
    for r, values in zip(rows, done):
        for k, v in zip(r, values):
            out.iat[int(k), col] = v
    n, example, full = completed
    report.add("completed tone-only variants on separate rows",
               f"{n} values were a tone alone beside another variant of their site and item "
               f"(first: {example.replace('/', ' and ')!r}): each now carries that syllable "
               f"({full!r}), as in a cell of variants")


#: Characters that show as nothing (removed) or as a space (written as one) in a reading.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")
_SPACES = re.compile("[\u00a0\u2007\u202f]")


def _visible_text(values: pd.Series) -> tuple[pd.Series, int, str]:
    """``values`` without zero-width spaces, word joiners, byte-order marks and soft
    hyphens, and with no-break spaces as spaces; how many strings changed, and the first
    (an audit's readings with a trailing U+200B were 0.16 apart from identical ones)."""
    unique = pd.unique(values.to_numpy(dtype=object))  # ids and readings repeat: once each
    bad = {v for v in unique if isinstance(v, str) and (_INVISIBLE.search(v) or _SPACES.search(v))}
    if not bad:
        return values, 0, ""
    hit = values.isin(bad).to_numpy(bool)
    out = values.copy()
    first = str(out[hit].iloc[0])
    out[hit] = [_SPACES.sub(" ", _INVISIBLE.sub("", v)) for v in out[hit]]
    return out, int(hit.sum()), first


#: Unicode categories of a no-data mark: punctuation, spaces, control and format characters.
_NO_DATA_CATEGORIES = frozenset({"Pd", "Po", "Ps", "Pe", "Pi", "Pf", "Pc", "Zs", "Cf", "Cc"})


def _no_data_mark(value: str) -> bool:
    """Whether ``value`` holds only punctuation, spaces or format characters ('-', '—',
    '?', '...'): a mark of no data, not a reading ('∅', a zero form, is a reading)."""
    import unicodedata

    return all(unicodedata.category(ch) in _NO_DATA_CATEGORIES for ch in value)


_WORD = re.compile(r"\w")


def _drop_no_data_parts(parts: Any, marks: dict[str, int], spellings: set[str]) -> Any:
    """The variants of a split cell without those that mark no data (counted in
    ``marks``): a spelling of a missing cell, or punctuation only. A cell of no variant at
    all becomes one empty string (missing)."""
    if not isinstance(parts, list):
        return parts
    kept = []
    for part in parts:
        p = part.strip()
        if p and (p in spellings or (not _WORD.search(p) and _no_data_mark(p))):
            marks[p] = marks.get(p, 0) + 1
        else:
            kept.append(part)
    return kept or [""]


def _column_holding(sites: pd.DataFrame, values: Sequence[str]) -> str | None:
    """The column of ``sites`` whose values (stripped, Unicode NFC) include every one of
    ``values``, or None."""
    wanted = set(values)
    for col in sites.columns:
        if col == "geometry" or not (pd.api.types.is_string_dtype(sites[col])
                                     or sites[col].dtype == object):
            continue
        held = set(sites[col].dropna().astype(str).str.strip().str.normalize("NFC"))
        if wanted <= held:
            return str(col)
    return None


def _closest_ids(unknown: Sequence[str], known: Sequence[str]) -> str:
    """A hint naming the known id nearest to each of the first unknown ones ('' when none
    is near): '7' for '007' (a spreadsheet dropped the zeros), 'Hong  Kong'."""
    from rapidfuzz import fuzz, process

    def squash(x: str) -> str:
        return re.sub(r"[\s'’‘`\-_.]+", "", x.casefold()).lstrip("0")

    squashed: dict[str, str] = {}
    for k in known:
        squashed.setdefault(squash(k), k)
    pairs = []
    for u in list(unknown)[:3]:
        hit = squashed.get(squash(u))
        if hit is None:
            best = process.extractOne(u, list(known), scorer=fuzz.ratio, score_cutoff=80)
            hit = best[0] if best else None
        if hit is not None:
            pairs.append(f"{u!r} ~ {hit!r}")
    if not pairs:
        return ""
    return (f" The nearest known ids: {', '.join(pairs)} (leading zeros, spaces and quotes "
            "count): spell them alike in both files.")


def survey_from_frame(
    frame: pd.DataFrame,
    *,
    site_col: str = "site",
    item_col: str = "item",
    value_col: str = "value",
    delimiter: str | None = None,
    sites: pd.Index | gpd.GeoDataFrame | None = None,
    argument: str = "survey",
    sites_argument: str = "sites",
    missing_values: Sequence[str] | None = None,
    keep_columns: Sequence[str] = (),
) -> tuple[pd.DataFrame, Report]:
    """Normalise a long survey table to columns ``site, item, value``.

    Cells holding several variants joined by ``delimiter`` become one row per variant.
    Rows with a blank or NaN value are removed *with a report* (they carry no data), and so
    are values of punctuation only ('-', '—', '?': marks of no data; '∅' is a reading).
    Characters that show as nothing (zero-width spaces, soft hyphens, byte-order marks) are
    removed and no-break spaces written as spaces (reported); an item that writes one tone
    in two notations (``hɔŋ˥˧``, ``hɔŋ53``), and a survey that writes one sound in two
    look-alike spellings (``ka:i`` and ``kaːi``, ``g`` and ``ɡ``, ``t͡s`` and ``ʦ``), are
    written in one (reported; see
    :func:`~geodata.dialectometry.features.unify_ipa_lookalikes`). Rows whose site is not
    in ``sites`` raise, listing the unknown ids.

    Parameters
    ----------
    frame : DataFrame
        The long survey table.
    site_col, item_col, value_col : str
        Names of the site, item and value columns (default ``"site"``, ``"item"``,
        ``"value"``). Sites and items are stripped and put in Unicode NFC.
    delimiter : str, optional
        Separator of several variants in one cell (e.g. ``"/"``); default: no split (cells
        that look joined are reported).
    sites : Index or GeoDataFrame, optional
        The known site ids (or a frame indexed by them); default: no check.
    argument : str, default "survey"
        Name of the survey used in messages.
    sites_argument : str, default "sites"
        Name of ``sites`` used in messages.
    missing_values : sequence of str, optional
        Spellings of no data in the variants of a split cell (``'pa/NA'``); default
        :data:`~geodata.validation.NA_SPELLINGS`.
    keep_columns : sequence of str, default ()
        Further columns of ``frame`` carried along with each value (a CLDF form's cognate
        set), after ``site, item, value``.

    Returns
    -------
    (DataFrame, Report)
        Columns ``site, item, value`` (and ``keep_columns``) without blank or repeated rows,
        and what was done.
    """
    require_columns(frame, [site_col, item_col, value_col], argument=argument,
                    option="site_col/item_col/value_col (CLI: --site-col/--item-col/--value-col)")
    require_columns(frame, list(keep_columns), argument=argument, option="keep_columns")
    out = frame[[site_col, item_col, value_col, *keep_columns]].copy()
    out.columns = ["site", "item", "value", *keep_columns]
    out["value"] = out["value"].astype(object)
    shown = out["value"].astype("string").str.strip()
    has_value = (shown.notna() & (shown != "")).fillna(False)
    problems = Problems()
    for col, name in (("site", site_col), ("item", item_col)):
        nameless = (out[col].isna() | out[col].astype(str).str.strip().eq("")).to_numpy(bool)
        lost = nameless & has_value.to_numpy(bool)
        if lost.any():
            k = int(np.flatnonzero(lost)[0])
            other = "item" if col == "site" else "site"
            rows = np.flatnonzero(lost)
            wide = frame.attrs.get("wide_rows")  # a melted wide table: its rows, item by item
            lines = ([] if "file_path" not in frame.attrs else
                     _file_lines(frame, np.unique(rows % wide)) if wide else
                     _file_lines(frame, rows))
            where = f" (file line{'s' if len(lines) > 1 else ''} {first_examples(lines)})" \
                if lines else ""
            problems.add(
                f"`{argument}` column {name!r} must name the {col} of every value; "
                f"{int(lost.sum())} value(s) have none{where} (first: {other} "
                f"{out[other].iloc[k]!r}, value {out['value'].iloc[k]!r}). Fill in the "
                f"{col} or delete those rows.")
    problems.raise_if_any()
    report = Report()
    for col in ("site", "item", "value"):
        out[col], n_hidden, example = _visible_text(out[col])
        if n_hidden and col == "value":
            report.add("invisible characters",
                       f"{n_hidden} value(s) held characters that show as nothing or as a "
                       f"space (zero-width spaces, soft hyphens, byte-order marks, no-break "
                       f"spaces; first: {example!r}): removed, or written as a space, so that "
                       "readings that look alike compare as equal")
    # ids and readings in Unicode NFC: 'é' typed as one character or as 'e' + an accent
    # is one sound and one name (the sites' ids are read the same way)
    for col in ("site", "item"):
        text = out[col].astype(str)
        out[col] = text.str.strip().str.normalize("NFC")
        composed = sorted({str(v) for v in pd.unique(out[col][(text.str.strip() != out[col])
                           & (text.str.strip().str.len() != 0)].dropna())} - {"nan"})
        if composed:  # said: 'Gĩkũyũ' typed as 'i' + U+0303 is the id 'Gĩkũyũ'
            report.add(f"composed characters in {col}s (Unicode NFC)",
                       f"{len(composed)} {col} name(s) held a letter and a combining accent "
                       f"written apart (first: {first_examples(composed)}) and were read "
                       "composed (Unicode NFC), so they match the same name typed composed")
        padded = (text.str.strip() != text).fillna(False).to_numpy(bool)
        spaced = sorted({str(v) for v in pd.unique(text[padded].dropna())})
        if spaced:  # said: an id is matched as trimmed ('putre ' is the site 'putre')
            report.add(f"trimmed {col}s",
                       f"{len(spaced)} {col} name(s) had spaces before or after them (first: "
                       f"{first_examples(spaced)}) and were read without them")
    # readings are compared trimmed: said, as the ids are (an audit's 356 readings
    # 'sɿ⁵⁵ ' were read as 'sɿ⁵⁵' without a word)
    is_text = out["value"].map(lambda v: isinstance(v, str)).to_numpy(bool)
    text = out["value"][is_text].astype(str)
    padded = text[(text.str.strip() != text) & (text.str.strip() != "")]
    if len(padded):
        report.add("trimmed readings",
                   f"{len(padded)} value(s) had spaces before or after them (first: "
                   f"{first_examples(sorted(set(padded)), 3)}) and are read without them")
    out["value"], n_nfc = nfc_strings(out["value"])
    if n_nfc:
        report.add("composed characters (Unicode NFC)",
                   f"{n_nfc} value(s) held a letter and a combining accent written apart (e.g. "
                   "'e' + U+0301) and were written composed ('é', Unicode NFC), so that two "
                   "spellings of one sound compare as equal")
    if sites is not None:
        known = sites.index if isinstance(sites, pd.DataFrame) else pd.Index(sites)
        unknown = sorted(set(out["site"].dropna()) - set(known.astype(str)))
        if unknown:
            n_rows = int(out["site"].isin(unknown).sum())
            # case aside, and full-width letters and digits (a Japanese spreadsheet's
            # 'ｓｉｔｅ１２' is 'site12'), which Unicode's NFKC form writes plain
            # and an apostrophe's form ('Ust’-Kamchatsk' for "Ust'-Kamchatsk", an audit)
            # and accents ('Gikuyu' for 'Gĩkũyũ', an audit)
            def fold(v: str) -> str:
                return unicodedata.normalize("NFKC", _bare(v)).translate(_APOSTROPHES).casefold()

            folded = {fold(str(k)): str(k) for k in known}
            cased = [(u, folded[fold(u)]) for u in unknown if fold(u) in folded]
            hint = ""
            named = _column_holding(sites, unknown) if isinstance(sites, pd.DataFrame) else None
            if named is not None:  # a survey keyed by the sites' names (an audit)
                values = sites[named].dropna().astype(str).str.strip()
                shared = sorted(set(values[values.duplicated()]))
                fix = (f"Read the sites with that column as their ids (id_col={named!r}), or "
                       "key the survey by the ids." if not shared else
                       f"That column names {len(shared)} place(s) more than once "
                       f"({first_examples(shared)}: informants of one town?), so it cannot "
                       "be the ids: key the survey by the ids.")
                raise DialectGraphError(
                    f"`{argument}` must name its sites by the ids of `{sites_argument}`; "
                    f"{len(unknown)} of its site(s) ({first_examples(unknown)}) are values of "
                    f"the sites' column {named!r}, not ids "
                    f"({first_examples([str(k) for k in known])}). {fix}")
            if cased:
                def differ(*steps: Callable[[str], str]) -> bool:
                    """Whether a pair still differs after all of fold's steps but one."""
                    def apply(v: str) -> str:
                        for step in steps:
                            v = step(v)
                        return v
                    return any(apply(u) != apply(k) for u, k in cased)

                def nfkc(v: str) -> str:
                    return unicodedata.normalize("NFKC", v)

                def plain(v: str) -> str:
                    return v.translate(_APOSTROPHES)

                kinds = ["upper/lower case"] * differ(_bare, plain, nfkc)
                kinds += ["full-width characters"] * differ(_bare, plain, str.casefold)
                kinds += ["the apostrophe (’ or ')"] * differ(_bare, nfkc, str.casefold)
                kinds += ["accents"] * differ(plain, nfkc, str.casefold)
                hint = (f" {len(cased)} of them match a site id but for "
                        f"{' or '.join(kinds)} "
                        f"({first_examples([f'{u} = {k}' for u, k in cased], 3)}): spell "
                        "them alike in both files.")
            # the others: leading zeros a spreadsheet dropped, doubled spaces ...
            rest = [u for u in unknown if fold(u) not in folded]
            hint += _closest_ids(rest, [str(k) for k in known]) if rest else ""
            raise DialectGraphError(
                f"`{argument}` must only name sites that are in `{sites_argument}`; "
                f"{len(unknown)} unknown site id(s) ({first_examples(unknown)}) hold "
                f"{n_rows} value(s).{hint} Add those sites to the sites file or fix the ids."
            )
    given = out["value"].notna() & (out["value"].astype(str).str.strip() != "")
    per_pair = out[given].groupby(["site", "item"], sort=False)["value"].nunique()
    several = per_pair[per_pair > 1]
    if len(several):  # a long table (a CLDF FormTable) listing synonyms on separate rows
        site, item = several.index[0]
        report.add("several values for one site and item",
                   f"{len(several)} (site, item) pair(s) have 2 to {int(several.max())} "
                   f"different values on separate rows (first: site {site!r}, item "
                   f"{item!r}); each is a variant of that cell, as in a split cell")
    marks: dict[str, int] = {}
    # each row's place in the input, to tell rows given twice from variants of one cell
    # that are written alike once split, unified and stripped ('ka/ka', 'ʦa/t͡sa')
    given = out["value"].map(lambda v: v.strip() if isinstance(v, str) else v)
    repeated_rows = set(np.flatnonzero(pd.DataFrame(
        {"s": out["site"], "i": out["item"], "v": given}).duplicated().to_numpy()).tolist())
    out["_row"] = np.arange(len(out))
    if delimiter:
        is_str = out["value"].map(lambda v: isinstance(v, str))
        split = out.loc[is_str, "value"].str.split(delimiter, regex=False)
        # a row given twice is one cell (an audit's 108 cells were "216" in a long survey
        # whose rows came twice)
        again = out.loc[is_str, "_row"].isin(repeated_rows).to_numpy(bool)
        n_multi = int(((split.str.len() > 1).to_numpy(bool) & ~again).sum())
        # a part that marks no data ('pa/-', 'pa/NA') is no variant, and no tone to
        # complete ('pa/-' became 'pa' and 'pa-')
        spellings = set(NA_SPELLINGS if missing_values is None else missing_values) - {""}
        multi = (split.str.len() > 1).to_numpy(bool)  # a lone '-' is a cell: sieved below
        if multi.any():
            split[multi] = split[multi].map(
                lambda parts: _drop_no_data_parts(parts, marks, spellings))
        split, completed = _complete_tone_variants(split, delimiter, again)
        out.loc[is_str, "value"] = split
        out = out.explode("value", ignore_index=True)
        if n_multi:
            report.add("split multi-variant cells",
                       f"{n_multi} cells held several variants joined by {delimiter!r}; "
                       "each variant is now its own row")
        if completed:
            n, example, full = completed
            report.add("completed tone-only variants",
                       f"{n} variants were a tone alone, another tone of the cell's syllable "
                       f"(first: {example!r}): each now carries that syllable ({full!r})")
    else:
        text = out["value"][out["value"].map(lambda v: isinstance(v, str))].astype(str)
        for sep in ("/", ";", "~", ","):
            joined = text.str.contains(sep, regex=False)
            if joined.any():
                report.add("cells that may hold several variants",
                           f"{int(joined.sum())} cells contain {sep!r} (first: "
                           f"{text[joined].iloc[0]!r}) and are read as one value each; if "
                           f"they list several variants, pass delimiter={sep!r} "
                           f"(CLI: --delimiter {sep})")
    _complete_tone_rows(out, report)
    if out["value"].map(lambda v: isinstance(v, str)).any():
        out["value"] = out["value"].map(lambda v: v.strip() if isinstance(v, str) else v)
        # only a value with no letter or digit can be a mark; readings repeat: once each
        marked = {v for v in pd.unique(out["value"].to_numpy(dtype=object))
                  if isinstance(v, str) and v != "" and not _WORD.search(v) and _no_data_mark(v)}
        no_data = out["value"].isin(marked) if marked else pd.Series(False, index=out.index)
        for v in out.loc[no_data, "value"]:
            marks[v] = marks.get(v, 0) + 1
        out.loc[no_data, "value"] = np.nan
    if marks:
        shown = ", ".join(f"{k!r} {v}" for k, v in sorted(marks.items(), key=lambda kv: -kv[1]))
        report.add("no-data marks",
                   f"{sum(marks.values())} value(s) (or variants of a cell) were only "
                   f"punctuation or a missing-data spelling ({shown}) and were treated as "
                   "missing data, not as readings")
    # after the variants are split and completed: "tiŋ55/33" is tiŋ55 and tiŋ33 first
    from geodata.dialectometry.features import unify_ipa_lookalikes, unify_tone_notation

    out["value"], n_tones, first_tone = unify_tone_notation(out["value"], out["item"])
    if n_tones:
        report.add("tones in one notation",
                   f"some items write tones in more than one notation (Chao letters, "
                   f"superscript digits, digits after a letter); in those items {n_tones} "
                   f"value(s) now write their tones in superscript digits (first: "
                   f"{first_tone[0]!r} -> {first_tone[1]!r}), so that one tone compares "
                   "as one")
    out["value"], n_alike, applied, first_alike = unify_ipa_lookalikes(out["value"])
    if n_alike:
        said = ", ".join(f"{a!r} as {b!r}" for a, b in applied)
        report.add("one spelling per sound",
                   f"the survey writes some sounds in two look-alike spellings; {n_alike} "
                   f"value(s) now write each as the survey does most ({said}; first: "
                   f"{first_alike[0]!r} -> {first_alike[1]!r}), so that one sound compares "
                   "as one")
    blank = out["value"].isna() | out["value"].map(lambda v: isinstance(v, str) and v == "")
    if blank.any():
        n_marks = sum(marks.values())
        report.add("removed empty values",
                   f"{int(blank.sum())} row{'s' if blank.sum() > 1 else ''} had a blank or "
                   f"NaN value and {'were' if blank.sum() > 1 else 'was'} treated as "
                   f"missing data (first sites: {first_examples(list(dict.fromkeys(out.loc[blank, 'site'].tolist())))})"
                   + ("; the cells of no-data marks said above are among them"
                      if n_marks else ""),
                   out.loc[blank, "site"].unique())
        gone = sorted(set(out.loc[blank, "item"]) - set(out.loc[~blank, "item"]), key=str)
        if gone:  # an item no site answered: it leaves the survey, named here
            report.add("items without any value",
                       f"{len(gone)} item(s) have no value at any site and are left out of "
                       f"the survey: {first_examples(gone, 5)}", gone)
        out = out[~blank]
    if out.empty:
        raise DialectGraphError(
            f"`{argument}` must hold at least one value; all {len(frame)} rows of column "
            f"{value_col!r} are blank or spelt as missing (e.g. 'NA', 'NaN'). Check "
            "--value-col / value_col and the file.")
    dup = out.duplicated(["site", "item", "value"]).to_numpy(bool)
    if dup.any():
        repeats = dup & out["_row"].isin(repeated_rows).to_numpy(bool)
        if repeats.any():
            report.add("removed duplicate rows",
                       f"{int(repeats.sum())} (site, item, value) rows were exact repeats")
        if (dup & ~repeats).any():
            first = out.loc[dup & ~repeats].iloc[0]
            report.add("merged variants written alike",
                       f"{int((dup & ~repeats).sum())} variant(s) of a cell were written like "
                       f"another variant of the same cell once split and cleaned (first: "
                       f"site {first['site']!r}, item {first['item']!r}, {first['value']!r}) "
                       "and were kept once")
        out = out[~dup]
    # '?' among letters: characters lost when the file went through an encoding without
    # them (Windows-1252 writes '?' for IPA letters: an audit's 'ku??¹')
    text = out["value"][out["value"].map(lambda v: isinstance(v, str))]
    lost = text[text.str.contains(r"\?", regex=True) & text.str.contains(_WORD)]
    if len(lost):
        report.add("question marks in readings",
                   f"{len(lost)} value(s) hold '?' among letters (first: "
                   f"{first_examples(pd.unique(lost.to_numpy(dtype=object)).tolist())}): "
                   "characters lost when the file was saved in an encoding without them "
                   "(Windows-1252 writes '?' for IPA letters)? Check the file against its "
                   "source; they are compared as written")
    return out.drop(columns="_row").reset_index(drop=True), report


_APOSTROPHES = str.maketrans({c: "'" for c in "’‘ʼʻ`´′"})


def _bare(text: str) -> str:
    """``text`` without its accents (combining marks): 'Gĩkũyũ' → 'Gikuyu'."""
    return unicodedata.normalize("NFC", "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)))


def read_survey(
    path: str | os.PathLike,
    *,
    site_col: str = "site",
    item_col: str = "item",
    value_col: str = "value",
    delimiter: str | None = None,
    sites: pd.Index | gpd.GeoDataFrame | None = None,
    argument: str = "path",
    sites_argument: str = "sites",
    missing_values: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Read a survey table from CSV/TSV: long (site, item, value) or wide.

    A table without the item and value columns whose site column names each site once is
    read as wide (one column per item, as :func:`read_matrix`; reported). See
    :func:`read_table` (cells spelt ``NA``, ``NaN``, blank ... are missing) and
    :func:`survey_from_frame` for the rules; the report lists both. Values are read as
    text; numeric items are recognised later by the feature builders.

    Parameters
    ----------
    path : path-like
        The CSV/TSV file.
    site_col, item_col, value_col : str
        Names of the site, item and value columns (default ``"site"``, ``"item"``,
        ``"value"``). With the defaults, a CLDF table's ``Language_ID``,
        ``Parameter_ID``/``Concept_ID`` and ``Form``/``Value`` are used when present.
    delimiter : str, optional
        Separator of several variants in one cell; see :func:`survey_from_frame`.
    sites : Index or GeoDataFrame, optional
        The known site ids; a survey site not among them raises. Default: no check.
    argument : str, default "path"
        Name of the survey used in messages (the CLI passes its option name).
    sites_argument : str, default "sites"
        Name of ``sites`` used in messages.
    missing_values : sequence of str, optional
        Spellings of a missing cell instead of :data:`NA_SPELLINGS` (see
        :func:`read_table`).

    Returns
    -------
    (DataFrame, Report)
        The long table ``site, item, value``, and what was read, repaired or removed.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "wide.csv"
    >>> _ = p.write_text("site,hand,eye\\na,shou,yan\\nb,sau,ngaan\\n")
    >>> survey, report = read_survey(p)
    >>> len(survey), sorted(survey["item"].unique()), report.entries[0]["action"]
    (4, ['eye', 'hand'], 'read as a wide table')
    """
    frame, report = read_table(path, argument=argument, first_column=site_col,
                               missing_values=missing_values)
    site_col, item_col, value_col = _cldf_columns(frame, (site_col, item_col, value_col),
                                                  report, argument=argument)
    cols = set(frame.columns)
    if site_col == "site" and not cols & {"site", item_col, value_col}:
        # a wide table whose site column is the sites file's 'id' (an audit was asked for
        # 'site', 'item', 'value' columns, as if only a long table would do)
        named = [c for c in frame.columns
                 if str(c).strip().lower() in ("id", "site_id", "siteid", "site id")]
        if len(named) == 1 and len(cols) >= 2:
            site_col = named[0]
            report.add("site column", f"`{argument}` has no 'site' column; its column "
                       f"{site_col!r} is read as the sites' ids; pass site_col (CLI: "
                       "--site-col) to name another")
    if len(frame) == 0:  # a header and no rows: read_survey crashed on the empty counts
        raise DialectGraphError(
            f"`{argument}` must hold at least one row of readings; {Path(str(path)).name!r} "
            f"has a header ({len(cols)} column(s): {first_examples(list(frame.columns))}) "
            "and no rows. Check that the file is the full export.")
    if sites is not None and site_col not in cols and len(cols) > 2:
        known = {str(k) for k in (sites.index if isinstance(sites, pd.DataFrame) else sites)}
        as_sites = [c for c in frame.columns if str(c).strip() in known]
        if len(as_sites) >= max(2, (len(cols) - 1) / 2):  # items as rows, sites as columns
            raise DialectGraphError(
                f"`{argument}` must have one row per site (or per site and item); its "
                f"columns are site ids of `{sites_argument}` ({len(as_sites)} of "
                f"{len(cols)}: {first_examples(as_sites)}), so it lists items as rows and "
                "sites as columns. Transpose the table (sites as rows, items as columns) or "
                "give a long table (site, item, value).")
    wide_shape = (item_col not in cols and value_col not in cols and site_col in cols
                  and len(cols) >= 2)
    repeated = (frame[site_col].str.strip().duplicated() & frame[site_col].notna()
                if wide_shape else None)
    # a few rows per site over many item columns is a wide table with informants on rows
    # of their own (an audit's two rows per site got "must have the columns 'item',
    # 'value'"); a long table with other column names has few columns
    few_rows = wide_shape and len(cols) > 4 and int(
        frame[site_col].str.strip().value_counts().max()) <= 5
    if wide_shape and repeated.any() and (repeated.mean() <= 0.1 or few_rows):
        # a wide table with a site twice (an audit got "must have the columns 'item',
        # 'value'", a wrong diagnosis); a long table with other column names repeats
        # nearly every site, and gets the missing columns named
        twice = frame[site_col].str.strip()
        twice = twice[twice.duplicated(keep=False)].unique().tolist()
        raise DialectGraphError(
            f"`{argument}` reads as a wide table (a {site_col!r} column and one column per "
            f"item, {len(cols) - 1} items), which must name each site once; "
            f"{len(twice)} site(s) have several rows ({first_examples(twice)}). Merge or "
            "remove the repeated rows (several readings of one item go in one cell, joined "
            "by a delimiter such as '/'), or give a long table (site, item, value).")
    if wide_shape and not repeated.any():
        described = _site_description_columns(frame, site_col, sites)
        if described:
            frame = frame.drop(columns=described)
            report.add("columns describing the sites",
                       f"{len(described)} column(s) of `{argument}` describe the sites rather "
                       f"than survey items, and were not read as items: "
                       f"{first_examples(described, 8)} (a column of `{sites_argument}` with "
                       "its values, coordinates, notes, informants or totals); to compare "
                       "them as items, give a long table (site, item, value)")
        items = [c for c in frame.columns if c != site_col]
        report.add("read as a wide table",
                   f"`{argument}` has no {item_col!r}/{value_col!r} columns and names each "
                   f"site once: read as one column per item ({len(items)} items: "
                   f"{first_examples(items)})")
        wide_rows = len(frame)
        frame = frame.melt(id_vars=[site_col], var_name=item_col, value_name=value_col)
        frame.attrs["wide_rows"] = wide_rows
    elif not any(e["action"] == "read as a CLDF table" for e in report.entries):
        extra = [str(c) for c in frame.columns if c not in (site_col, item_col, value_col)]
        if extra and {site_col, item_col, value_col} <= set(frame.columns):
            report.add("columns not read",
                       f"{len(extra)} column(s) of `{argument}` besides the site, item and "
                       f"value were not read: {first_examples(extra, 6)} (several informants' "
                       "readings of one site and item are its variants)")
    survey, rep = survey_from_frame(frame, site_col=site_col, item_col=item_col,
                                    value_col=value_col, delimiter=delimiter, sites=sites,
                                    argument=argument, sites_argument=sites_argument,
                                    missing_values=missing_values)
    report.extend(rep)
    return survey, _one_note_on_missing_values(report, frame, value_col)


#: Column names (any case) of a wide survey that describe its sites or informants, not
#: items: an audit's 'notes' and 'informant' columns were compared as readings. (Names that
#: are also concepts of word lists, 'name', 'long', 'year', are not among them: a column
#: of the sites file with the sites' own values is left out, see below.)
SITE_DESCRIPTION_COLUMNS = frozenset({
    "note", "notes", "remark", "remarks", "comment", "comments", "source", "sources",
    "informant", "informants", "speaker", "speakers", "consultant", "consultants", "total",
    # as atlases of other languages head them (an audit's Portuguese 'notas')
    "nota", "notas", "observação", "observações", "observación", "observaciones",
    "remarque", "remarques", "bemerkung", "bemerkungen", "anmerkung", "anmerkungen",
    "commento", "commenti", "opmerking", "opmerkingen", "fonte", "fuente", "quelle",
    "informante", "informantes", "informateur", "informateurs", "informatore",
    "informatori", "gewährsperson", "gewährspersonen", "informant(en)"})
#: ... and coordinates, when every value is a number of degrees (decimal commas too).
COORDINATE_COLUMNS = frozenset({
    "latitude", "longitude", "lat", "lon", "lng", "coordinates", "latitud", "longitud",
    "latitudine", "longitudine", "breite", "länge", "laenge", "breitengrad", "längengrad"})


def _site_description_columns(frame: pd.DataFrame, site_col: str,
                              sites: Any) -> list[str]:
    """The columns of a wide survey that describe the sites: a column of ``sites`` (a
    frame indexed by site id) holding the same values for most sites (an audit's 'name',
    'latitude', 'longitude' were compared as readings: '39.904' against '39.084'),
    coordinates by their name and numbers, and notes or informants by their name
    (:data:`SITE_DESCRIPTION_COLUMNS`)."""
    own = {}
    if isinstance(sites, pd.DataFrame):
        geometry = sites.geometry.name if isinstance(sites, gpd.GeoDataFrame) else None
        own = {str(c).strip().lower(): c for c in sites.columns if c != geometry}
    ids = frame[site_col].astype(str).str.strip()
    out = []
    for c in frame.columns:
        if c == site_col:
            continue
        key = str(c).strip().lower()
        values = frame[c]
        given = values.notna() & (values.astype(str).str.strip() != "")
        if key in SITE_DESCRIPTION_COLUMNS:
            out.append(c)
        elif key in COORDINATE_COLUMNS and given.any() and _all_degrees(values[given]):
            out.append(c)
        elif own and given.any():
            # a column of the sites' own values under its name or another ('nome' for
            # 'name'): compared with the sites' columns when its values are as varied
            varied = values[given].nunique() >= 0.5 * int(given.sum())
            for c_own in [c_own for k, c_own in own.items() if k == key or varied]:
                theirs = sites[c_own].reindex(ids[given].to_numpy())
                if _same_values(values[given].to_numpy(), theirs.to_numpy()) >= 0.8:
                    out.append(c)
                    break
    return out


def _numbers(values: Any) -> np.ndarray:
    """``values`` as floats, a decimal comma read as a point (43,21); NaN where not a
    number."""
    text = pd.Series(np.asarray(values, dtype=object)).astype(str).str.strip()
    text = text.str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    return pd.to_numeric(text, errors="coerce").to_numpy(float)


def _all_degrees(values: Any) -> bool:
    """Whether every one of ``values`` is a number of degrees (-180 to 360)."""
    x = _numbers(values)
    return bool(((x >= -180) & (x <= 360)).all())


def _same_values(a: np.ndarray, b: np.ndarray) -> float:
    """The share of positions where ``a`` and ``b`` hold the same value: equal numbers (to
    1e-6) or equal stripped text."""
    na, nb = _numbers(a), _numbers(b)
    num = np.isfinite(na) & np.isfinite(nb) & (np.abs(na - nb) <= 1e-6)
    text = pd.Series(a).astype(str).str.strip().to_numpy() == pd.Series(b).astype(
        str).str.strip().to_numpy()
    return float(np.mean(num | text)) if len(a) else 0.0


#: The columns of a CLDF FormTable or ValueTable (any case) read as site, item and value
#: when a survey has none of the default names (each name in order of preference).
CLDF_SURVEY_COLUMNS = (("site", ("language_id",)), ("item", ("parameter_id", "concept_id")),
                       ("value", ("form", "value")))


def _cldf_columns(frame: pd.DataFrame, given: tuple[str, str, str], report: Report, *,
                  argument: str) -> tuple[str, str, str]:
    """``(site, item, value)`` columns: the given ones, or, when they are the defaults and
    the table has none of them but has a CLDF FormTable's or ValueTable's
    (``Language_ID``, ``Parameter_ID``, ``Form`` or ``Value``), those (reported)."""
    defaults = tuple(name for name, _ in CLDF_SURVEY_COLUMNS)
    if given != defaults or set(defaults[:2]) & set(frame.columns):
        return given
    names = {str(c).strip().lower(): c for c in frame.columns}
    found = []
    for _, aliases in CLDF_SURVEY_COLUMNS:
        hit = next((names[a] for a in aliases if a in names), None)
        if hit is None:
            return given
        found.append(str(hit))
    report.add("read as a CLDF table",
               f"`{argument}` has CLDF columns: sites from {found[0]!r}, items from "
               f"{found[1]!r}, values from {found[2]!r} (site_col/item_col/value_col (CLI: "
               "--site-col/--item-col/--value-col) choose others)")
    return found[0], found[1], found[2]


def _one_note_on_missing_values(report: Report, frame: pd.DataFrame, value_col: str) -> Report:
    """The reader's "treated as missing" and the survey's "removed empty values" say the
    same when every cell spelt as missing is a value: keep the second (it names the
    sites), with the spellings of the first."""
    actions = [e["action"] for e in report.entries]
    if "treated as missing" not in actions or "removed empty values" not in actions:
        return report
    if int(frame.isna().to_numpy().sum()) != int(frame[value_col].isna().sum()):
        return report  # cells of other columns too: both notes are needed
    reader = report.entries[actions.index("treated as missing")]
    spelt = re.search(r"spelt as missing data \((.*)\) in column", reader["detail"])
    merged = Report()
    for e in report.entries:
        if e is reader:
            continue
        if e["action"] == "removed empty values" and spelt:
            hint = reader["detail"].split("; if ", 1)  # keep a value read as missing
            e = dict(e, detail=e["detail"].replace(
                "had a blank or NaN value", f"had a blank value or one spelt as missing "
                f"({spelt.group(1)})", 1) + (f"; if {hint[1]}" if len(hint) > 1 else ""))
        merged.entries.append(e)
    return merged


def read_matrix(
    path: str | os.PathLike,
    *,
    id_col: str | None = None,
    delimiter: str | None = None,
    sites: pd.Index | gpd.GeoDataFrame | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Read a wide site × item matrix (first column or ``id_col`` = site id) as a long table.

    Parameters
    ----------
    path : path-like
        The CSV/TSV file, one row per site and one column per item.
    id_col : str, optional
        Column of site ids; default: the first column.
    delimiter : str, optional
        Separator of several variants in one cell; see :func:`survey_from_frame`.
    sites : Index or GeoDataFrame, optional
        The known site ids; a site not among them raises. Default: no check.

    Returns
    -------
    (DataFrame, Report)
        The long table ``site, item, value`` and what was done (as :func:`read_survey`).
    """
    frame, report = read_table(path, argument="path")
    id_col = id_col or frame.columns[0]
    require_columns(frame, [id_col], argument="path", option="id_col")
    long = frame.melt(id_vars=[id_col], var_name="item", value_name="value")
    survey, rep = survey_from_frame(long, site_col=id_col, delimiter=delimiter, sites=sites,
                                    argument="path")
    report.extend(rep)
    return survey, _one_note_on_missing_values(report, long, "value")


def read_square_matrix(path: str | os.PathLike, *, argument: str = "--distances") -> pd.DataFrame:
    """Read a square site x site CSV (ids as header and first column) as floats.

    Read through :func:`read_table` (so a directory, a missing file or bad bytes give the
    same messages as every other table); cells spelt as missing become NaN; a text cell
    is named. Shape, order and symmetry are checked by the caller (e.g.
    :func:`geodata.dialectometry.distances.validate_distance_matrix`).

    Parameters
    ----------
    path : path-like
        The CSV file.
    argument : str, default "--distances"
        The argument or option name used in messages.

    Returns
    -------
    DataFrame
        Floats indexed by the first column's ids, columns named by the header's ids (both
        stripped).
    """
    frame, _ = read_table(path, argument=argument, index_header=True)
    if frame.shape[1] < 2:
        raise DialectGraphError(
            f"`{argument}` must be a square CSV with site ids as header and first column; "
            f"{str(path)!r} has {frame.shape[1]} column(s). Check the separator (commas).")
    ids = frame.iloc[:, 0].astype(str).str.strip()
    body = frame.iloc[:, 1:]
    values = body.apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce"))
    text = values.isna() & body.notna()
    if text.to_numpy().any():
        r, c = (int(x[0]) for x in np.nonzero(text.to_numpy()))
        raise DialectGraphError(
            f"`{argument}` must hold numbers only; {int(text.to_numpy().sum())} cells are text "
            f"(first: row {ids.iloc[r]!r}, column {body.columns[c]!r}: {body.iat[r, c]!r}). "
            "Fix those cells.")
    values.index = pd.Index(ids, name=None)
    values.columns = pd.Index([str(c).strip() for c in body.columns])
    return values.astype(float)


def read_cldf(
    metadata: str | os.PathLike, *, value_table: str | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, Report]:
    """Read a CLDF dataset with pycldf: LanguageTable coordinates and Value/Form values.

    Parameters
    ----------
    metadata : path-like
        The dataset's ``*-metadata.json`` (or a folder containing one).
    value_table : {"ValueTable", "FormTable"}, optional
        Which table supplies the survey; by default ValueTable if present, else FormTable.
        FormTable rows use ``Parameter_ID`` as item and ``Form`` as value (cognate-set ids
        are kept in the ``cognateset`` column when a CognateTable exists).

    Returns
    -------
    (sites, survey, report)
        Languages without coordinates are left out *and listed in the report*.
    """
    from pycldf import Dataset as CLDFDataset

    path = Path(metadata)
    if path.is_dir():
        found = sorted(path.glob("*metadata.json"))
        if not found:
            raise DialectGraphError(f"`metadata` must be a CLDF metadata JSON or a folder with "
                                    f"one; none found in {str(path)!r}. Point to the cldf/ folder.")
        path = found[0]
    try:
        ds = CLDFDataset.from_metadata(path)
    except Exception as exc:
        raise DialectGraphError(f"`metadata` must be a readable CLDF dataset; reading "
                                f"{str(path)!r} failed ({exc}). Check the file.") from exc
    report = Report()
    langs = pd.DataFrame(list(ds.iter_rows("LanguageTable", "id", "name", "latitude", "longitude")))
    no_coord = langs["latitude"].isna() | langs["longitude"].isna()
    if no_coord.any():
        report.add("left out languages without coordinates",
                   f"{int(no_coord.sum())} languages have no latitude/longitude",
                   langs.loc[no_coord, "id"])
        langs = langs[~no_coord]
    sites = sites_from_frame(langs, id_col="id", argument="metadata")
    tables = {ds.get_tabletype(t) for t in ds.tables} - {None}
    table = value_table or ("ValueTable" if "ValueTable" in tables else "FormTable")
    if table not in tables:
        raise DialectGraphError(f"`value_table` must be a table of this dataset "
                                f"({sorted(tables)}); got {table!r}.")
    value_col = "value" if table == "ValueTable" else "form"
    rows = pd.DataFrame(list(ds.iter_rows(table, "id", "languageReference",
                                          "parameterReference", value_col)))
    rows = rows.rename(columns={"languageReference": "site", "parameterReference": "item",
                                value_col: "value"})
    if table == "FormTable" and "CognateTable" in tables:
        cog = pd.DataFrame(list(ds.iter_rows("CognateTable", "formReference", "cognatesetReference")))
        cog = cog.groupby("formReference")["cognatesetReference"].first()
        rows["cognateset"] = rows["id"].map(cog)
    dropped = ~rows["site"].isin(sites.index)
    if dropped.any():
        report.add("left out values of languages without coordinates",
                   f"{int(dropped.sum())} rows", rows.loc[dropped, "site"].unique())
        rows = rows[~dropped]
    # a form's cognate set travels with it, through every rewriting of the form
    extra = [c for c in rows.columns if c not in {"id", "site", "item", "value"}]
    survey, rep = survey_from_frame(rows, sites=sites, argument="metadata", keep_columns=extra)
    report.extend(rep)
    return sites, survey, report
