"""`make serve`'s code path, for real: the pipeline into a SQLite store, then MLflow's
scoring server on the `@development` version, asked over HTTP on loopback.

One server for the module (it takes ~25 s to start), always stopped, and checked
to leave no process behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fixtures.tables import case
from tests.integration.processes import port_listening
from tests.integration.shutdown import STOP_LIMIT, run_cycle
from tests.tools import require_tool
from workflows.cli.main import main
from workflows.domain import contract as data_contract
from workflows.domain import schema
from workflows.domain.training import TrainParams, features_and_target
from workflows.gateways.deployer import invocations_payload
from workflows.gateways.registry import Registry
from workflows.serving import app, batching, hosting, launcher
from workflows.settings import Settings
from workflows.steps import training

pytestmark = pytest.mark.slow
DOMAIN = "development"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    store = tmp_path_factory.mktemp("serving-store")
    contract_path, data = case("wide", store)
    settings = Settings.from_env(
        {
            "MLFLOW_TRACKING_URI": f"sqlite:///{store}/mlflow.db",
            "DOMAIN": DOMAIN,
            "GIT_SHA": "0" * 40,
            "GIT_REF": "refs/heads/feature/serving-test",
            "CONTRACT": contract_path,
            "DATA": data,
        }
    )
    train, test = training.prepare(contract_path, data, test_size=0.25, seed=7)
    result, _, _ = training.train(settings, train, test, TrainParams(seed=7))
    model = training.register(settings, training.gate(result, 0.8), "serving-test")
    training.deploy(settings, model, test, result.expected)
    features, _ = features_and_target(test, data_contract.load(contract_path))
    return settings, features


@pytest.fixture(scope="module")
def server(trained, tmp_path_factory):
    settings, _ = trained
    verified = launcher.verify(settings, DOMAIN)
    log_path = tmp_path_factory.mktemp("serving-log") / "server.log"
    with (
        log_path.open("w") as log,
        launcher.running(settings, verified.uri, port=_free_port(), log=log) as running,
    ):
        yield running
    # stop() ran: neither mlflow nor its uvicorn worker may be left in the group
    # (a killed worker may take a moment to be reaped by init).
    assert _group_gone(running.process.pid, within=10), "a server process outlived stop()"


def _group_gone(group: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def _post(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/invocations",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def _split(features) -> dict:
    return json.loads(invocations_payload(features))


def test_served_answers_equal_the_in_process_model(trained, server):
    settings, features = trained
    rows = features.head(60)
    model = Registry(settings).load_model(f"models:/{settings.model_name}@{DOMAIN}")
    status, body = _post(server.url, _split(rows))
    assert status == 200
    expected = model.predict(rows)
    assert [p["label"] for p in body["predictions"]] == expected["label"].tolist()
    served = [p["probability"] for p in body["predictions"]]
    assert served == pytest.approx(expected["probability"].tolist(), abs=1e-9)
    assert len({p["label"] for p in body["predictions"]}) == 2  # both labels: it means something


def test_raw_rows_with_text_an_unseen_category_and_null_are_answered(trained, server):
    _, features = trained
    payload = _split(features.head(3))
    columns = payload["dataframe_split"]["columns"]
    payload["dataframe_split"]["data"][0][columns.index("state")] = "a state never seen"
    payload["dataframe_split"]["data"][1][columns.index("x00")] = None
    status, body = _post(server.url, payload)
    assert status == 200, body
    assert [set(p) for p in body["predictions"]] == [{"label", "probability"}] * 3


def test_wrong_columns_get_a_400_that_names_them(trained, server):
    _, features = trained
    renamed = features.head(3).rename(columns={"x00": "radius"})
    status, body = _post(server.url, _split(renamed))
    assert status == 400
    assert "x00" in body["message"] and "missing" in body["message"].lower()


def test_wrong_types_get_a_400_that_says_so(trained, server):
    _, features = trained
    payload = _split(features.head(2))
    payload["dataframe_split"]["data"][0][0] = "not a number"
    status, body = _post(server.url, payload)
    assert status == 400
    assert "x00" in body["message"] and "not a number" in body["message"]


def test_server_keeps_serving_after_bad_requests(trained, server):
    _, features = trained
    assert _post(server.url, {"dataframe_split": {"columns": ["x"], "data": [[1]]}})[0] == 400
    assert _post(server.url, {"no": "format"})[0] == 400
    status, body = _post(server.url, _split(features.head(5)))
    assert status == 200 and len(body["predictions"]) == 5


def test_verify_refuses_an_alias_that_points_nowhere(trained):
    settings, _ = trained
    with pytest.raises(launcher.ServeError, match="points nowhere"):
        launcher.verify(settings, "staging")


# --- `make serve`'s default: in-process, through MLflow's scoring code, following the alias


@pytest.fixture(scope="module")
def host(trained):
    settings, _ = trained
    registry = Registry(settings)
    served = hosting.load_version(registry, registry.alias_target(DOMAIN))
    following = hosting.Host(registry, DOMAIN, served, poll_seconds=0.2)
    with app.hosting(following, port=_free_port()) as (url, _):
        yield following, url


def test_host_answers_like_the_model_and_names_the_version(trained, host):
    settings, features = trained
    following, url = host
    rows = features.head(20)
    model = Registry(settings).load_model(
        f"models:/{settings.model_name}/{following.served.version}"
    )
    status, body = _post(url, _split(rows))
    assert status == 200
    assert body["model_version"] == following.served.version
    assert [p["label"] for p in body["predictions"]] == model.predict(rows)["label"].tolist()
    # The model's logged code is not importable here: the class is the project's own.
    assert not [p for p in sys.path if Path(p).name == "code" and "serve-" in p]


def test_host_400_names_the_wrong_column_without_the_schema(trained, host):
    _, features = trained
    _, url = host
    status, body = _post(url, _split(features.head(3).rename(columns={"x00": "radius"})))
    assert status == 400
    message = body["message"]
    assert "'x00'" in message and "missing" in message and "'radius'" in message
    # MLflow's own server quotes the whole schema (every column) and the request's rows.
    assert "x01" not in message and len(message) < 200, message


def test_host_400_names_the_column_of_an_unparseable_value(trained, host):
    _, features = trained
    _, url = host
    payload = _split(features.head(2))
    payload["dataframe_split"]["data"][0][0] = "not a number"
    status, body = _post(url, payload)
    assert status == 400
    assert "x00" in body["message"] and "not a number" in body["message"]
    assert "x01" not in body["message"], body["message"]


def test_host_follows_the_alias_with_no_failed_request(trained, host):
    """Clients send requests without pause while a new version is trained,
    registered and the alias moved: every request is answered, by the old
    version and then the new one, never back."""
    settings, features = trained
    following, url = host
    before = following.served.version
    body = invocations_payload(features.head(1))
    seen: list[tuple[int, str]] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                status, answer = _post(url, json.loads(body))
                seen.append((status, answer.get("model_version", "")))
            except OSError as err:
                seen.append((0, repr(err)))

    clients = [threading.Thread(target=client) for _ in range(3)]
    for thread in clients:
        thread.start()
    try:
        contract_path = settings.contract_path
        train, test = training.prepare(contract_path, settings.data, test_size=0.25, seed=8)
        result, _, _ = training.train(
            settings, train, test, TrainParams(params={"max_depth": 2}, seed=8)
        )
        model = training.register(settings, training.gate(result, 0.5), "serving-switch")
        assert model.version != before
        training.deploy(settings, model, test, result.expected)
        deadline = time.monotonic() + 60
        while following.served.version != model.version and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # requests keep coming after the swap
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    assert following.served.version == model.version
    failed = [s for s in seen if s[0] != 200]
    assert not failed, failed[:5]
    versions = [v for _, v in seen]
    assert versions[0] == before and versions[-1] == model.version
    assert set(versions) == {before, model.version}


def test_make_serve_refuses_an_alias_that_points_nowhere(trained, monkeypatch, capsys):
    settings, _ = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", settings.tracking_uri)
    monkeypatch.setattr(launcher, "stop_on_signals", lambda: None)  # keep pytest's own handlers
    assert main(["serve", "--domain", "staging", "--port", str(_free_port())]) == 2
    assert "points nowhere" in capsys.readouterr().err


def test_make_serve_names_a_port_that_is_taken(trained, monkeypatch, capsys):
    """Found by a new user: a second `make serve` said only "OSError: [Errno 98]
    Address already in use", naming neither the port nor how to pick another."""
    settings, _ = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", settings.tracking_uri)
    monkeypatch.setattr(launcher, "stop_on_signals", lambda: None)  # keep pytest's own handlers
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["serve", "--domain", DOMAIN, "--port", str(port)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: 127.0.0.1:{port} is already in use: stop what listens there or choose "
        "another port (make serve PORT=<port>)"
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_make_serve_stops_within_5_s_and_leaves_nothing(trained, signum, tmp_path):
    settings, _ = trained
    make = require_tool("make", "install make (apt-get install make)")
    port = _free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
        "CONTRACT": settings.contract_path,
        "DOMAIN": DOMAIN,
        "PORT": str(port),
        "SERVER": "mlflow",  # the scoring server in its own session, with its workers
    }

    cycle = run_cycle([make, "serve"], env, port, signum, tmp_path / "serve.log", 180)

    # The layout tests/integration/serve_standin.py copies for the many quick cycles.
    assert cycle.tree.problems() == [], cycle.tree
    assert cycle.left == [], cycle.stderr
    print(f"make serve, {signal.Signals(signum).name}: stopped in {cycle.seconds:.2f} s")
    assert cycle.seconds < STOP_LIMIT
    assert "stopped" in cycle.stderr and "Traceback" not in cycle.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_make_serve_in_process_stops_within_5_s_and_frees_the_port(trained, signum, tmp_path):
    """The default server lives in serve's own process: the job must end, port freed."""
    settings, _ = trained
    make = require_tool("make", "install make (apt-get install make)")
    port = _free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": settings.tracking_uri,
           "CONTRACT": settings.contract_path, "DOMAIN": DOMAIN, "PORT": str(port)}  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("w") as err:
        job = subprocess.Popen([make, "serve"], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=err,
                               start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not port_listening(port):
            assert job.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        os.killpg(job.pid, signum)
        signalled = time.monotonic()
        job.wait(STOP_LIMIT)
        seconds = time.monotonic() - signalled
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.pid, signal.SIGKILL)
    assert seconds < STOP_LIMIT and not port_listening(port)
    assert "stopped" in log.read_text() and "Traceback" not in log.read_text()


# --- requests answered together (workflows/serving/batching.py) ---------------------------------


@pytest.fixture(scope="module")
def served(trained):
    settings, _ = trained
    registry = Registry(settings)
    return hosting.load_version(registry, registry.alias_target(DOMAIN))


@st.composite
def _bodies(draw, features, contract) -> bytes:
    """A `dataframe_split` body of 1-3 real rows, the same values written in other JSON
    forms (5.0 as 5, null where the contract allows it, an unseen category), and in
    some bodies one fault: a cell the model cannot take or a column left out."""
    kinds = {f.name: f for f in contract.features}
    columns = list(features.columns)
    data = []
    for index in draw(st.lists(st.integers(0, len(features) - 1), min_size=1, max_size=3)):
        row = []
        for name in columns:
            value = schema.plain(features.iloc[index][name])
            value = None if isinstance(value, float) and value != value else value
            forms = [value]
            if isinstance(value, float) and value.is_integer():
                forms.append(int(value))
            if kinds[name].missing:
                forms.append(None)
            if kinds[name].kind == "categorical":
                forms.append("a category nobody has seen")
            row.append(draw(st.sampled_from(forms)))
        data.append(row)
    fault = draw(st.sampled_from(["none", "none", "none", "text", "bool text", "dropped"]))
    if fault == "text":
        data[0][draw(st.integers(0, len(columns) - 1))] = "not a number"
    elif fault == "bool text":
        flags = [i for i, c in enumerate(columns) if kinds[c].kind == "boolean"]
        data[0][flags[0]] = "False"
    elif fault == "dropped":
        gone = draw(st.integers(0, len(columns) - 1))
        columns = columns[:gone] + columns[gone + 1 :]
        data = [row[:gone] + row[gone + 1 :] for row in data]
    return json.dumps({"dataframe_split": {"columns": columns, "data": data}}).encode()


@given(data=st.data())
def test_requests_answered_together_get_exactly_their_lone_answers(trained, served, data):
    settings, features = trained
    contract = data_contract.load(settings.contract_path)
    bodies = data.draw(st.lists(_bodies(features.head(30), contract), min_size=1, max_size=5))
    requests = [(served, body, "application/json") for body in bodies]
    together = batching.answer_together(hosting.score, requests)
    assert together == [hosting.score(*request) for request in requests]


def test_requests_of_one_shape_take_one_call_of_the_scoring_code(trained, served):
    _, features = trained
    bodies = [invocations_payload(features.iloc[[i]]) for i in range(4)]
    calls: list[bytes] = []

    def counted(model, body, content_type):
        calls.append(body)
        return hosting.score(model, body, content_type)

    together = batching.answer_together(counted, [(served, b, "application/json") for b in bodies])
    assert len(calls) == 1
    assert [status for status, _ in together] == [200] * 4
    assert together == [hosting.score(served, b, "application/json") for b in bodies]


def test_a_merged_call_that_fails_is_answered_request_by_request(trained, served):
    """Whatever makes the merged call fail (here: a stand-in that refuses more than
    one row), each request still gets exactly its own lone answer."""
    _, features = trained
    bodies = [invocations_payload(features.iloc[[i]]) for i in range(3)]
    calls: list[int] = []

    def one_row_only(model, body, content_type):
        rows = len(json.loads(body)["dataframe_split"]["data"])
        calls.append(rows)
        if rows > 1:
            return 503, {"message": "one row at a time"}
        return hosting.score(model, body, content_type)

    requests = [(served, b, "application/json") for b in bodies]
    assert batching.answer_together(one_row_only, requests) == [
        hosting.score(*request) for request in requests
    ]
    assert calls == [3, 1, 1, 1]


def test_a_boolean_sent_as_text_is_refused_by_a_real_model(trained, served):
    """The precheck read MLflow's column types as text ("DataType.boolean") and so
    never found a boolean column in a real model: "False" was answered as True."""
    settings, features = trained
    flags = [
        f.name for f in data_contract.load(settings.contract_path).features if f.kind == "boolean"
    ]
    assert flags
    payload = _split(features.head(2))
    payload["dataframe_split"]["data"][1][payload["dataframe_split"]["columns"].index(flags[0])] = (
        "False"
    )
    status, answer = hosting.score(served, json.dumps(payload).encode(), "application/json")
    assert status == 400
    assert answer["columns"] == [flags[0]]
    assert answer["message"] == (
        f"column {flags[0]!r}: 1 true/false value(s) stored as text, e.g. 'False' "
        "(first at row 2 of the request)"
    )
    assert answer["row"] == 2
