// The notebook toolchain without a kernel: exercise checkers (each solution passes, each stub is
// "not done yet", a plausible wrong answer fails with a specific message), the notebook builder
// (markers, validation, drift against the committed notebooks), plots and shape probes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { describe, it } from "node:test";
import { tf } from "../src/backend";
import { frameIndices, linspaceIndices, nearestIndices, ShapeError, type Shape5, type Triple, windowOut, windowShape } from "../src/model";
import * as nb from "../src/notebook";
import { buildNotebook, drift, generateAll, parseSource, renderCode, SourceError, validate } from "../scripts/notebooks/build";
import { syncWorkCopy } from "../scripts/notebooks/workcopy";

import { expectVerdict, quiet } from "./checker-helpers";

/** The lines `fn` prints with console.log (not shown). */
function printed(fn: () => void): string[] {
  const log = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    fn();
  } finally {
    console.log = log;
  }
  return lines;
}

const pad = (k: Triple) => k.map((v) => Math.floor((v - 1) / 2)) as unknown as Triple;

describe("exercise checkers", () => {
  it("0.1 NCTHW -> NDHWC: solution, stub, channels left in place", () => {
    expectVerdict(quiet(() => nb.checkToNDHWC(([n, c, t, h, w]) => [n, t, h, w, c])), "PASS");
    expectVerdict(quiet(() => nb.checkToNDHWC(() => nb.todo("0.1"))), "NOT DONE YET", "[exercise 0.1]", 'todo("0.1")');
    // Wrong: swapped C and T instead of moving C to the end.
    expectVerdict(quiet(() => nb.checkToNDHWC(([n, c, t, h, w]) => [n, t, c, h, w])), "FAIL", "expected [1, 32, 224, 224, 3]", "got [1, 32, 3, 224, 224]", "index 2");
  });

  it("0.2 frames per pathway: fast = frames / alpha is caught", () => {
    expectVerdict(quiet(() => nb.checkPathwayFrames((f, tau, alpha) => ({ slow: f / tau, fast: (f / tau) * alpha }))), "PASS");
    expectVerdict(quiet(() => nb.checkPathwayFrames(() => nb.todo("0.2"))), "NOT DONE YET");
    expectVerdict(quiet(() => nb.checkPathwayFrames((f, tau, alpha) => ({ slow: f / tau, fast: f / alpha }))), "FAIL", "fast frames for 32 frames, tau=8, alpha=8", "expected 32, got 4");
  });

  it("1.1 slow indices: the wrong stride (tau / alpha instead of tau) is caught at the first differing index", () => {
    expectVerdict(quiet(() => nb.checkSlowIndices((f, tau) => nearestIndices(f, tau))), "PASS");
    expectVerdict(quiet(() => nb.checkSlowIndices(() => nb.todo("1.1"))), "NOT DONE YET");
    // Plausible mistake: stepping by tau/alpha = 1 (the fast stride) for the slow pathway.
    const wrongStride = (f: number, tau: number) => Array.from({ length: f / tau }, (_, i) => i);
    expectVerdict(quiet(() => nb.checkSlowIndices(wrongStride)), "FAIL", "slowIndices(32, 8)", "expected [0, 8, 16, 24]", "got [0, 1, 2, 3]", "first difference at index 1");
    // Plausible mistake: PySlowFast's linspace instead of mmaction2's nearest resampling.
    expectVerdict(quiet(() => nb.checkSlowIndices((f, tau) => linspaceIndices(f, f / tau))), "FAIL", "expected [0, 8, 16, 24]", "got [0, 10, 20, 31]");
    // Rounding the count up for a clip length tau does not divide (30 frames, tau 8 -> 3 frames).
    expectVerdict(quiet(() => nb.checkSlowIndices((f, tau) => Array.from({ length: Math.ceil(f / tau) }, (_, i) => i * tau))), "FAIL", "slowIndices(30, 8)", "length 4, expected 3");
  });

  it("1.2 fast indices and 1.3 linspace: solution, stub, wrong answers", () => {
    expectVerdict(quiet(() => nb.checkFastIndices((f, tau, alpha) => frameIndices(f, tau, alpha, "nearest").fast)), "PASS");
    expectVerdict(quiet(() => nb.checkFastIndices(() => nb.todo("1.2"))), "NOT DONE YET");
    expectVerdict(quiet(() => nb.checkFastIndices((f, _tau, alpha) => nearestIndices(f, alpha))), "FAIL", "fastIndices(32, 8, 8)");
    expectVerdict(quiet(() => nb.checkLinspace(linspaceIndices)), "PASS");
    expectVerdict(quiet(() => nb.checkLinspace(() => nb.todo("1.3"))), "NOT DONE YET");
    // Rounding instead of truncating (torch's .long() truncates): 31 * 2 / 3 = 20.67 -> 20, not 21.
    const rounded = (n: number, count: number) => (count === 1 ? [0] : Array.from({ length: count }, (_, i) => Math.round((i * (n - 1)) / (count - 1))));
    expectVerdict(quiet(() => nb.checkLinspace(rounded)), "FAIL", "linspace(32, 4)", "expected [0, 10, 20, 31]", "got [0, 10, 21, 31]", "index 2");
  });

  it("1.4 gather frames: gathering along the batch axis is caught by its shape, wrong frames by the max error", () => {
    const before = tf.memory().numTensors;
    expectVerdict(quiet(() => nb.checkGatherFrames((clip, idx) => tf.gather(clip, tf.tensor1d(idx, "int32"), 1) as tf.Tensor5D)), "PASS");
    expectVerdict(quiet(() => nb.checkGatherFrames(() => nb.todo("1.4"))), "NOT DONE YET");
    expectVerdict(quiet(() => nb.checkGatherFrames((clip, idx) => tf.gather(clip, idx.filter((i) => i < 2), 0) as tf.Tensor5D)), "FAIL", "(shape)", "expected shape [2, 4, 3, 4, 3], got [1, 8, 3, 4, 3]", "axis 0: N (batch)");
    expectVerdict(quiet(() => nb.checkGatherFrames((clip, idx) => tf.gather(clip, idx.map((i) => Math.max(0, i - 1)), 1) as tf.Tensor5D)), "FAIL", "max error", "at index [");
    // The checker's own tensors are freed (the learner's returned tensor too).
    assert.ok(tf.memory().numTensors - before <= 4, `checker leaked ${tf.memory().numTensors - before} tensors`);
  });

  it("2.1 window size: forgetting the padding is caught", () => {
    expectVerdict(quiet(() => nb.checkConvOutSize(windowOut)), "PASS");
    expectVerdict(quiet(() => nb.checkConvOutSize(() => nb.todo("2.1"))), "NOT DONE YET");
    expectVerdict(quiet(() => nb.checkConvOutSize((size, k, s) => Math.floor((size - k) / s) + 1)), "FAIL", "outSize(size=224, kernel=7, stride=2, pad=3)", "expected 112, got 109");
  });

  it("2.2 stem shapes: a temporal kernel that shrinks T (no temporal padding) is caught on the T axis", () => {
    const right = (x: Shape5, k: Triple, cout: number) => {
      const conv1 = windowShape(x, k, [1, 2, 2], pad(k), cout);
      return { conv1, maxpool: windowShape(conv1, [1, 3, 3], [1, 2, 2], [0, 1, 1], cout) };
    };
    expectVerdict(quiet(() => nb.checkStemShapes(right)), "PASS");
    expectVerdict(quiet(() => nb.checkStemShapes(() => nb.todo("2.2"))), "NOT DONE YET");
    const noTimePad = (x: Shape5, k: Triple, cout: number) => {
      const conv1 = windowShape(x, k, [1, 2, 2], [0, 3, 3], cout);
      return { conv1, maxpool: windowShape(conv1, [1, 3, 3], [1, 2, 2], [0, 1, 1], cout) };
    };
    expectVerdict(quiet(() => nb.checkStemShapes(noTimePad)), "FAIL", "conv1 for input [1,32,256,256,3]", "axis 1: T (time)", "expected 32, got 28");
  });

  it("2.3 stem parameters: counting BN running statistics is caught", () => {
    const right = (k: Triple, cin: number, cout: number) => k[0] * k[1] * k[2] * cin * cout + 2 * cout;
    expectVerdict(quiet(() => nb.checkStemParams(right)), "PASS");
    expectVerdict(quiet(() => nb.checkStemParams(() => nb.todo("2.3"))), "NOT DONE YET");
    expectVerdict(quiet(() => nb.checkStemParams((k, cin, cout) => right(k, cin, cout) + 2 * cout)), "FAIL", "expected 9536, got 9664");
    assert.equal(nb.stemParamsFromLibrary([1, 7, 7], 64), 49 * 3 * 64 + 128);
  });

  it("an exception in the learner's code is a FAIL that names it, never a crash", () => {
    expectVerdict(quiet(() => nb.checkSlowIndices(() => { throw new TypeError("x is undefined"); })), "FAIL", "your code threw TypeError: x is undefined");
    expectVerdict(quiet(() => nb.checkSlowIndices((() => undefined) as unknown as () => number[])), "FAIL", "returned undefined");
  });
});

describe("check(): one line, nothing returned, and a note when the function did not change", () => {
  const fails = (f: () => number) => nb.check("9.9", "returns 1", () => nb.expectEqual("f()", 1, f()), f);

  it("prints exactly one verdict line and returns undefined", () => {
    let value: unknown = null;
    const lines = printed(() => {
      value = nb.check("9.8", "nothing to check", () => {});
    });
    assert.equal(value, undefined);
    assert.deepEqual(lines, ["[exercise 9.8] PASS: nothing to check"]);
  });

  it("the same function object as at the last check (its cell did not compile) gets a note; a new one does not", () => {
    const wrong = () => 2;
    assert.deepEqual(printed(() => fails(wrong)), ["[exercise 9.9] FAIL: returns 1 (f(): expected 1, got 2)"]);
    // The learner edits the cell, it does not compile, tslab keeps `wrong`: the check sees it again.
    const again = printed(() => fails(wrong));
    assert.equal(again.length, 2, again.join("\n"));
    assert.match(again[0], /^\[exercise 9\.9\] FAIL/);
    assert.match(again[1], /^\[exercise 9\.9\] note: wrong is the same as at your last check of 9\.9\. If you changed its cell since, that cell did not compile/);
    // The cell compiled: a new function object (even with the same text) gets no note.
    assert.deepEqual(printed(() => fails(() => 2)).length, 1);
    assert.deepEqual(printed(() => fails(() => 1)), ["[exercise 9.9] PASS: returns 1"]);
  });

  it("an object of functions (several pieces checked at once) is compared function by function", () => {
    const sample = () => 1;
    const stem = () => 1;
    const run = (pieces: { sample: () => number; stem: () => number }) => nb.check("9.7", "pieces", () => nb.expectEqual("sum", 2, pieces.sample() + pieces.stem()), pieces);
    assert.equal(printed(() => run({ sample, stem })).length, 1);
    assert.match(printed(() => run({ sample, stem }))[1], /note: sample, stem are the same as at your last check of 9\.7/);
    assert.equal(printed(() => run({ sample, stem: () => 1 })).length, 1);
  });
});

describe("notebook builder", () => {
  const source = [
    "# T",
    "",
    "```ts",
    'import { kitSetup } from "../dist/notebook";',
    "kitSetup();",
    "```",
    "text",
    "+++",
    "more text",
    "```ts exercise",
    "function f(): number {",
    "  // BEGIN SOLUTION",
    "  return 1;",
    "  // STUB",
    '  return todo("9.1");',
    "  // END SOLUTION",
    "}",
    "```",
    "```ts check",
    "check9(f);",
    "```",
  ].join("\n");

  it("splits cells, keeps tags and source lines, renders both versions", () => {
    const cells = parseSource(source, "x.md");
    assert.deepEqual(cells.map((c) => [c.kind, c.tags.join(","), c.line]), [["markdown", "", 1], ["code", "", 3], ["markdown", "", 7], ["markdown", "", 9], ["code", "exercise", 10], ["code", "check", 19]]);
    validate(cells, "x.md");
    assert.equal(renderCode(cells[4], "learner", "x.md"), 'function f(): number {\n  return todo("9.1");\n}');
    assert.equal(renderCode(cells[4], "solved", "x.md"), "function f(): number {\n  return 1;\n}");
    assert.equal(renderCode(cells[1], "solved", "x.md"), 'import { kitSetup } from "../../dist/notebook";\nkitSetup();');
    const learner = JSON.parse(buildNotebook(cells, "learner", "notebooks/source/x.md"));
    assert.equal(learner.metadata.kernelspec.name, "tslab");
    assert.ok(learner.cells.every((c: { outputs?: unknown[] }) => !c.outputs || c.outputs.length === 0));
    // The dist/ check comes right before the first code cell, at each version's depth.
    const text = (c: { source: string[] }) => c.source.join("");
    assert.deepEqual(learner.cells.map((c: { id: string }) => c.id), ["c000", "dist-ready", "c001", "c002", "c003", "c004", "c005"]);
    assert.match(text(learner.cells[1]), /^\/\/ Checks dist\/.*\nimport "\.\.\/scripts\/notebooks\/dist_ready";$/);
    const solved = JSON.parse(buildNotebook(cells, "solved", "notebooks/source/x.md"));
    assert.deepEqual(solved.cells.slice(0, 3).map((c: { id: string }) => c.id), ["solved", "c000", "dist-ready"]);
    assert.match(text(solved.cells[2]), /import "\.\.\/\.\.\/scripts\/notebooks\/dist_ready";$/);
  });

  it("rejects broken markers and structure with the file and line", () => {
    const bad = (text: string, pattern: RegExp) => {
      assert.throws(() => {
        const cells = parseSource(text, "y.md");
        validate(cells, "y.md");
        cells.forEach((c) => c.kind === "code" && renderCode(c, "learner", "y.md"));
      }, (e: Error) => e instanceof SourceError && pattern.test(e.message));
    };
    bad(source.replace('  return todo("9.1");', "  return 0;"), /y\.md:16: the stub must call todo/);
    bad(source.replace("  // STUB\n", ""), /no \/\/ STUB section/);
    bad(source.replace("```ts check", "```ts"), /y\.md:10: the code cell after an exercise must be its checker/);
    bad(source.replace("```ts exercise", "```ts"), /must be tagged exercise/);
    bad(source.replace("kitSetup();", ""), /first code cell must call kitSetup/);
    bad(source.replace("  // END SOLUTION\n", ""), /not closed with \/\/ END SOLUTION/);
  });

  it("the committed notebooks match their sources (drift check)", () => {
    assert.deepEqual(drift(generateAll()), []);
  });
});

describe("plots and probes", () => {
  it("a figure is a div plus a script, with '</' escaped in its data", () => {
    const html = nb.figureHtml([{ type: "scatter", name: "</script><b>", x: [0], y: [1] }], { width: 100, height: 100 });
    assert.match(html, /<div id="sf-plot-[\d-]+" class="sf-plot"/);
    assert.match(html, /Plotly\.newPlot/);
    assert.equal(html.match(/<\/script>/g)?.length, 1);
    assert.match(nb.plotlyBundleHtml(), /^<script type="text\/javascript">[\s\S]*window\.Plotly = Plotly/);
  });

  it("encodes PNG frames that decode back to the same pixels", () => {
    const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 10);
    const png = nb.encodePng(rgb, 3, 2);
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from("PNG")]);
    const idat = png.indexOf("IDAT");
    const raw = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
    assert.deepEqual([...raw], [0, ...rgb.subarray(0, 9), 0, ...rgb.subarray(9)]);
  });

  it("a probe with the wrong expected shape throws the library's ShapeError", () => {
    assert.throws(() => quiet(() => nb.probe("conv1", [1, 4, 112, 112, 64], [1, 2, 112, 112, 64])), ShapeError);
  });

  it("a probe prints one line and returns nothing (tslab would print a returned shape again)", () => {
    const lines = printed(() => nb.probe("conv1", [1, 4, 112, 112, 64], [1, 4, 112, 112, 64]));
    assert.deepEqual(lines, ["conv1                        [1, 4, 112, 112, 64]   (C x T x H x W: 64 x 4 x 112 x 112)   ok"]);
  });

  it("plot helpers return nothing; their ...Html twins return the figure", () => {
    const z = [[0, 1], [1, 0]];
    let shown: unknown[] = [];
    printed(() => {
      shown = [
        nb.lineChart([{ name: "a", x: [0, 1], y: [1, 2] }]),
        nb.heatmap(z),
        nb.heatmapGrid([{ z, title: "t" }]),
        nb.imageGrid([{ src: "data:,", width: 2, height: 2, title: "t" }]),
        nb.barChart(["a"], [{ name: "s", y: [1] }]),
        nb.showTable(["a"], [[1]]),
        nb.caption("c"),
      ];
    });
    assert.deepEqual(shown, [undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    for (const html of [nb.lineChartHtml([{ name: "a", x: [0], y: [1] }]), nb.heatmapHtml(z), nb.heatmapGridHtml([{ z, title: "t" }]), nb.imageGridHtml([{ src: "data:,", width: 2, height: 2, title: "t" }]), nb.barChartHtml(["a"], [{ name: "s", y: [1] }])]) {
      assert.match(html, /^<div id="sf-plot-[\d-]+" class="sf-plot"[\s\S]*Plotly\.newPlot/);
    }
  });

  it("the synthetic clip has the frame number drawn in white on black", () => {
    const clip = nb.syntheticClip(4, 32);
    assert.equal(clip.rgb.length, 4 * 32 * 32 * 3);
    assert.ok(clip.rgb.includes(255));
  });
});

describe("the learner's working copy (npm run lab opens work/, not notebooks/)", () => {
  const nbJson = (code: string, outputs: unknown[] = []) =>
    JSON.stringify({ cells: [{ cell_type: "code", source: [code], outputs, metadata: {}, execution_count: outputs.length ? 1 : null }], metadata: {}, nbformat: 4, nbformat_minor: 5 });

  it("copies missing notebooks at the same depth, replaces a copy that was only run, never one the learner edited", () => {
    const root = mkdtempSync(join(tmpdir(), "slowfast-work-"));
    try {
      const from = join(root, "notebooks");
      const to = join(root, "work");
      mkdirSync(join(from, "solutions"), { recursive: true });
      writeFileSync(join(from, "01_a.ipynb"), nbJson('import "../dist/model";'));
      writeFileSync(join(from, "02_b.ipynb"), nbJson("v1"));
      writeFileSync(join(from, "solutions", "01_a.ipynb"), nbJson('import "../../dist/model";'));
      assert.match(syncWorkCopy(from, to).join("\n"), /3 notebooks copied from/);
      assert.equal(readFileSync(join(to, "solutions", "01_a.ipynb"), "utf8"), readFileSync(join(from, "solutions", "01_a.ipynb"), "utf8"));
      assert.deepEqual(syncWorkCopy(from, to), [], "nothing changed, nothing to say");
      // The learner runs 01 (outputs only) and edits 02; then both committed notebooks change.
      writeFileSync(join(to, "01_a.ipynb"), nbJson('import "../dist/model";', [{ output_type: "stream", name: "stdout", text: "ran" }]));
      writeFileSync(join(to, "02_b.ipynb"), nbJson("my answer"));
      writeFileSync(join(from, "01_a.ipynb"), nbJson('import "../dist/model"; // v2'));
      writeFileSync(join(from, "02_b.ipynb"), nbJson("v2"));
      const lines = syncWorkCopy(from, to);
      assert.equal(lines.length, 2, lines.join("\n"));
      assert.match(lines[0], /01_a\.ipynb: replaced by the new .*01_a\.ipynb \(you had not edited its cells\)/);
      assert.match(lines[1], /02_b\.ipynb: kept \(you edited it\); .*02_b\.ipynb has changed since it was copied/);
      assert.match(readFileSync(join(to, "01_a.ipynb"), "utf8"), /v2/);
      assert.match(readFileSync(join(to, "02_b.ipynb"), "utf8"), /my answer/);
      // A copy the manifest does not know (made by hand) is never touched.
      writeFileSync(join(to, ".copies.json"), "{}");
      writeFileSync(join(from, "02_b.ipynb"), nbJson("v3"));
      assert.deepEqual(syncWorkCopy(from, to), []);
      assert.match(readFileSync(join(to, "02_b.ipynb"), "utf8"), /my answer/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("work/ is gitignored", () => {
    assert.match(readFileSync(join(__dirname, "..", ".gitignore"), "utf8"), /^work\/$/m);
  });
});

describe("kit setup", () => {
  it("the notebooks' dist/ check: one line naming `npm run build` when dist/ is missing, one warning when stale", () => {
    const root = mkdtempSync(join(tmpdir(), "slowfast-ready-"));
    try {
      mkdirSync(join(root, "scripts", "notebooks"), { recursive: true });
      copyFileSync(join(__dirname, "..", "scripts", "notebooks", "dist_ready.js"), join(root, "scripts", "notebooks", "dist_ready.js"));
      const load = () => spawnSync(process.execPath, ["-e", `require(${JSON.stringify(join(root, "scripts", "notebooks", "dist_ready.js"))})`], { encoding: "utf8" });
      const missing = load();
      assert.notEqual(missing.status, 0);
      assert.match(missing.stderr, /dist\/ is not built \(the notebooks import the library compiled from src\/\): run `npm run build` in /);
      mkdirSync(join(root, "dist", "notebook"), { recursive: true });
      writeFileSync(join(root, "dist", "notebook", "index.js"), "");
      writeFileSync(join(root, "dist", "notebook", "setup.js"), "exports.staleDistFiles = () => ['src/model/stem.ts'];");
      const stale = load();
      assert.equal(stale.status, 0, stale.stderr);
      assert.equal(stale.stdout, "WARNING: dist/ is older than src/model/stem.ts: run `npm run build` (`npm run lab` rebuilds on every save), then restart the kernel.\n");
      writeFileSync(join(root, "dist", "notebook", "setup.js"), "exports.staleDistFiles = () => [];");
      assert.deepEqual([load().status, load().stdout], [0, ""]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("names the src/ files edited after their dist/ build (the stale-dist warning)", () => {
    const root = mkdtempSync(join(tmpdir(), "slowfast-stale-"));
    try {
      for (const dir of ["src/model", "dist/model"]) mkdirSync(join(root, dir), { recursive: true });
      const file = (path: string, mtime: number) => {
        writeFileSync(join(root, path), "");
        utimesSync(join(root, path), mtime, mtime);
      };
      file("src/model/stem.ts", 2000);
      file("dist/model/stem.js", 1000); // built before the edit
      file("src/model/shape.ts", 1000);
      file("dist/model/shape.js", 2000); // up to date
      assert.deepEqual(nb.staleDistFiles(root), [join("src", "model", "stem.ts")]);
      // Saved unchanged after a build: tsc leaves stem.js alone, the build stamp says it is current.
      file("dist/.build-stamp", 3000);
      assert.deepEqual(nb.staleDistFiles(root), []);
      file("src/model/shape.ts", 4000);
      assert.deepEqual(nb.staleDistFiles(root), [join("src", "model", "shape.ts")]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
