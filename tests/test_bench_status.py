"""The live status of a bench run (issue 14): its formatting, the non-terminal behaviour (plain lines, nothing
redrawn) and the terminal one (one line on stderr redrawn below the task lines)."""

from __future__ import annotations

import io
import os
import time
from types import SimpleNamespace

from webagent.tasks.status import LiveStatus, RunStatus, duration, format_status


def test_format_status_counts_eta_and_the_working_timer():
    line = format_status(3, 10, {"shop_001": 100.0, "wiki_002": 150.0}, elapsed=60.0, tokens=1234, cost=0.0123,
                         now=230.0, quiet_since={"shop_001": 100.0 + 10})
    assert line.startswith("3/10 done, 2 running, ETA 2m20s, 1234 tok, $0.0123")
    # the longest-running task, with how long it has been working on its current step (a long model call)
    assert line.endswith("| shop_001 2m10s, working on a step for 2m00s")
    assert format_status(0, 4, {}, 5.0, 0, 0.0, 5.0) == "0/4 done, 0 running, ETA --, 0 tok, $0.0000"
    assert "working" not in format_status(0, 1, {"a": 0.0}, 1.0, 0, 0.0, 3.0, {"a": 1.0})  # a fresh step: no timer
    assert duration(3725) == "1h02m" and duration(59.6) == "1m00s"


def test_the_step_timer_comes_from_the_trajectory_a_pool_worker_writes(tmp_path):
    st = RunStatus(2, tmp_path)
    st.started(SimpleNamespace(task_id="shop/1"))
    traj = tmp_path / "shop_1" / "trajectory.jsonl"
    traj.parent.mkdir()
    traj.write_text("{}\n")
    past = time.time() - 90
    os.utime(traj, (past, past))
    assert "| shop/1 0m00s, working on a step for 1m30s" in st.line()
    st.finished({"task_id": "shop/1", "tokens": 7, "cost_usd": 0.5})
    assert st.line() == "1/2 done, 0 running, ETA 0m00s, 7 tok, $0.5000"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_a_terminal_plain_lines_carry_the_status():
    st = RunStatus(2)
    out: list[str] = []
    err = io.StringIO()
    with LiveStatus(st, out.append, stream=err, interval=0.01) as live:
        st.finished({"task_id": "t1", "tokens": 5})
        live.emit("[1/2] t1 PASS")
        live.emit("note: something", with_status=False)
        time.sleep(0.05)
    assert out[0].startswith("[1/2] t1 PASS  | 1/2 done, 0 running, ETA ") and out[1] == "note: something"
    assert err.getvalue() == ""  # nothing redrawn where there is no terminal


def test_on_a_terminal_the_status_line_is_redrawn_below_the_task_lines():
    st = RunStatus(2)
    out: list[str] = []
    err = Tty()
    with LiveStatus(st, out.append, stream=err, interval=0.01) as live:
        st.started(SimpleNamespace(task_id="t1"))
        time.sleep(0.05)
        st.finished({"task_id": "t1", "tokens": 5})
        live.emit("[1/2] t1 PASS")
    assert out == ["[1/2] t1 PASS"]
    text = err.getvalue()
    assert "\r\x1b[2K0/2 done, 1 running" in text  # redrawn by the timer while t1 ran
    assert "\r\x1b[2K1/2 done, 0 running" in text and text.endswith("\r\x1b[2K")  # cleared at the end
