"""Load a table and split it, stratified. Pure: no Flyte, no MLflow.

Sources: the embedded demo (`builtin:breast_cancer`), `synthetic:<rows>`
(generated from the data contract), or a CSV/Parquet path or URI.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.domain.contract import TableFormat
from workflows.domain.errors import PipelineError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np
    import pandas as pd

    from workflows.domain.contract import Contract

BUILTIN = "builtin:breast_cancer"
SYNTHETIC_PREFIX = "synthetic:"
# The demo: scikit-learn's copy of the Wisconsin diagnostic breast-cancer table,
# with its labels by name, as the original table has them.
DEMO_TARGET = "diagnosis"
DEMO_POSITIVE = "malignant"
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}


class DataLoadError(PipelineError, ValueError):
    """The data source cannot be read; the message names the source."""


def load(source: str, contract: Contract | None = None, seed: int = 0) -> pd.DataFrame:
    """Read `source` as it is (see read_table)."""
    if source in ("", BUILTIN):
        return demo()
    if source.startswith(SYNTHETIC_PREFIX):
        if contract is None:
            raise DataLoadError(f"{source!r}: synthetic data needs a data contract")
        return synthetic(_rows(source), contract, seed)
    return read_table(source, contract)


def check_found(source: str) -> str:
    """`source`, or DataLoadError when it is a local path with nothing there: said
    before anything slow (loading a model) rather than at the first read."""
    if _is_local_file(source) and not Path(source).exists():
        raise _no_such_file(source)
    return source


def first_rows(source: str, contract: Contract, rows: int) -> pd.DataFrame | None:
    """The first `rows` rows of a local file, read as `chunks` reads them (for
    checks before anything slow); None for a source that is not a local file (it
    is read once, by the caller). DataLoadError when the file is not there or has
    no rows (a header only, or nothing at all)."""
    if not _is_local_file(check_found(source)):
        return None
    # pandas reads a header only as 0 rows; a Parquet folder may start with an empty file
    first = next((piece for piece in chunks(source, contract, rows) if len(piece)), None)
    if first is None:
        raise no_rows(source)
    return first


def _is_local_file(source: str) -> bool:
    return (
        source not in ("", BUILTIN)
        and "://" not in source
        and not source.startswith(SYNTHETIC_PREFIX)
    )


def _no_such_file(source: str) -> DataLoadError:
    return DataLoadError(f"{source!r}: no such file")


def no_rows(source: str) -> DataLoadError:
    """The one refusal of a table with no rows (a header only), whatever reads it."""
    return DataLoadError(f"{source!r}: the table has no rows")


def with_rows(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """`frame`, or DataLoadError when it has no rows (a header only): nothing in it
    to learn from or draft a contract from, whatever its columns say."""
    if not len(frame):
        raise no_rows(source)
    return frame


def demo() -> pd.DataFrame:
    """569 rows: 30 numeric measurements and `diagnosis` (malignant / benign)."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.drop(columns="target")
    frame[DEMO_TARGET] = bunch.target_names[bunch.target.to_numpy()]
    return frame


def _rows(source: str) -> int:
    text = source[len(SYNTHETIC_PREFIX) :]
    if not text.isdigit() or int(text) < 1:
        raise DataLoadError(f"{source!r}: synthetic data needs a positive row count")
    return int(text)


def synthetic(rows: int, contract: Contract, seed: int = 0) -> pd.DataFrame:
    """A learnable table in the contract's shape, for scale benchmarks and tests.

    Numeric features come from scikit-learn's make_classification; categorical
    and boolean ones are cut from informative columns, so they carry signal too.
    Features that may be missing lose ~3 % of their values; ignored columns hold
    row identifiers. Labels are the contract's own; a regression target is a
    noisy, right-skewed function of the informative columns.
    """
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    names = contract.feature_names
    classes = len(contract.labels) if contract.is_classification else 2
    clusters = 2 if classes == 2 else 1
    need = int(np.ceil(np.log2(classes * clusters)))  # make_classification's minimum
    informative = max(min(8, max(len(names), 2)), need)
    values, target = make_classification(
        n_samples=rows,
        n_features=max(len(names), informative),
        n_informative=informative,
        n_redundant=0,
        n_classes=classes,
        n_clusters_per_class=clusters,
        class_sep=1.0,
        flip_y=0.02,
        shuffle=False,  # informative columns first: categorical ones get some of them
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    for index, feature in enumerate(contract.features):
        column = values[:, index]
        if feature.kind == "categorical":
            cuts = np.quantile(column, [0.2, 0.4, 0.6, 0.8])
            column = np.array([f"level {i}" for i in range(5)], dtype=object)[
                np.searchsorted(cuts, column)
            ]
        elif feature.kind == "boolean":
            column = (column > 0).astype(object)
        elif feature.kind == "datetime":  # ISO dates across ~3 years, later = more signal
            days = np.clip(np.round(column * 200 + 600), 0, 1200).astype("timedelta64[D]")
            column = np.datetime_as_string(np.datetime64("2022-01-01") + days).astype(object)
        else:
            column = column.astype(float)
        if feature.missing:
            column = column.astype(object) if feature.kind != "numeric" else column.copy()
            column[rng.random(rows) < 0.03] = None if feature.kind != "numeric" else np.nan
        columns[feature.name] = column
    frame = pd.DataFrame(columns)
    if contract.is_classification:
        labels = np.array(contract.labels, dtype=object)
        frame[contract.target] = labels[target]
        if all(isinstance(x, int | float) and not isinstance(x, bool) for x in labels):
            frame[contract.target] = frame[contract.target].astype(type(labels[-1]))
    else:
        signal = values[:, :informative].sum(axis=1) + 0.3 * rng.standard_normal(rows)
        frame[contract.target] = np.exp(signal / max(informative, 1) + 3)  # skewed, positive
    for index, name in enumerate(contract.ignore):
        frame[name] = [f"row-{index}-{i}" for i in range(rows)]
    return frame


@dataclass(frozen=True)
class CsvText:
    """A CSV held in memory, such as a `text/csv` request body: `read_table` reads
    it exactly as a .csv file of the contract (dialect, missing cells, types);
    its messages name it by `name` where they would name a file."""

    data: bytes
    name: str = "the request body"

    def __repr__(self) -> str:  # the messages say f"{source!r}: ..."
        return repr(self.name)


def read_table(source: str | CsvText, contract: Contract | None = None) -> pd.DataFrame:
    """Read a CSV file, a Parquet file or a folder of Parquet files (hive-partitioned
    or not), or CSV text in memory (CsvText), as the team wrote it; DataLoadError
    says what is wrong with it.

    With a contract, a CSV is read in its dialect (`table:`), only an empty cell
    or the column's own `missing_values` is missing, and categorical, datetime
    and ignored columns stay text exactly as written ("007" stays "007", an
    identifier beyond 2^53 keeps every digit), and numeric and boolean features
    are typed by their kind (`typed_by_contract`: numbers as float64), whatever
    the cells look like. Without one, every column is read that way but the
    types pandas infers (for `make contract`).
    """
    frame = read_with(source, reading(contract))
    if contract is None:
        return frame
    if _suffix(source) == ".csv":
        # Typed as `chunks` types each piece, so a table loaded whole and the same
        # table scored in chunks hold the same values of the same dtypes.
        frame = typed_by_contract(frame, contract)
    return dates_as_text(frame, contract.of_kind("datetime"))


def dates_as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A Parquet timestamp column of a datetime feature as ISO text, the form a CSV,
    a request and the model all take ("2024-03-01 08:30:00+00:00"); lossless."""
    import pandas as pd

    for name in columns:
        column = frame.get(name)
        if column is not None and pd.api.types.is_datetime64_any_dtype(column):
            frame[name] = column.map(lambda v: v.isoformat() if not pd.isna(v) else None)
    return frame


@dataclass(frozen=True)
class Reading:
    """How to read a table: the CSV dialect, the cells that mean missing per
    column, and the columns kept as text."""

    table: TableFormat = field(default_factory=TableFormat)
    missing: dict[str, list[str]] = field(default_factory=dict)  # column -> tokens ("" included)
    text: tuple[str, ...] = ()


def reading(contract: Contract | None) -> Reading:
    if contract is None:
        return Reading()
    text = contract.of_kind("categorical") + contract.of_kind("datetime") + list(contract.ignore)
    return Reading(contract.table, contract.missing_values(), tuple(text))


def read_with(source: str | CsvText, how: Reading, nrows: int | None = None) -> pd.DataFrame:
    if _is_parquet(source):
        return _read_parquet(source)
    if _suffix(source) == ".csv":
        return _reading(source, how.table, _csv, source, how, nrows=nrows)
    raise DataLoadError(
        f"{source!r}: expected a .csv or .parquet file, or a folder of Parquet files"
    )


def _suffix(source: str | CsvText) -> str:
    if isinstance(source, CsvText):
        return ".csv"
    return Path(source.split("?", 1)[0]).suffix.lower()


def _is_parquet(source: str | CsvText) -> bool:
    if isinstance(source, CsvText):
        return False
    return _suffix(source) in (".parquet", ".pq") or Path(source).is_dir()


def _opened(source: str | CsvText):
    """What pandas.read_csv reads: the path, or a fresh stream over text in memory
    (the header and the rows are read by two calls)."""
    return io.BytesIO(source.data) if isinstance(source, CsvText) else source


def _csv(source: str | CsvText, how: Reading, **kwargs) -> pd.DataFrame:
    import pandas as pd

    names = header(source, how.table)
    options = csv_options(how, names)
    return grouped_numbers(pd.read_csv(_opened(source), **options, **kwargs), how)


def csv_options(how: Reading, names: list[str]) -> dict:
    """pandas.read_csv's arguments for this dialect: nothing is missing but an
    empty cell and the listed tokens (pandas' own list has "NA", "None", "null"...)."""
    table = how.table
    # pandas drops a thousands separator wherever it stands ("0.221" -> 221): with
    # one, every column is read as text and `grouped_numbers` converts it strictly.
    text = names if table.thousands else [name for name in how.text if name in names]
    return {
        "sep": table.delimiter,
        "decimal": table.decimal,
        "encoding": table.encoding,
        "keep_default_na": False,
        "na_values": {name: how.missing.get(name, [""]) for name in names},
        "dtype": {name: str for name in text},
    }


def grouped_numbers(frame: pd.DataFrame, how: Reading) -> pd.DataFrame:
    """A CSV read as text under a dialect with a thousands separator, its number
    columns converted: a column becomes numbers only when every cell is one as the
    dialect writes it (groups of three digits, then the decimal mark: "1.234,5").
    Text, datetime and ignored columns, and columns with words in them, stay text
    as written. Returns `frame` itself when the dialect has no thousands separator.

    Raises DataLoadError naming the column when its cells are all numbers but some
    are not written in the dialect ("0.221" where the decimal mark is ","): read
    as pandas would, they would silently become other numbers (221).
    """
    import pandas as pd

    table = how.table
    if not table.thousands:
        return frame
    group, point = re.escape(table.thousands), re.escape(table.decimal)
    # A grouped number starts with 1-999 ("0.221" is no number where "." groups thousands).
    grammar = rf"[+-]?(?:[1-9]\d{{0,2}}(?:{group}\d{{3}})+|\d+)(?:{point}\d+)?(?:[eE][+-]?\d+)?"
    for name in frame.columns:
        column = frame[name]
        types = pd.api.types
        textual = types.is_object_dtype(column.dtype) or types.is_string_dtype(column.dtype)
        if name in how.text or not textual:
            continue
        present = column.dropna().astype(str).str.strip()
        if present.empty or not present.str.fullmatch(_NUMBER_LIKE).all():
            continue  # words among them: text, for validation to judge
        if present.str.fullmatch(r"[+-]?0\d+").any():
            continue  # leading zeros ("000123"): an identifier or a code, kept as written
        odd = present[~present.str.fullmatch(grammar)]
        if len(odd):
            raise DataLoadError(
                f"column {name!r}: {len(odd)} number(s) not written as the contract's "
                f"table: says (decimal {table.decimal!r}, thousands {table.thousands!r}), "
                f"e.g. {', '.join(repr(v) for v in dict.fromkeys(odd.tolist()[:3]))}; "
                "read that way they would be other numbers: fix the cells, or table: "
                "in the contract (make contract sniffs it)"
            )
        plain = column.str.strip().str.replace(table.thousands, "", regex=False)
        frame[name] = pd.to_numeric(plain.str.replace(table.decimal, ".", regex=False))
    return frame


def header(source: str | CsvText, table: TableFormat) -> list[str]:
    """The header as written, checked: no name twice (pandas renames a second "a"
    to "a.1" silently), and a delimiter that matches the file."""
    import pandas as pd

    first = _reading(
        source, table, pd.read_csv, _opened(source), header=None, nrows=1, dtype=str,
        sep=table.delimiter, encoding=table.encoding, keep_default_na=False,
    )  # fmt: skip
    names = [str(n) for n in first.iloc[0].tolist()] if len(first) else []
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataLoadError(f"{source!r}: the header names these columns twice: {duplicated}")
    if len(names) == 1:
        for delimiter, what in _DELIMITER_NAMES.items():
            if delimiter != table.delimiter and delimiter in names[0]:
                raise DataLoadError(
                    f"{source!r}: the header {names[0][:60]!r} is one column with {what} in "
                    f"it: the file seems separated by {delimiter!r}, not "
                    f"{table.delimiter!r}; set table.delimiter in the data contract "
                    "(make contract sniffs it)"
                )
    return names


def _reading(source: str, table: TableFormat | None, reader, *args, **kwargs) -> pd.DataFrame:
    import pandas as pd

    try:
        return reader(*args, **kwargs)
    except DataLoadError:
        raise
    except FileNotFoundError:
        raise _no_such_file(source) from None
    except pd.errors.EmptyDataError:
        raise DataLoadError(f"{source!r}: the file is empty (no header, no rows)") from None
    except UnicodeDecodeError as err:
        encoding = table.encoding if table else "utf-8"
        raise DataLoadError(
            f"{source!r}: not {encoding} text (byte {err.object[err.start : err.start + 1]!r} at "
            f"position {err.start}); set table.encoding in the data contract (latin-1, cp1252, "
            "utf-8-sig; make contract sniffs it)"
        ) from None
    except Exception as err:
        raise DataLoadError(f"{source!r}: cannot be read ({type(err).__name__}: {err})") from None


def _read_parquet(source: str) -> pd.DataFrame:
    dataset = _parquet_dataset(source)
    table = _reading(source, None, dataset.to_table)
    return plain_types(table.to_pandas())


def _parquet_dataset(source: str):
    """A Parquet file or folder as one pyarrow dataset; a folder whose files
    disagree on their columns is refused (pyarrow would keep the first file's
    columns and drop the others' silently)."""
    import pyarrow.dataset as ds

    partitioning = "hive" if Path(source).is_dir() else None
    dataset = _reading(
        source, None, ds.dataset, source, format="parquet", partitioning=partitioning
    )
    fragments = list(dataset.get_fragments())
    if not fragments:
        raise DataLoadError(f"{source!r}: holds no Parquet file")
    first = fragments[0].physical_schema
    for fragment in fragments[1:]:
        schema = fragment.physical_schema
        if not schema.equals(first):
            raise DataLoadError(
                f"{source!r}: its files have different columns: {fragment.path} has "
                f"{_schema_text(schema, first)} where {fragments[0].path} has "
                f"{_schema_text(first, schema)}; write every part with the same columns and types"
            )
    return dataset


def _schema_text(schema, other) -> str:
    differ = [
        f"{f.name}: {f.type}"
        for f in schema
        if f.name not in other.names or not other.field(f.name).type.equals(f.type)
    ]
    return "{" + ", ".join(differ) + "}" if differ else "no other column"


def plain_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed Parquet as its values: a dictionary-encoded (categorical) column as the
    values it holds, nullable extension dtypes (Int64, boolean, string) as plain
    numbers, booleans or text with NaN/None where missing. Values are unchanged."""
    import numpy as np
    import pandas as pd

    out = {}
    for name in frame.columns:
        column = frame[name]
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            column = column.astype(dtype.categories.dtype if column.notna().all() else object)
            column = column.where(column.notna(), None) if column.dtype == object else column
            column = column.infer_objects()
            dtype = column.dtype
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(
            dtype, pd.DatetimeTZDtype | pd.CategoricalDtype
        ):
            if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
                has_na = bool(column.isna().any())
                numpy_type = float if has_na or pd.api.types.is_float_dtype(dtype) else "int64"
                column = pd.Series(
                    column.to_numpy(dtype=numpy_type, na_value=np.nan), index=column.index
                )
            elif pd.api.types.is_bool_dtype(dtype):
                column = (
                    column.astype(bool) if column.notna().all() else column.astype(object).where(
                        column.notna(), None)
                )  # fmt: skip
            elif pd.api.types.is_string_dtype(dtype):
                column = column.astype(object).where(column.notna(), None)
        out[name] = column
    return pd.DataFrame(out, index=frame.index)


def chunks(source: str, contract: Contract, rows: int) -> Iterator[pd.DataFrame]:
    """The table `source` in pieces of at most `rows` rows, as `load` reads it:
    a CSV or Parquet file is never held whole in memory. A CSV's features are
    typed from the contract (`typed_by_contract`), never guessed piece by piece: a
    later piece that looks different (empty throughout, say) reads the same way."""
    how = reading(contract)
    if _is_parquet(source):
        dataset = _parquet_dataset(source)
        for batch in dataset.to_batches(batch_size=rows, batch_readahead=0, fragment_readahead=0):
            yield dates_as_text(plain_types(batch.to_pandas()), contract.of_kind("datetime"))
    elif _suffix(source) == ".csv":
        import pandas as pd

        names = header(source, how.table)
        options = csv_options(how, names)
        with _reading(source, how.table, pd.read_csv, source, **options, chunksize=rows) as reader:
            while True:
                piece = _reading(source, how.table, next, reader, None)
                if piece is None:
                    return
                yield typed_by_contract(grouped_numbers(piece, how), contract)
    else:
        table = load(source, contract)
        for start in range(0, len(table), rows):
            yield table.iloc[start : start + rows].reset_index(drop=True)


# Cells that are numbers in some dialect: digits and the marks numbers are written with.
_NUMBER_LIKE = r"[+-]?[\d.,' ]*\d[\d.,' ]*(?:[eE][+-]?\d+)?"
SNIFF_BYTES = 1 << 20  # the first MiB of a CSV decides its dialect
_DECIMAL_COMMA = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d+$")
_THOUSANDS = {
    ".": re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$"),
    ",": re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"),
    " ": re.compile(r"^-?\d{1,3}( \d{3})+([.,]\d+)?$"),
    "'": re.compile(r"^-?\d{1,3}('\d{3})+(\.\d+)?$"),
}


def sniff(source: str) -> TableFormat:
    """How a CSV file is written, from its first MiB: encoding (a UTF-8 byte-order
    mark, UTF-8, else Latin-1), delimiter, decimal mark, thousands separator.
    A Parquet source has its own types: the default."""
    if _is_parquet(source) or _suffix(source) != ".csv":
        return TableFormat()
    try:
        with open(source, "rb") as file:
            head = file.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise _no_such_file(source) from None
    return sniff_text(head)


def sniff_text(head: bytes) -> TableFormat:
    import csv

    if head.startswith(b"\xef\xbb\xbf"):
        encoding, text = "utf-8-sig", head[3:].decode("utf-8", errors="ignore")
    else:
        try:
            encoding, text = "utf-8", head.decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start >= len(head) - 4:  # a character cut at the end of the sample
                encoding, text = "utf-8", head[: err.start].decode("utf-8")
            else:
                encoding, text = "cp1252" if _cp1252(head) else "latin-1", head.decode("latin-1")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(head) == SNIFF_BYTES and len(lines) > 1:  # the sample's last line may be cut
        lines = lines[:-1]
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    cells = [
        cell.strip()
        for row in csv.reader(lines[1:], delimiter=delimiter)
        for cell in row
        if cell.strip()
    ]
    decimal = "," if delimiter != "," and any(_DECIMAL_COMMA.match(c) for c in cells) else "."
    thousands = ""
    for mark, pattern in _THOUSANDS.items():
        if mark not in (decimal, delimiter) and any(pattern.match(c) for c in cells):
            thousands = mark
            break
    return TableFormat(delimiter, decimal, thousands, encoding)


def _cp1252(head: bytes) -> bool:
    """Windows' Latin-1: bytes 0x80-0x9f are printable (€, curly quotes) there."""
    return any(0x80 <= b <= 0x9F for b in head)


def row_groups(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One integer per row, equal for rows identical in `columns` (the model's
    features): identical rows are one group, numbered from 0 in order of first
    appearance."""
    import pandas as pd

    hashed = pd.util.hash_pandas_object(frame[columns], index=False)
    return pd.factorize(hashed)[0]


_SPELLED = {"true": True, "false": False}


def typed_by_contract(text: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """A CSV piece with each numeric or boolean feature typed by its kind in the
    contract: numeric as float64, boolean as True/False (spelled true/false in any
    case); every other column kept as read. A column with a
    value of another kind is left as text, so validation names it; never coerced."""
    import numpy as np
    import pandas as pd

    typed = text.copy()
    for feature in contract.features:
        if feature.name not in text.columns or feature.kind not in ("numeric", "boolean"):
            continue
        column = text[feature.name]
        present = column.notna()
        if feature.kind == "numeric":
            parsed = pd.to_numeric(column, errors="coerce").astype("float64")
        else:
            spelled = column.astype(object).map(lambda v: _SPELLED.get(str(v).strip().lower()))
            parsed = spelled.where(present, np.nan).astype(object)
        if not (parsed.isna() & present).any():
            typed[feature.name] = parsed
    return typed


def split(
    frame: pd.DataFrame,
    target: str,
    test_size: float,
    seed: int,
    groups: np.ndarray | None = None,
    stratify: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified train/test split on `target`: both parts keep the class ratio,
    no row lost (`stratify` False: a regression target, split at random). With
    `groups` (row_groups), rows of one group land on one side: a row repeated in
    the table is never trained on and then tested on, which would flatter the
    held-out score."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    if groups is None:
        train, test = train_test_split(
            frame, test_size=test_size, random_state=seed,
            stratify=frame[target] if stratify else None,
        )  # fmt: skip
        return train.reset_index(drop=True), test.reset_index(drop=True)
    # Split the distinct rows (the first of each group), stratified by its label.
    _, first = np.unique(groups, return_index=True)
    labels = frame[target].to_numpy()[first]
    _, counts = np.unique(labels.astype(str), return_counts=True)
    by = labels if stratify and counts.min() >= 2 else None
    _, test_groups = train_test_split(
        groups[first], test_size=test_size, random_state=seed, stratify=by
    )
    in_test = np.isin(groups, test_groups)
    return (
        frame[~in_test].reset_index(drop=True),
        frame[in_test].reset_index(drop=True),
    )


def resolve_source(source: str, contract: Contract, contract_path: str) -> str:
    """DATA as given, else the contract's `source`; a relative path in the
    contract is relative to the contract file."""
    if source:
        return source
    if not contract.source:
        raise DataLoadError(
            f"no table to read: set DATA=<csv or parquet>, or `source:` in {contract_path}"
        )
    if ":" in contract.source or Path(contract.source).is_absolute():
        return contract.source  # builtin:, synthetic:, s3://, an absolute path
    return str(Path(contract_path).parent / contract.source)
