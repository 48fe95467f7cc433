"""Process hygiene for benchmark workers: exit with the parent, and kill a whole process tree.

`exit_with_parent` starts a watchdog thread that ends this process as soon as its parent is gone (re-parented to
init or a subreaper), whatever killed the parent, SIGKILL included. A watchdog rather than prctl(PR_SET_PDEATHSIG):
the kernel sends the death signal when the *thread* that forked us exits, and site servers are started from
short-lived pool threads. `descendants` and `kill_tree` read /proc, so no psutil is needed."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

PARENT_ENV = "WEBAGENT_PARENT_PID"


def exit_with_parent(parent: int | None = None, interval: float = 0.25) -> threading.Thread:
    """Exit (status 1, without clean-up: the parent that would wait for it is gone) once the parent process dies.
    `parent` defaults to the current parent; if it is already gone, exit now."""
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    t = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    t.start()
    return t


def exit_with_parent_from_env() -> None:
    """For a subprocess started with `child_env()`: exit when the process named in $WEBAGENT_PARENT_PID dies."""
    pid = os.environ.get(PARENT_ENV)
    if pid and pid.isdigit():
        exit_with_parent(int(pid))


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of `env` (default os.environ) telling the child that this process is its parent."""
    out = dict(os.environ if env is None else env)
    out[PARENT_ENV] = str(os.getpid())
    return out


def _ppids() -> dict[int, int]:
    out: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # comm may hold spaces and parentheses: the fields after the last ')' are "state ppid ..."
        rest = stat[stat.rfind(b")") + 2:].split()
        with contextlib.suppress(IndexError, ValueError):
            out[int(name)] = int(rest[1])
    return out


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children, grandchildren, ...), from /proc; [] where /proc is missing."""
    if not os.path.isdir("/proc"):
        return []
    children: dict[int, list[int]] = {}
    for child, parent in _ppids().items():
        children.setdefault(parent, []).append(child)
    out: list[int] = []
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def kill_tree(pid: int, sig: int = signal.SIGKILL) -> list[int]:
    """Send `sig` to `pid` and every descendant (children first collected, so re-parenting cannot hide them)."""
    victims = descendants(pid) + [pid]
    for p in victims:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, sig)
    return victims
