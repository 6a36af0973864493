"""Runs notebooks top to bottom through the tslab kernel and checks their exercises.

Usage: run.py [--short] [--save DIR] NOTEBOOK...

For every notebook: a fresh kernel in the notebook's folder, each code cell in order. A cell that
errors stops that notebook and is reported with the notebook, the cell number, the line in its
source (notebooks/source/*.md), the cell's code and tslab's error text. (tslab sends its error text
as a stderr stream that can arrive after the reply, which `jupyter nbconvert --execute` drops: so
this talks to the kernel directly.)

Exercise verdicts printed by src/notebook/check.ts ("[exercise 1.1] PASS: ...") are checked too:
every exercise must PASS in notebooks/solutions/ and be NOT DONE YET in the learner notebooks.
Exit status 1 when anything failed.
"""
import argparse
import json
import os
import queue
import re
import sys
import tempfile
import time

import nbformat
from jupyter_client.manager import start_new_kernel

VERDICT = re.compile(r"^\[exercise ([\w.]+)\] (PASS|FAIL|NOT DONE YET)", re.M)
CELL_TIMEOUT = 300
TIME_BUDGET = 60.0


def run_cell(kc, code, timeout):
    """Executes one cell; returns (status, stdout, stderr+errors, displays)."""
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    out, err, displays = [], [], []
    status = None
    idle = False
    deadline = time.time() + timeout
    while not idle or status is None:
        if time.time() > deadline:
            return "timeout", "".join(out), "".join(err) + f"\n(no result after {timeout} s)", displays
        if status is None:
            try:
                reply = kc.get_shell_msg(timeout=0.05)
                if reply["parent_header"].get("msg_id") == msg_id:
                    status = reply["content"]["status"]
                    if status == "error" and reply["content"].get("evalue"):
                        err.append(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}\n")
            except queue.Empty:
                pass
        try:
            msg = kc.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind == "stream":
            (out if content["name"] == "stdout" else err).append(content["text"])
        elif kind == "error":
            err.append("\n".join(content.get("traceback") or [f"{content.get('ename')}: {content.get('evalue')}"]) + "\n")
        elif kind in ("display_data", "execute_result"):
            displays.append(content.get("data", {}))
            text = content.get("data", {}).get("text/plain")
            if text and kind == "execute_result":
                out.append(text + "\n")
    if status != "ok":
        # tslab writes the error text after its reply: collect what arrives in the next moment.
        end = time.time() + 0.7
        while time.time() < end:
            try:
                msg = kc.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                err.append(msg["content"]["text"])
    return status, "".join(out), "".join(err), displays


def indent(text, prefix="    "):
    return "\n".join(prefix + line for line in text.rstrip("\n").split("\n"))


def run_notebook(path, args):
    nb = nbformat.read(path, as_version=4)
    solved = os.sep + "solutions" + os.sep in os.path.abspath(path)
    env = dict(os.environ)
    if args.short:
        env["SLOWFAST_NOTEBOOK_SHORT"] = "1"
    start = time.time()
    # The kernel process's own stderr (TensorFlow's start-up lines, a crash) is kept in a file and
    # shown only when the notebook fails.
    log = tempfile.TemporaryFile(mode="w+")
    km, kc = start_new_kernel(kernel_name="tslab", cwd=os.path.dirname(os.path.abspath(path)), env=env, stderr=log, stdout=log)
    failures = []
    verdicts = {}
    timings = []
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            began = time.time()
            status, out, err, displays = run_cell(kc, cell.source, args.cell_timeout)
            timings.append((time.time() - began, index + 1))
            if args.save:
                outputs = []
                if out:
                    outputs.append(nbformat.v4.new_output("stream", name="stdout", text=out))
                if err:
                    outputs.append(nbformat.v4.new_output("stream", name="stderr", text=err))
                outputs += [nbformat.v4.new_output("display_data", data=d) for d in displays]
                cell.outputs = outputs
            where = f"{path}, cell {index + 1} of {len(nb.cells)}"
            line = cell.metadata.get("source_line")
            if line is not None:
                where += f" (notebooks/source/{os.path.basename(path)[:-6]}.md:{line})"
            if status != "ok":
                failures.append(f"{where}: the cell failed ({status})\n  source:\n{indent(cell.source)}\n  error:\n{indent(err or '(no error text)')}")
                break
            found = VERDICT.findall(out)
            if "check" in cell.metadata.get("tags", []) and not found:
                failures.append(f"{where}: check cell printed no exercise verdict\n  source:\n{indent(cell.source)}\n  output:\n{indent(out or '(none)')}")
            for exercise, verdict in dict.fromkeys(found):
                verdicts[exercise] = verdict
                want = "PASS" if solved else "NOT DONE YET"
                if verdict != want:
                    lines = [l for l in out.splitlines() if l.startswith(f"[exercise {exercise}]")]
                    failures.append(f"{where}: exercise {exercise} is {verdict}, expected {want} in the {'solved' if solved else 'learner'} notebook\n  source:\n{indent(cell.source)}\n  output:\n{indent(chr(10).join(lines))}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        if failures:
            log.seek(0)
            text = "\n".join(l for l in log.read().splitlines() if "oneDNN custom operations" not in l and "absl::InitializeLog" not in l)
            if text.strip():
                failures.append(f"{path}: the kernel process wrote:\n{indent(text)}")
        log.close()
    seconds = time.time() - start
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        name = ("solutions_" if solved else "") + os.path.basename(path)
        nbformat.write(nb, os.path.join(args.save, name))
    return failures, verdicts, seconds, sorted(timings, reverse=True)[:3]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--short", action="store_true", help="set SLOWFAST_NOTEBOOK_SHORT=1 (short mode of slow cells)")
    ap.add_argument("--save", help="write the executed notebooks (with outputs) into this folder")
    ap.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT)
    args = ap.parse_args()
    all_failures = []
    for path in args.notebooks:
        failures, verdicts, seconds, slowest = run_notebook(path, args)
        summary = ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())) or "no exercises"
        slow = f"  (over the {TIME_BUDGET:.0f} s budget)" if seconds > TIME_BUDGET else ""
        cells = ", ".join(f"cell {i} {t:.1f} s" for t, i in slowest)
        print(f"{'FAIL' if failures else 'ok  '} {path}  {seconds:.1f} s{slow}  [{summary}]  slowest: {cells}", flush=True)
        for f in failures:
            print(indent(f, "  "), flush=True)
        all_failures += failures
    if all_failures:
        print(f"\n{len(all_failures)} notebook failure(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
