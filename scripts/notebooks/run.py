"""Runs notebooks top to bottom through the tslab kernel and checks their exercises.

Usage: run.py [--short] [--save DIR] NOTEBOOK...

For every notebook: a fresh kernel in the notebook's folder, each code cell in order. A cell that
errors stops that notebook and is reported with the notebook, the cell number, the line in its
source (notebooks/source/*.md), the cell's code and tslab's error text. (tslab sends its error text
as a stderr stream that can arrive after the reply, which `jupyter nbconvert --execute` drops: so
this talks to the kernel directly.)

Exercise verdicts printed by src/notebook/check.ts ("[exercise 1.1] PASS: ...") are checked too:
every exercise must PASS in notebooks/solutions/ and be NOT DONE YET in the learner notebooks.

A quiet notebook is checked too. A cell fails when
- tslab echoes the value of its last expression. tslab does not send an execute_result for it: it
  console.log()s the value (executor.js), so the echo is stdout text that looks like any other. The
  runner tells them apart with a hook (ECHO_HOOK below) that marks every stdout write whose caller is
  tslab's executor itself rather than the cell's code. Any echo fails, not only objects: a notebook
  prints what it means to print, and a helper used as a last line returns nothing.
- it sends an execute_result (tslab never does; another path that did would be an echo too);
- its text output (stdout, stderr, text/plain) is over 10 KB: plots are HTML display data, so text
  that long is a dump, not something a learner reads.
Notebooks 00-07 must run under TIME_BUDGET seconds (kernel start included); 08 and later have their
own short modes and are only timed. --rerun then re-runs every code cell, last to first (each cell
after the cells below it have run, as a learner scrolling back does), then first to last, and fails
on any error. Exit status 1 when anything failed.
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
BUDGETED = re.compile(r"^0[0-7]_")  # notebooks 00-07 (by file name) must fit TIME_BUDGET
TEXT_LIMIT = 10 * 1024  # bytes of text output per cell
ECHO_MARK = "\u2063tslab-echo\u2063"  # invisible separator around a word no notebook prints

# Sent once per kernel, before the first cell, without a place in the history. tslab reassigns
# process.stdout.write before every cell, so the hook is an accessor that wraps whatever is
# assigned. A write is an echo when the first frame of its stack outside Node's own console code is
# tslab's executor.js (the cell's code, or a library it calls, is a different frame).
ECHO_HOOK = r"""{
  const stream: any = process.stdout;
  let write: any = stream.write;
  const marked = function (this: unknown, chunk: any, ...rest: any[]) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    const frames = (new Error().stack ?? "").split("\n").slice(2).filter((l) => !/[( ]node:/.test(l));
    Error.stackTraceLimit = limit;
    const echo = /tslab[\\/]dist[\\/]executor\.js/.test(frames[0] ?? "");
    return write.call(this, echo ? "ECHO_MARK" + String(chunk) : chunk, ...rest);
  };
  Object.defineProperty(stream, "write", { configurable: true, get: () => marked, set: (w: any) => { write = w; } });
}""".replace("ECHO_MARK", ECHO_MARK)


def run_cell(kc, code, timeout):
    """Executes one cell; returns (status, stdout, stderr+errors, displays, results).

    results: the text/plain of every execute_result (tslab sends none; see the module docstring)."""
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    out, err, displays, results = [], [], [], []
    status = None
    idle = False
    deadline = time.time() + timeout
    while not idle or status is None:
        if time.time() > deadline:
            return "timeout", "".join(out), "".join(err) + f"\n(no result after {timeout} s)", displays, results
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
        elif kind == "display_data":
            displays.append(content.get("data", {}))
        elif kind == "execute_result":
            displays.append(content.get("data", {}))
            results.append(content.get("data", {}).get("text/plain", "(no text/plain)"))
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
    return status, "".join(out), "".join(err), displays, results


def indent(text, prefix="    "):
    return "\n".join(prefix + line for line in text.rstrip("\n").split("\n"))


def excerpt(text, limit=300):
    text = text.strip("\n")
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text.encode())} bytes in all)"


def quiet_problems(out, err, displays, results):
    """What makes a cell noisy: echoes of its last expression, execute_results, text over TEXT_LIMIT."""
    problems = []
    for echo in out.split(ECHO_MARK)[1:]:
        problems.append(
            "tslab echoed the value of the cell's last expression (a helper used as a last line must return nothing)\n"
            f"  echo:\n{indent(excerpt(echo))}"
        )
    for text in results:
        problems.append(f"the cell sent an execute_result (an echo of its value)\n  text/plain:\n{indent(excerpt(text))}")
    text = out.replace(ECHO_MARK, "") + err + "".join(d.get("text/plain", "") for d in displays)
    size = len(text.encode())
    if size > TEXT_LIMIT:
        problems.append(f"the cell printed {size:,} bytes of text, over the {TEXT_LIMIT // 1024} KB limit (plots are display data, not text)\n  start:\n{indent(excerpt(text))}")
    return problems


def start_kernel(path, args, log):
    """A fresh tslab kernel in the notebook's folder, with the echo hook installed."""
    env = dict(os.environ)
    if args.short:
        env["SLOWFAST_NOTEBOOK_SHORT"] = "1"
    km, kc = start_new_kernel(kernel_name="tslab", cwd=os.path.dirname(os.path.abspath(path)), env=env, stderr=log, stdout=log)
    msg_id = kc.execute(ECHO_HOOK, silent=True, store_history=False)
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=60)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the runner's echo hook did not compile in tslab: {reply['content']}")
    return km, kc


def run_notebook(path, args):
    nb = nbformat.read(path, as_version=4)
    solved = os.sep + "solutions" + os.sep in os.path.abspath(path)
    start = time.time()
    # The kernel process's own stderr (TensorFlow's start-up lines, a crash) is kept in a file and
    # shown only when the notebook fails.
    log = tempfile.TemporaryFile(mode="w+")
    km, kc = start_kernel(path, args, log)
    failures = []
    stopped = False  # a cell failed: the cells after it did not run
    verdicts = {}
    timings = []
    code_cells = [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]

    def where(index, cell):
        text = f"{path}, cell {index + 1} of {len(nb.cells)}"
        line = cell.metadata.get("source_line")
        if line is not None:
            text += f" (notebooks/source/{os.path.basename(path)[:-6]}.md:{line})"
        return text

    try:
        for index, cell in code_cells:
            began = time.time()
            status, out, err, displays, results = run_cell(kc, cell.source, args.cell_timeout)
            timings.append((time.time() - began, index + 1))
            if args.save:
                outputs = []
                if out:
                    outputs.append(nbformat.v4.new_output("stream", name="stdout", text=out.replace(ECHO_MARK, "")))
                if err:
                    outputs.append(nbformat.v4.new_output("stream", name="stderr", text=err))
                outputs += [nbformat.v4.new_output("display_data", data=d) for d in displays]
                cell.outputs = outputs
            if status != "ok":
                failures.append(f"{where(index, cell)}: the cell failed ({status})\n  source:\n{indent(cell.source)}\n  error:\n{indent(err or '(no error text)')}")
                stopped = True
                break
            for problem in quiet_problems(out, err, displays, results):
                failures.append(f"{where(index, cell)}: {problem}\n  source:\n{indent(cell.source)}")
            found = VERDICT.findall(out)
            if "check" in cell.metadata.get("tags", []) and not found:
                failures.append(f"{where(index, cell)}: check cell printed no exercise verdict\n  source:\n{indent(cell.source)}\n  output:\n{indent(out or '(none)')}")
            for exercise, verdict in dict.fromkeys(found):
                verdicts[exercise] = verdict
                want = "PASS" if solved else "NOT DONE YET"
                if verdict != want:
                    lines = [l for l in out.splitlines() if l.startswith(f"[exercise {exercise}]")]
                    failures.append(f"{where(index, cell)}: exercise {exercise} is {verdict}, expected {want} in the {'solved' if solved else 'learner'} notebook\n  source:\n{indent(cell.source)}\n  output:\n{indent(chr(10).join(lines))}")
        seconds = time.time() - start
        if args.rerun and not stopped:
            for index, cell in [*reversed(code_cells), *code_cells]:
                status, out, err, displays, results = run_cell(kc, cell.source, args.cell_timeout)
                if status != "ok":
                    failures.append(f"{where(index, cell)}: re-run after Run All failed ({status})\n  source:\n{indent(cell.source)}\n  error:\n{indent(err or '(no error text)')}")
                for problem in quiet_problems(out, err, displays, results):
                    failures.append(f"{where(index, cell)}: re-run after Run All: {problem}\n  source:\n{indent(cell.source)}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        if failures:
            log.seek(0)
            text = "\n".join(l for l in log.read().splitlines() if "oneDNN custom operations" not in l and "absl::InitializeLog" not in l)
            if text.strip():
                failures.append(f"{path}: the kernel process wrote:\n{indent(text)}")
        log.close()
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
    ap.add_argument("--rerun", action="store_true", help="after Run All, re-run every code cell last to first, then first to last; fail on any error")
    ap.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT)
    ap.add_argument("--budget", type=float, default=TIME_BUDGET, help=f"seconds allowed for notebooks 00-07 (default {TIME_BUDGET:.0f})")
    args = ap.parse_args()
    all_failures = []
    for path in args.notebooks:
        failures, verdicts, seconds, slowest = run_notebook(path, args)
        if BUDGETED.match(os.path.basename(path)) and seconds > args.budget:
            failures.append(f"{path}: Run All took {seconds:.1f} s, over the {args.budget:.0f} s budget of notebooks 00-07 (kernel start included; its slowest cells are on the line above)")
        summary = ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())) or "no exercises"
        budget = f" (budget {args.budget:.0f} s)" if BUDGETED.match(os.path.basename(path)) else " (no budget)"
        cells = ", ".join(f"cell {i} {t:.1f} s" for t, i in slowest)
        print(f"{'FAIL' if failures else 'ok  '} {path}  {seconds:.1f} s{budget}  [{summary}]  slowest: {cells}", flush=True)
        for f in failures:
            print(indent(f, "  "), flush=True)
        all_failures += failures
    if all_failures:
        print(f"\n{len(all_failures)} notebook failure(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
