// The notebook toolchain without a kernel: exercise checkers (each solution passes, each stub is
// "not done yet", a plausible wrong answer fails with a specific message), the notebook builder
// (markers, validation, drift against the committed notebooks), plots and shape probes.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { describe, it } from "node:test";
import { tf } from "../src/backend";
import { frameIndices, linspaceIndices, nearestIndices, ShapeError, type Shape5, type Triple, windowOut, windowShape } from "../src/model";
import * as nb from "../src/notebook";
import { buildNotebook, drift, generateAll, parseSource, renderCode, SourceError, validate } from "../scripts/notebooks/build";

import { expectVerdict, quiet } from "./checker-helpers";

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
    assert.deepEqual(quiet(() => nb.probe("conv1", [1, 4, 112, 112, 64], [1, 4, 112, 112, 64])), [1, 4, 112, 112, 64]);
  });

  it("the synthetic clip has the frame number drawn in white on black", () => {
    const clip = nb.syntheticClip(4, 32);
    assert.equal(clip.rgb.length, 4 * 32 * 32 * 3);
    assert.ok(clip.rgb.includes(255));
  });
});

describe("kit setup", () => {
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
