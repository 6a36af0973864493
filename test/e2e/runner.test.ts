// The notebook runner (scripts/notebooks/run.py) reports what a failing notebook did wrong: the
// notebook, the cell number, the cell's code and tslab's error text (which `nbconvert --execute`
// drops), and an exercise verdict that does not fit the version (a FAIL in a solved notebook).
// Needs Jupyter (jupyter_client, nbformat) like `npm run test:notebooks`; runs with `npm run test:e2e`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { findPython, kernelEnv, ROOT } from "../../scripts/notebooks/jupyter";

const python = findPython(["jupyter_client", "nbformat"]);
const env = kernelEnv(python);
const work = mkdtempSync(join(tmpdir(), "slowfast-runner-"));
// notebooks/ and notebooks/solutions/ one level below a folder whose dist/ is the real one.
symlinkSync(join(ROOT, "dist"), join(work, "dist"));
mkdirSync(join(work, "notebooks", "solutions"), { recursive: true });

function notebook(path: string, cells: { source: string; tags?: string[] }[]): string {
  const file = join(work, path);
  writeFileSync(
    file,
    JSON.stringify({
      cells: cells.map((c, i) => ({ cell_type: "code", id: `c${i}`, execution_count: null, metadata: { tags: c.tags ?? [], source_line: 10 * (i + 1) }, outputs: [], source: c.source })),
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
  return file;
}

function run(file: string, ...flags: string[]): { status: number | null; out: string } {
  const r = spawnSync(python, [join(ROOT, "scripts", "notebooks", "run.py"), ...flags, file], { env, encoding: "utf8", timeout: 180_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("notebook runner", { timeout: 400_000 }, () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  it("names the notebook, cell, source line, code and tslab's error text; stops at the failing cell", () => {
    const file = notebook("notebooks/broken.ipynb", [
      { source: 'import { probe } from "../dist/notebook";\nconsole.log("first cell ran");' },
      { source: 'const frames: number = "thirty-two";' },
      { source: 'console.log("must not run");' },
    ]);
    const { status, out } = run(file);
    assert.equal(status, 1, out);
    assert.match(out, /FAIL .*broken\.ipynb/);
    assert.match(out, /broken\.ipynb, cell 2 of 3 \(notebooks\/source\/broken\.md:20\): the cell failed/);
    assert.match(out, /const frames: number = "thirty-two";/);
    assert.match(out, /Type 'string' is not assignable to type 'number'/);
    assert.doesNotMatch(out, /must not run/);
  });

  it("reports a runtime error with its message and stack", () => {
    const file = notebook("notebooks/throws.ipynb", [{ source: 'import { probe } from "../dist/notebook";\nprobe("conv1 (slow)", [1, 4, 112, 112, 64], [1, 2, 112, 112, 64]);' }]);
    const { status, out } = run(file);
    assert.equal(status, 1, out);
    assert.match(out, /cell 1 of 1/);
    assert.match(out, /ShapeError: shape mismatch at conv1 \(slow\): expected \[1, 2, 112, 112, 64\] \(NDHWC\), got \[1, 4, 112, 112, 64\]/);
  });

  it("fails a solved notebook whose exercise does not pass, and a check cell without a verdict", () => {
    const file = notebook("notebooks/solutions/wrong.ipynb", [
      { source: 'import { checkSlowIndices } from "../../dist/notebook";' },
      { source: "checkSlowIndices((f: number, tau: number) => Array.from({ length: f / tau }, (_, i) => i));", tags: ["check"] },
      { source: 'console.log("no verdict here");', tags: ["check"] },
    ]);
    const { status, out } = run(file);
    assert.equal(status, 1, out);
    assert.match(out, /cell 2 of 3 .*exercise 1\.1 is FAIL, expected PASS in the solved notebook/);
    assert.match(out, /expected \[0, 8, 16, 24\], got \[0, 1, 2, 3\]/);
    assert.match(out, /cell 3 of 3 .*check cell printed no exercise verdict/);
  });

  it("fails a cell that tslab echoes (its last expression has a value), and not one that prints what it means to", () => {
    const file = notebook("notebooks/echo.ipynb", [
      { source: 'import { probe } from "../dist/notebook";\nconsole.log({ printed: "on purpose" });' },
      { source: 'const result = { id: "1.3", verdict: "NOT DONE YET" };\nresult' },
      { source: 'probe("slow input", [1, 4, 224, 224, 3], [1, 4, 224, 224, 3]);' },
    ]);
    const { status, out } = run(file);
    assert.equal(status, 1, out);
    assert.match(out, /echo\.ipynb, cell 2 of 3 \(notebooks\/source\/echo\.md:20\): tslab echoed the value of the cell's last expression/);
    assert.match(out, /echo:\n\s+\{ id: '1\.3', verdict: 'NOT DONE YET' \}/);
    assert.doesNotMatch(out, /cell 1 of 3/);
    assert.doesNotMatch(out, /cell 3 of 3/, "probe returns nothing: no echo");
    assert.match(out, /1 notebook failure\(s\)/);
  });

  it("fails a cell with over 10 KB of text output; plots (display data) do not count", () => {
    const file = notebook("notebooks/long.ipynb", [
      { source: 'import { lineChart } from "../dist/notebook";\nlineChart([{ name: "n", x: Array.from({ length: 3000 }, (_, i) => i), y: Array.from({ length: 3000 }, (_, i) => i * i) }]);' },
      { source: 'console.log("x".repeat(12 * 1024));' },
      { source: 'console.log("x".repeat(9 * 1024));' },
    ]);
    const { status, out } = run(file);
    assert.equal(status, 1, out);
    assert.match(out, /long\.ipynb, cell 2 of 3 .*: the cell printed 12,289 bytes of text, over the 10 KB limit/);
    assert.doesNotMatch(out, /cell [13] of 3/);
  });

  it("fails notebooks 00-07 over the time budget (kernel start included), and only times 08 and later", () => {
    const cells = [{ source: 'import { probe } from "../dist/notebook";' }];
    const early = run(notebook("notebooks/03_budget.ipynb", cells), "--budget", "1");
    assert.equal(early.status, 1, early.out);
    assert.match(early.out, /FAIL \S*03_budget\.ipynb {2}[\d.]+ s \(budget 1 s\)/);
    assert.match(early.out, /03_budget\.ipynb: Run All took [\d.]+ s, over the 1 s budget of notebooks 00-07/);
    const late = run(notebook("notebooks/08_budget.ipynb", cells), "--budget", "1");
    assert.equal(late.status, 0, late.out);
    assert.match(late.out, /ok {3}\S*08_budget\.ipynb {2}[\d.]+ s \(no budget\)/);
  });
});
