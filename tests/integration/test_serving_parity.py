"""One row, one answer: the running uvicorn server (`python -m workflows serve`),
batch scoring (workflows/steps/scoring.py, what `make score` runs) and the
in-process model give the same label and probability for the same row, and
refuse the same rows naming the same columns. Then the server's limits: 413,
chunked bodies, a wrong Content-Length, SIGTERM drain.

One model is trained on a contract with every kind, each both allowed and not
allowed to be missing, and an ignored id column."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.integration.services import free_port
from workflows.domain import contract as data_contract
from workflows.domain import data, drift, missing, schema
from workflows.domain.contract import Contract, Feature, TableFormat
from workflows.domain.request import as_table_cells
from workflows.domain.training import TrainParams
from workflows.gateways.registry import Registry
from workflows.serving import hosting
from workflows.settings import Settings
from workflows.steps import scoring, training

pytestmark = pytest.mark.slow
DOMAIN = "development"
ROOT = Path(__file__).resolve().parents[2]
CONTRACT = Contract(
    target="churned",
    positive="yes",
    negative="no",
    features=(
        Feature("amount", "numeric", True),
        Feature("age", "numeric", False),
        Feature("plan", "categorical", True),
        Feature("region", "categorical", False),
        Feature("promo", "boolean", True),
        Feature("active", "boolean", False),
        Feature("signup", "datetime", True),
        Feature("renewal", "datetime", False),
    ),
    ignore={"customer id": "unique per row"},
)
CATEGORIES = [f"level {i}" for i in range(5)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parity")
    contract_path = folder / "contract.yaml"
    contract_path.write_text(data_contract.dump(CONTRACT))
    table = data.synthetic(1500, CONTRACT, seed=3)
    table.to_csv(folder / "train.csv", index=False)
    env = {
        "MLFLOW_TRACKING_URI": f"sqlite:///{folder}/mlflow.db",
        "DOMAIN": DOMAIN,
        "GIT_SHA": "0" * 40,
        "GIT_REF": "refs/heads/feature/parity",
        "CONTRACT": str(contract_path),
        "DATA": str(folder / "train.csv"),
    }
    settings = Settings.from_env(env)
    train, test = training.prepare(str(contract_path), settings.data, test_size=0.25, seed=7)
    result, _, _ = training.train(settings, train, test, TrainParams(seed=7))
    model = training.register(settings, training.gate(result, 0.6), "parity")
    training.deploy(settings, model, test, result.expected)
    return settings, env, folder


def _start(env: dict, port: int, *args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "workflows", "serve", "--port", str(port), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the server did not answer /ping")


@pytest.fixture(scope="module")
def server(trained):
    """The real server, with small limits so the tests stay small."""
    _, env, _ = trained
    port = free_port()
    limits = ("--max-body-mb", "0.05", "--body-seconds", "1", "--header-seconds", "2")
    process = _start(env, port, *limits)
    yield f"http://127.0.0.1:{port}", port, process
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)


def _post(
    url: str, body: dict | bytes, content_type: str = "application/json"
) -> tuple[int, dict, object]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/invocations", data, {"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response), response.headers
    except urllib.error.HTTPError as err:
        return err.code, json.load(err), dict(err.headers)


def _records(frame: pd.DataFrame) -> dict:
    rows = [
        {k: (None if missing.is_missing(v) else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]
    return {"dataframe_records": rows}


def _score(settings: Settings, folder: Path, frame: pd.DataFrame, name: str) -> pd.DataFrame:
    source, out = folder / f"{name}.csv", folder / f"{name}.parquet"
    frame.to_csv(source, index=False)
    scoring.score(settings, str(source), str(out))
    return pq.read_table(out).to_pandas()


# --- rows drawn from the contract -------------------------------------------------------


def _value(draw, feature: Feature, allow_missing: bool, zoned: bool = False):
    """zoned: a datetime column's values all carry a UTC offset, or none does (a
    column mixing both is refused, see `requests(bad=True)`)."""
    if allow_missing and draw(st.integers(0, 3)) == 0:
        # JSON tells null from "", a CSV does not: its empty cell is missing either way.
        return draw(st.sampled_from([None, ""]))
    if feature.kind == "numeric":  # ints where floats were trained, too
        return draw(st.one_of(st.integers(-5, 5), st.floats(-4, 4, allow_nan=False)))
    if feature.kind == "categorical":  # an unseen category now and then
        return draw(st.sampled_from([*CATEGORIES, "never seen"]))
    if feature.kind == "datetime":
        return _date(draw, zoned)
    return draw(st.booleans())


def _date(draw, zoned: bool):
    """An ISO 8601 date or date-time as a JSON client writes one: with an offset
    (Z, +01:00, -05:30) when `zoned`, else a date, a date-time, or the basic date
    sent as a JSON number (20240301), which a CSV holds as the text "20240301"."""
    day = draw(st.dates(dt.date(2021, 1, 1), dt.date(2025, 12, 31)))
    moment = dt.datetime.combine(day, draw(st.times()).replace(microsecond=0))
    if zoned:
        offset = draw(st.sampled_from(["Z", "+00:00", "+01:00", "-05:30"]))
        return moment.isoformat(sep=draw(st.sampled_from("T "))) + offset
    return draw(
        st.sampled_from(
            [day.isoformat(), moment.isoformat(), moment.isoformat(sep=" ", timespec="minutes"),
             int(day.strftime("%Y%m%d"))]
        )
    )  # fmt: skip


@st.composite
def requests(draw, bad: bool = False) -> tuple[pd.DataFrame, set[str]]:
    """Rows and the columns a refusal must name (empty: every row is fine). bad: a
    null where the contract says `missing: false`, a date no reader can read or a
    column mixing dates with and without a zone, or a column not in the contract."""
    size = draw(st.integers(1, 12))
    columns = {}
    for feature in CONTRACT.features:
        zoned = draw(st.booleans())
        columns[feature.name] = [_value(draw, feature, feature.missing, zoned) for _ in range(size)]
    frame = pd.DataFrame(columns, dtype=object)  # a null may go anywhere
    frame["customer id"] = [f"c-{i}" for i in range(size)]
    faults: set[str] = set()
    if bad:
        fault = draw(st.sampled_from(["null", "date", "zones", "column"]))
        row = draw(st.integers(0, size - 1))
        if fault == "null":
            name = draw(st.sampled_from([f.name for f in CONTRACT.features if not f.missing]))
            frame.loc[row, name] = draw(st.sampled_from([None, ""]))
        elif fault == "date":
            name = draw(st.sampled_from(CONTRACT.of_kind("datetime")))
            unreadable = ["2024-02-30", "01/03/2024", "yesterday", 1709251200]
            frame.loc[row, name] = draw(st.sampled_from(unreadable))
        elif fault == "zones":  # one date-time with a zone and one without, in one column
            name = draw(st.sampled_from(CONTRACT.of_kind("datetime")))
            if size == 1:
                frame = pd.concat([frame, frame], ignore_index=True)
            frame.loc[0, name] = _date(draw, zoned=True)
            frame.loc[1, name] = _date(draw, zoned=False)
        else:
            name = "surprise"
            frame[name] = 1
        faults.add(name)
    order = draw(st.permutations(list(frame.columns)))
    return frame[order], faults


def _in_process(settings: Settings, frame: pd.DataFrame) -> pd.DataFrame:
    """The model on the rows as the contract reads them ("" missing, 20240301 the
    date's text: as_table_cells, the cells a table to score would hold)."""
    registry = Registry(settings)
    model = registry.load_model(f"models:/{settings.model_name}@{DOMAIN}")
    return model.predict(missing.model_rows(as_table_cells(frame, CONTRACT), CONTRACT))


SETTINGS = hypothesis_settings(
    max_examples=4, deadline=None, suppress_health_check=list(HealthCheck)
)


@SETTINGS
@given(drawn=requests())
def test_served_scored_and_in_process_answers_are_the_same(trained, server, drawn):
    settings, _, folder = trained
    url, _, _ = server
    frame, _ = drawn
    status, answer, headers = _post(url, _records(frame))
    assert status == 200, answer
    scores = _score(settings, folder, frame, "parity")
    expected = _in_process(settings, frame)
    served = answer["predictions"]
    assert [p["label"] for p in served] == scores["label"].tolist() == expected["label"].tolist()
    assert [p["probability"] for p in served] == pytest.approx(
        scores["probability"].tolist(), abs=1e-9
    )
    assert scores["probability"].tolist() == pytest.approx(
        expected["probability"].tolist(), abs=1e-9
    )
    assert headers["MLflow-Model-Version"] == answer["model_version"]


@SETTINGS
@given(drawn=requests(bad=True))
def test_served_and_scored_refuse_the_same_rows_naming_the_same_columns(trained, server, drawn):
    settings, _, folder = trained
    url, _, _ = server
    frame, faults = drawn
    status, answer, _ = _post(url, _records(frame))
    assert status == 400
    assert set(answer["columns"]) == faults, answer
    with pytest.raises(schema.DataValidationError) as refused:
        _score(settings, folder, frame, "refused")
    assert refused.value.columns == faults
    assert answer.get("row") == refused.value.first_row, answer  # the same first row
    assert not (folder / "refused.parquet").exists()


# --- the faults, one test each ------------------------------------------------------------


def _row(**changes) -> pd.DataFrame:
    row = {
        "amount": 1.5, "age": 40.0, "plan": "level 1", "region": "level 2",
        "promo": True, "active": False, "signup": "2023-05-01",
        "renewal": "2024-01-15T10:00:00", "customer id": "c-1",
    }  # fmt: skip
    return pd.DataFrame([{**row, **changes}])


def test_an_empty_boolean_is_missing_both_ways_not_false(trained, server):
    """Found by a new user: served as false (0.14), scored as missing (0.71)."""
    settings, _, folder = trained
    url, _, _ = server
    empty = _row(promo=None)
    status, answer, _ = _post(url, _records(empty))
    scored = _score(settings, folder, empty, "empty-boolean")
    assert status == 200
    assert answer["predictions"][0]["probability"] == pytest.approx(
        scored["probability"][0], abs=1e-9
    )
    as_false = _in_process(settings, _row(promo=False))["probability"][0]
    as_missing = _in_process(settings, empty)["probability"][0]
    if as_false != as_missing:  # the model tells them apart: the served answer must too
        assert answer["predictions"][0]["probability"] == pytest.approx(as_missing, abs=1e-9)


def test_a_null_where_the_contract_says_never_missing_is_refused_by_serve_too(server):
    url, _, _ = server
    status, answer, _ = _post(url, _records(_row(age=None)))
    assert status == 400 and answer["columns"] == ["age"], answer
    assert "missing: false" in answer["message"]


def test_a_code_sent_as_a_number_gets_the_answer_of_the_code_in_a_table(trained, server):
    """Found by a new user: `"Cylinders": 4` was refused by make serve (not text)
    while make score, reading the CSV cell 4 as the code "4", scored the row."""
    settings, _, folder = trained
    url, _, _ = server
    scored = _score(settings, folder, _row(plan=4), "code")  # the CSV cell: 4
    status, answer, _ = _post(url, _records(_row(plan=4)))  # the JSON number: 4
    assert status == 200, answer
    assert answer["predictions"][0]["label"] == scored["label"][0]
    assert answer["predictions"][0]["probability"] == pytest.approx(
        scored["probability"][0], abs=1e-9
    )
    status, answer, _ = _post(url, _records(_row(plan=4.5)))  # not a code: named
    assert status == 400 and answer["columns"] == ["plan"], answer


def _same_answer(trained, server, frame: pd.DataFrame, name: str) -> tuple[dict, pd.DataFrame]:
    settings, _, folder = trained
    url, _, _ = server
    status, answer, _ = _post(url, _records(frame))
    scored = _score(settings, folder, frame, name)
    assert status == 200, answer
    assert [p["label"] for p in answer["predictions"]] == scored["label"].tolist()
    assert [p["probability"] for p in answer["predictions"]] == pytest.approx(
        scored["probability"].tolist(), abs=1e-9
    )
    return answer, scored


def test_an_empty_text_is_missing_as_the_empty_cell_of_a_table_is(trained, server):
    """Found by the parity property once it drew dates: `"signup": ""` was refused by
    make serve (not an ISO date) while make score, whose CSV cannot tell "" from no
    value, scored the row as missing. The same for every kind that may be missing."""
    settings, _, folder = trained
    url, _, _ = server
    for column in ("amount", "plan", "promo", "signup"):
        _, scored = _same_answer(trained, server, _row(**{column: ""}), f"empty-{column}")
        as_missing = _in_process(settings, _row(**{column: None}))["probability"][0]
        assert scored["probability"][0] == pytest.approx(as_missing, abs=1e-9)
    for column in ("age", "region", "active", "renewal"):  # missing: false
        status, answer, _ = _post(url, _records(_row(**{column: ""})))
        assert status == 400 and answer["columns"] == [column], answer
        with pytest.raises(schema.DataValidationError) as refused:
            _score(settings, folder, _row(**{column: ""}), "empty-refused")
        assert refused.value.columns == {column}


def test_a_date_sent_as_a_number_gets_the_answer_of_the_date_in_a_table(trained, server):
    """`"signup": 20240301` (ISO 8601's basic form, a JSON number) was refused by make
    serve (not a date) while make score, reading the CSV cell as the text "20240301",
    scored it as 2024-03-01."""
    settings, _, _ = trained
    url, _, _ = server
    _, scored = _same_answer(trained, server, _row(signup=20240301), "date-number")
    as_date = _in_process(settings, _row(signup="2024-03-01"))["probability"][0]
    assert scored["probability"][0] == pytest.approx(as_date, abs=1e-9)
    status, answer, _ = _post(url, _records(_row(signup=1709251200)))  # seconds: no date
    assert status == 400 and answer["columns"] == ["signup"], answer


def _assert_same_answers(answer: dict, scored: pd.DataFrame) -> None:
    assert [p["label"] for p in answer["predictions"]] == scored["label"].tolist()
    assert [p["probability"] for p in answer["predictions"]] == pytest.approx(
        scored["probability"].tolist(), abs=1e-9
    )


def test_a_csv_body_is_read_in_the_contracts_dialect_as_make_score_reads_it(trained):
    """A team whose contract says `table: {delimiter: ';', decimal: ','}` posted the
    rows of its file as text/csv: MLflow's reader (plain pandas.read_csv) split them
    on commas and refused them, where make score scored the same bytes."""
    settings, env, folder = trained
    dialect = dataclasses.replace(CONTRACT, table=TableFormat(delimiter=";", decimal=","))
    frame = pd.concat(
        [_row(amount=1.25, age=33.5), _row(amount=float("nan"), promo=None, signup=None),
         _row(plan="007", amount=-0.5)], ignore_index=True,
    )  # fmt: skip
    body = frame.to_csv(index=False, sep=";", decimal=",").encode()
    assert b"1,25" in body and b";" in body
    contract_path, source, out = (folder / f"dialect.{x}" for x in ("yaml", "csv", "parquet"))
    contract_path.write_text(data_contract.dump(dialect))
    source.write_bytes(body)
    scoring.score(Settings.from_env({**env, "CONTRACT": str(contract_path)}), str(source), str(out))
    scored = pq.read_table(out).to_pandas()
    registry = Registry(settings)
    served = hosting.load_version(registry, registry.alias_target(DOMAIN))
    served = dataclasses.replace(served, contract=dialect)  # the same model, its table's dialect
    status, answer = hosting.score(served, body, "text/csv")
    assert status == 200, answer
    _assert_same_answers(answer, scored)
    status, answer = hosting.score(served, body.replace(b";", b","), "text/csv; charset=utf-8")
    assert status == 400 and "semicolons" not in answer["message"], answer  # named, not guessed


def test_a_csv_body_reads_only_the_contracts_missing_cells_as_missing(trained, server):
    """pandas' own list of missing spellings ("NA", "None", "null"...) is not the
    contract's (an empty cell, and a column's missing_values): make score read the
    region "NA" as a category and scored the row; make serve read it as missing
    and refused it (`missing: false`)."""
    settings, _, folder = trained
    url, _, _ = server
    frame = pd.concat([_row(region="NA", plan="None"), _row(plan="null")], ignore_index=True)
    status, answer, _ = _post(url, frame.to_csv(index=False).encode(), "text/csv")
    assert status == 200, answer
    _assert_same_answers(answer, _score(settings, folder, frame, "markers"))


def _ids_change_kind(rows: int) -> pd.DataFrame:
    frame = pd.concat([_row()] * rows, ignore_index=True)
    frame["customer id"] = [str(i) if i < rows // 2 else f"c-{i}" for i in range(rows)]
    return frame


def test_chunks_take_their_types_from_the_contract_not_from_a_guess(trained):
    """Found by a new user: ids numeric in chunk one, text in chunk two: Arrow error
    after the first chunk, and partial output."""
    settings, _, folder = trained
    source, out = folder / "ids.csv", folder / "ids.parquet"
    _ids_change_kind(40).to_csv(source, index=False)
    scoring.score(settings, str(source), str(out), chunk_rows=10)
    scores = pq.read_table(out).to_pandas()
    assert scores["customer id"].tolist() == _ids_change_kind(40)["customer id"].tolist()


def test_an_all_empty_boolean_column_scores_as_missing_or_is_refused_by_name(trained):
    settings, _, folder = trained
    allowed = pd.concat([_row(promo=None)] * 5, ignore_index=True)
    scores = _score(settings, folder, allowed, "all-empty-promo")
    expected = _in_process(settings, allowed)
    assert scores["probability"].tolist() == pytest.approx(expected["probability"].tolist())
    never = pd.concat([_row(active=None)] * 5, ignore_index=True)
    with pytest.raises(schema.DataValidationError) as refused:
        _score(settings, folder, never, "all-empty-active")
    assert refused.value.columns == {"active"}


def test_a_refusal_names_the_first_row_at_fault_even_chunks_later(trained):
    """Found by a new user: a bad row of a large table was placed only "in rows
    1-100000"; here the pieces are 10 rows and the bad row is the 17th."""
    settings, _, folder = trained
    frame = pd.concat([_row()] * 16 + [_row(active=None)] + [_row()] * 8, ignore_index=True)
    source = folder / "bad-row-17.csv"
    frame.to_csv(source, index=False)
    with pytest.raises(schema.DataValidationError) as refused:
        scoring.score(settings, str(source), str(folder / "bad.parquet"), chunk_rows=10)
    assert f"first at row 17 of {source}," in str(refused.value)
    assert refused.value.columns == {"active"}
    assert not (folder / "bad.parquet").exists()


def test_a_table_with_a_header_and_no_rows_is_one_clear_refusal(trained):
    settings, _, folder = trained
    source = folder / "header-only.csv"
    _row().iloc[:0].to_csv(source, index=False)
    with pytest.raises(data.DataLoadError, match=r"header-only\.csv'?: the table has no rows$"):
        scoring.score(settings, str(source), str(folder / "none.parquet"))
    assert not (folder / "none.parquet").exists()


def test_drift_skips_an_empty_column_and_names_it(trained, capsys):
    """Found by a new user: Evidently crashed on an empty column after the scores
    were written, leaving scores without their scoring run."""
    settings, _, folder = trained
    frame = pd.concat([_row(amount=None)] * 30, ignore_index=True)
    source, out = folder / "no-amount.csv", folder / "no-amount.parquet"
    frame.to_csv(source, index=False)
    result, _ = scoring.score(settings, str(source), str(out))
    assert out.exists() and result.run_id
    assert "amount" in capsys.readouterr().err


def test_drift_on_few_rows_comes_with_a_caveat(trained, capsys):
    """Found by a new user: 5 scored rows gave "93% of features drifted" with
    nothing to say that so few rows cannot show a distribution."""
    settings, _, folder = trained
    few = pd.concat([_row()] * 5, ignore_index=True)
    source = folder / "five-rows.csv"
    few.to_csv(source, index=False)
    result, _ = scoring.score(settings, str(source), str(folder / "five-rows.parquet"))
    assert result.drift_share > result.drift_limit and not result.drift_detected
    assert "drift: only 5 rows were scored" in capsys.readouterr().err
    enough = pd.concat([_row()] * drift.FEW_ROWS, ignore_index=True)
    _score(settings, folder, enough, "enough-rows")
    assert "rows were scored" not in capsys.readouterr().err


def test_scores_run_and_report_appear_together_or_not_at_all(trained, monkeypatch):
    settings, _, folder = trained
    source, out = folder / "atomic.csv", folder / "atomic.parquet"
    _row().to_csv(source, index=False)
    registry = Registry(settings)
    runs_before = len(registry.client.search_runs(_scoring_experiments(registry)))

    def fails(*args, **kwargs):
        raise RuntimeError("the tracking server went away")

    monkeypatch.setattr(Registry, "log_scoring_run", fails)
    with pytest.raises(RuntimeError):
        scoring.score(settings, str(source), str(out))
    assert not out.exists()
    assert not list(folder.glob(".atomic.parquet*"))
    monkeypatch.undo()
    assert len(registry.client.search_runs(_scoring_experiments(registry))) == runs_before


def _scoring_experiments(registry: Registry) -> list[str]:
    return [e.experiment_id for e in registry.client.search_experiments()]


# --- the server's limits, against the running uvicorn server -----------------------------


def _raw(port: int, request: bytes, timeout: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        return _read_answer(sock)


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    while b"\r\n\r\n" not in answer:
        piece = sock.recv(65536)
        if not piece:
            return answer
        answer += piece
    head, _, rest = answer.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = int(next((ln.split(b":")[1] for ln in lines if ln.startswith(b"content-length")), 0))
    while len(rest) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        rest += piece
    return head + b"\r\n\r\n" + rest


def _body() -> bytes:
    return json.dumps(_records(_row())).encode()


def test_a_body_over_the_limit_is_413_before_it_is_sent(server):
    _, port, _ = server
    started = time.monotonic()
    answer = _raw(
        port,
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 52428800\r\n\r\n",  # 50 MB announced, not one byte sent
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"mlflow-model-version" in answer.lower()
    assert time.monotonic() - started < 1


def test_a_chunked_body_is_read_whole_and_a_long_one_is_413(server):
    _, port, _ = server
    body = _body()
    pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    head = (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    answer = _raw(port, head + chunked)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert b'"predictions"' in answer
    big = b"x" * 65536
    answer = _raw(port, head + b"".join(b"%x\r\n%s\r\n" % (len(big), big) for _ in range(2)))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_wrong_content_length_is_answered_not_hung_and_the_server_keeps_serving(server):
    url, port, _ = server
    body = _body()
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    started = time.monotonic()
    longer = _raw(port, head + b"Content-Length: %d\r\n\r\n" % (len(body) + 100) + body)
    assert longer.startswith(b"HTTP/1.1 408"), longer[:200]  # the body stalled: --body-seconds 1
    assert time.monotonic() - started < 5
    shorter = _raw(port, head + b"Content-Length: %d\r\n\r\n" % (len(body) - 5) + body)
    assert shorter.startswith(b"HTTP/1.1 400"), shorter[:200]  # cut JSON: never a 200
    status, _, _ = _post(url, _records(_row()))
    assert status == 200


def test_sigterm_lets_the_request_in_flight_finish(trained):
    _, env, _ = trained
    port = free_port()
    process = _start(env, port)
    body = _body()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body[:10]
        )
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        sock.sendall(body[10:])
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped" in err


def test_ping_health_version_carry_the_version(server):
    url, _, _ = server
    for path in ("/ping", "/health", "/version", "/openapi.json"):
        with urllib.request.urlopen(f"{url}{path}", timeout=10) as response:
            assert response.status == 200
            assert response.headers["MLflow-Model-Version"]
    with urllib.request.urlopen(f"{url}/openapi.json", timeout=10) as response:
        document = json.load(response)
    text = json.dumps(document["paths"]["/invocations"])
    assert "numeric; may be missing (null)" in text and "boolean; never missing" in text


def test_a_client_that_never_finishes_its_headers_is_dropped(server):
    """--header-seconds 2: a connection trickling headers is closed, not held."""
    url, port, _ = server
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\n")
        assert sock.recv(1024) == b""  # closed by the server
    assert 1.5 < time.monotonic() - started < 6
    status, _, _ = _post(url, _records(_row()))
    assert status == 200
