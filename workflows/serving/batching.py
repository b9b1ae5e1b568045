"""Answer requests that arrive together with one call of MLflow's scoring code.

The per-call work (MLflow's JSON to a DataFrame, the contract's checks, the
Pipeline's column transforms and 100 trees) costs ~6 ms of CPU on this
project's models whether a request holds 1 row or 100. While one request is
being answered, others queue; the `Batcher` merges the queued ones into one
`dataframe_split` document, answers it once (`score_parsed`: from the decoded
JSON, no second encoding) and hands each request its own rows of the
predictions. A request that finds the model idle and no other client connected
is answered at once; with other connections open it waits at most
MAX_WAIT_SECONDS for their next requests.

Requests are merged only where the answer cannot differ from answering each
alone: plain `application/json` bodies holding only `dataframe_split`, with the
same columns in the same order and, column by column, the same kinds of JSON
value (pandas infers a column's dtype from them, and MLflow's casting follows
the dtype). A merged answer that is not a 200 with one prediction per row is
thrown away and each request answered alone, so an error speaks of its own
request only. tests/integration/test_serving.py holds the merged answers, byte
for byte, against the lone ones.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field

Request = tuple[object, bytes, str]  # (served model, body, content type)
Score = Callable[[object, bytes, str], tuple[int, dict]]  # -> (HTTP status, JSON document)
# (served model, a decoded `dataframe_split` document) -> a 200's document, or None:
# `score` must answer it (an error keeps MLflow's own words that way).
ScoreParsed = Callable[[object, dict], "dict | None"]

INT64 = range(-(2**63), 2**63)
MAX_ROWS = 1000  # a larger request is answered alone: merging it saves nothing
# With N clients taking turns, the answers of one batch go out while the other
# clients' requests queue, so batches settle at about N/2. Waiting this long for
# requests from open connections that have none queued lets them fill to N; a
# lone client (one connection) never waits.
MAX_WAIT_SECONDS = 0.002


def value_kind(value: object) -> str | None:
    """The kind of a JSON value as pandas' dtype inference sees it; None: not mergeable."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int in Python
        return "bool"
    if isinstance(value, int):
        return "int" if value in INT64 else "bigint"  # past int64 pandas goes uint64/object
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return None  # lists, objects: leave such a request to MLflow alone


def merge_key(content_type: str, document: object) -> Hashable | None:
    """What two requests must share to be merged; None when this one is answered alone.

    Shape: (columns, per column the sorted kinds of its values)."""
    if content_type.strip().lower() != "application/json" or not isinstance(document, dict):
        return None
    split = document.get("dataframe_split")
    if set(document) != {"dataframe_split"} or not isinstance(split, dict):
        return None
    columns, rows = split.get("columns"), split.get("data")
    if set(split) != {"columns", "data"} or not isinstance(columns, list):
        return None
    if not isinstance(rows, list) or not 0 < len(rows) <= MAX_ROWS:
        return None
    if not all(isinstance(c, str) for c in columns) or len(set(columns)) != len(columns):
        return None
    kinds: list[set[str]] = [set() for _ in columns]
    for row in rows:
        if not isinstance(row, list) or len(row) != len(columns):
            return None
        for seen, value in zip(kinds, row, strict=True):
            kind = value_kind(value)
            if kind is None:
                return None
            seen.add(kind)
    return tuple(columns), tuple(tuple(sorted(seen)) for seen in kinds)


def merged_document(documents: list[dict]) -> dict:
    """One `dataframe_split` document holding every document's rows, in order."""
    columns = documents[0]["dataframe_split"]["columns"]
    rows = [row for document in documents for row in document["dataframe_split"]["data"]]
    return {"dataframe_split": {"columns": columns, "data": rows}}


def merged_body(documents: list[dict]) -> bytes:
    """`merged_document` as a request body."""
    return json.dumps(merged_document(documents)).encode()


def split_answer(document: dict, sizes: list[int]) -> list[dict] | None:
    """Each request's share of a merged answer; None when it is not one prediction per row."""
    predictions = document.get("predictions")
    if not isinstance(predictions, list) or len(predictions) != sum(sizes):
        return None
    shares, start = [], 0
    for size in sizes:
        shares.append({**document, "predictions": predictions[start : start + size]})
        start += size
    return shares


def answer_together(
    score: Score, requests: list[Request], score_parsed: ScoreParsed | None = None
) -> list[tuple[int, dict]]:
    """The answers to `requests` (served model, body, content type), in order, as
    `score` gives them one by one; those that may be merged are scored together.

    score_parsed: answers mergeable requests (one alone too) from their decoded
    JSON, saving the body's second encoding and decoding; where it gives None,
    `score` answers each request alone."""
    answers: list[tuple[int, dict] | None] = [None] * len(requests)
    groups: dict[tuple[int, Hashable], list[tuple[int, dict]]] = {}
    for index, (served, body, content_type) in enumerate(requests):
        document = _json_or_none(body)
        key = merge_key(content_type, document)
        if key is None:
            answers[index] = score(served, body, content_type)
        else:
            groups.setdefault((id(served), key), []).append((index, document))
    for members in groups.values():
        served = requests[members[0][0]][0]
        shares = _merged(score, served, [d for _, d in members], score_parsed)
        for position, (index, _) in enumerate(members):
            answers[index] = (200, shares[position]) if shares else score(*requests[index])
    return answers  # type: ignore[return-value]  # every slot is filled above


def _merged(
    score: Score, served: object, documents: list[dict], score_parsed: ScoreParsed | None
) -> list[dict] | None:
    """Each document's share of one merged answer; None: answer them alone."""
    sizes = [len(d["dataframe_split"]["data"]) for d in documents]
    if score_parsed is not None:
        answer = score_parsed(served, merged_document(documents))
        return None if answer is None else split_answer(answer, sizes)
    if len(documents) < 2:
        return None
    status, answer = score(served, merged_body(documents), "application/json")
    if status != 200:
        return None
    return split_answer(answer, sizes)


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


@dataclass
class _Queued:
    request: Request
    answer: Future = field(default_factory=Future)


class Batcher:
    """One thread that answers the requests queued meanwhile together."""

    def __init__(
        self,
        score: Score,
        senders: Callable[[], int] = lambda: 1,
        max_wait: float = MAX_WAIT_SECONDS,
        score_parsed: ScoreParsed | None = None,
    ):
        """`senders()`: how many open connections could send a request now;
        score_parsed: see answer_together."""
        self.score = score
        self.score_parsed = score_parsed
        self.senders = senders
        self.max_wait = max_wait
        self._queue: queue.SimpleQueue[_Queued | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="batcher", daemon=True)
        self._thread.start()

    def submit(self, served: object, body: bytes, content_type: str) -> tuple[int, dict]:
        """The answer to one request; raises what `score` raised for it."""
        return self.enqueue(served, body, content_type).result()

    def enqueue(self, served: object, body: bytes, content_type: str) -> Future:
        """A future of the answer to one request (the ASGI app awaits it)."""
        queued = _Queued((served, body, content_type))
        self._queue.put(queued)
        return queued.answer

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _work(self) -> None:
        stopping = False
        while not stopping:
            waiting = [self._queue.get()]
            deadline = time.monotonic() + self.max_wait
            while True:  # whatever queued meanwhile, and what open connections send soon
                left = deadline - time.monotonic()
                try:
                    if None not in waiting and len(waiting) < self.senders() and left > 0:
                        waiting.append(self._queue.get(timeout=left))
                    else:
                        waiting.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = None in waiting
            self._answer([r for r in waiting if r is not None])

    def _answer(self, waiting: list[_Queued]) -> None:
        try:
            answers = answer_together(self.score, [q.request for q in waiting], self.score_parsed)
        except Exception:  # a bug in one: answer each alone, so only its own request fails
            for queued in waiting:
                try:
                    queued.answer.set_result(self.score(*queued.request))
                except Exception as err:  # the handler answers 500 and names it
                    queued.answer.set_exception(err)
            return
        for queued, result in zip(waiting, answers, strict=True):
            queued.answer.set_result(result)
