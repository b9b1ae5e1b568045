"""Processes and ports as Linux's /proc shows them: who is left after a stop, who listens.

Zombies count as gone: they run nothing and hold no port; whoever adopted them
(init, for a server's orphaned workers) reaps them in its own time.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
LISTEN = "0A"  # TCP state in /proc/net/tcp


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    command: str


def processes() -> dict[int, Proc]:
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # The command name is in parentheses and may hold spaces or parentheses itself.
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            state, ppid, pgid, sid = stat[stat.rindex(")") + 2 :].split()[:4]
            pid = int(entry.name)
            found[pid] = Proc(pid, int(ppid), int(pgid), int(sid), state, name)
    return found


def alive(procs: dict[int, Proc]) -> dict[int, Proc]:
    return {pid: p for pid, p in procs.items() if p.state != "Z"}


def descendants(root: int, procs: dict[int, Proc]) -> list[Proc]:
    children: dict[int, list[Proc]] = {}
    for proc in procs.values():
        children.setdefault(proc.ppid, []).append(proc)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def in_session(sid: int) -> list[Proc]:
    return [p for p in alive(processes()).values() if p.sid == sid]


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == LISTEN:
                    inodes.add(fields[9])
    return inodes


def listeners(port: int) -> set[int]:
    """The processes holding a listening socket on `port`."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not sockets:
        return set()
    holders = set()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in sockets:
                        holders.add(int(entry.name))
    return holders


def port_listening(port: int) -> bool:
    return bool(_listening_inodes(port))


@dataclass(frozen=True)
class ServingTree:
    """How a running `serve` is laid out: serve -> scoring-server session leader -> workers."""

    serve: Proc
    leader: Proc
    workers: list[Proc]
    port_holders: set[int]

    def problems(self) -> list[str]:
        """How this differs from the layout of `mlflow models serve` (test_serving.py)."""
        found = []
        if self.leader.ppid != self.serve.pid or self.leader.sid != self.leader.pid:
            found.append("the scoring server is not a session leader started by serve")
        if not self.workers:
            found.append("the scoring server started no worker")
        if not self.port_holders or not self.port_holders <= {w.pid for w in self.workers}:
            found.append(f"the port is held by {self.port_holders}, not by a worker")
        return found


def serving_tree(launcher: int, port: int) -> ServingTree | None:
    """The tree under `launcher` once a worker listens on `port`, else None."""
    holders = listeners(port)
    procs = alive(processes())
    below = descendants(launcher, procs)
    leaders = [p for p in below if p.sid == p.pid and p.pid != launcher]
    if not holders or len(leaders) != 1:
        return None
    leader = leaders[0]
    serve = procs.get(leader.ppid)
    workers = [p for p in below if p.sid == leader.sid and p.pid != leader.pid]
    return ServingTree(serve, leader, workers, holders) if serve else None
