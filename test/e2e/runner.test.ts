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

function run(file: string): { status: number | null; out: string } {
  const r = spawnSync(python, [join(ROOT, "scripts", "notebooks", "run.py"), file], { env, encoding: "utf8", timeout: 180_000 });
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
});
