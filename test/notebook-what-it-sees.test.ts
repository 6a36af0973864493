// Notebooks 10 and 11: Grad-CAM per pathway, its exercise checkers (each against three or more
// plausible wrong answers), the heat overlay, the filter-tap motion measure, and the experiment list
// (every run differs from the baseline in its own knob only). No training here: the notebooks run it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tf } from "../src/backend";
import { presetConfig, SlowFast, type SlowFastConfig } from "../src/model";
import * as nb from "../src/notebook";
import { expectVerdict } from "./checker-helpers";
import { assertNoLeak } from "./helpers";

type Wrong<F> = [why: string, fn: F, ...fragments: string[]];

function holds<F>(id: string, verdict: (fn: F) => nb.CheckResult, right: F, wrongs: Wrong<F>[]): void {
  assert.ok(wrongs.length >= 3, `${id}: at least three wrong answers`);
  const before = tf.memory().numTensors;
  expectVerdict(verdict(right), "PASS");
  expectVerdict(verdict((() => nb.todo(id)) as F), "NOT DONE YET", `[exercise ${id}]`, `todo("${id}")`);
  for (const [why, fn, ...fragments] of wrongs) {
    const r = verdict(fn);
    assert.equal(r.verdict, "FAIL", `${id}, ${why}: ${r.message}`);
    for (const f of fragments) assert.ok(r.message.includes(f), `${id}, ${why}: "${r.message}" should mention "${f}"`);
  }
  assert.ok(tf.memory().numTensors - before <= 0, `${id}: the checker leaked ${tf.memory().numTensors - before} tensors`);
}

describe("notebook 11 checkers", () => {
  it("11.1 Grad-CAM: mean-gradient weights and a ReLU pass; four plausible mistakes fail", () => {
    type F = (a: tf.Tensor5D, g: tf.Tensor5D) => tf.Tensor3D;
    const weighted = (a: tf.Tensor5D, w: tf.Tensor) => tf.sum(tf.mul(a, w), 4).squeeze([0]) as tf.Tensor3D;
    holds<F>("11.1", nb.gradCamVerdict, (a, g) => tf.relu(weighted(a, tf.mean(g, [0, 1, 2, 3]))), [
      ["no ReLU: negative evidence kept", (a, g) => weighted(a, tf.mean(g, [0, 1, 2, 3])), "gradCam(features [1,4,2,2,16]", "max error"],
      ["sum of the gradients instead of their mean", (a, g) => tf.relu(weighted(a, tf.sum(g, [0, 1, 2, 3]))), "max error"],
      ["gradient x activation at each position, not averaged", (a, g) => tf.relu(weighted(a, g)), "max error"],
      ["only the positive weights kept (ReLU on the weights)", (a, g) => tf.relu(weighted(a, tf.relu(tf.mean(g, [0, 1, 2, 3])))), "max error"],
      ["mean over the channels: a [1, T, H, W] map", (a, g) => tf.relu(tf.sum(tf.mul(a, tf.mean(g, 4, true)), 4)) as unknown as tf.Tensor3D, "(shape)"],
    ]);
  });

  it("11.2 weights from the fc: fast rows first, divided by T*H*W; three plausible mistakes fail", () => {
    type F = (w: tf.Tensor2D, c: number, p: nb.PathwayName, cf: number, n: number) => tf.Tensor1D;
    const rows = (w: tf.Tensor2D, c: number, start: number, count: number) => w.slice([start, c], [count, 1]).reshape([count]) as tf.Tensor1D;
    holds<F>("11.2", nb.fcCamWeightsVerdict, (w, c, p, cf, n) => rows(w, c, p === "fast" ? 0 : cf, p === "fast" ? cf : w.shape[0] - cf).div(n) as tf.Tensor1D, [
      ["slow rows first (PySlowFast's concat order)", (w, c, p, cf, n) => { const cs = w.shape[0] - cf; return rows(w, c, p === "slow" ? 0 : cs, p === "slow" ? cs : cf).div(n) as tf.Tensor1D; }, 'class 2, "fast"', "max error"],
      ["not divided by the positions the pool averages over", (w, c, p, cf) => rows(w, c, p === "fast" ? 0 : cf, p === "fast" ? cf : w.shape[0] - cf), "max error"],
      ["always the first class's column", (w, _c, p, cf, n) => rows(w, 0, p === "fast" ? 0 : cf, p === "fast" ? cf : w.shape[0] - cf).div(n) as tf.Tensor1D, "class 2", "max error"],
      ["both pathways' rows", (w, c, _p, _cf, n) => rows(w, c, 0, w.shape[0]).div(n) as tf.Tensor1D, "(shape)"],
    ]);
  });
});

describe("Grad-CAM on a SlowFast (library)", () => {
  it("the res5 gradient is the same at every position, equals the fc weights / (T H W), and the shares add up to the logit", () => {
    const model = new SlowFast(presetConfig("slowfast_test"), 5);
    const clip = tf.randomNormal(model.inputShape(1), 0, 1, "float32", 3) as tf.Tensor5D;
    const fastC = model.plan(1).find((p) => p.name === "res5")!.fast![4];
    assertNoLeak("Grad-CAM", () => {
      const g = nb.res5Gradients(model, clip, 2);
      const logit = g.logits.dataSync()[2];
      let shares = model.head.bias.dataSync()[2];
      for (const p of ["slow", "fast"] as const) {
        const { features, grads } = g[p]!;
        assert.deepEqual(features.shape, grads.shape);
        const [, t, h, w] = features.shape;
        const spread = tf.tidy(() => tf.max(tf.sub(tf.max(grads, [0, 1, 2, 3]), tf.min(grads, [0, 1, 2, 3]))).dataSync()[0]);
        assert.ok(spread < 1e-9, `${p}: the gradient varies over positions by ${spread}`);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.mean(grads, [0, 1, 2, 3]), nb.fcCamWeights(model.head.weight as unknown as tf.Tensor2D, 2, p, fastC, t * h * w)))).dataSync()[0]);
        assert.ok(diff < 1e-9, `${p}: fc weights / THW differ from the gradient by ${diff}`);
        const cam = nb.gradCam(features, grads);
        assert.deepEqual(cam.shape, [t, h, w]);
        assert.ok(tf.tidy(() => cam.min().dataSync()[0]) >= 0);
        const up = nb.upsampleCam(cam, 32);
        assert.deepEqual(up.shape, [t, 32, 32]);
        tf.dispose([cam, up]);
        shares += nb.logitShare(features, grads);
      }
      assert.ok(Math.abs(shares - logit) < 1e-4 * Math.max(1, Math.abs(logit)), `shares ${shares} vs logit ${logit}`);
      nb.disposeGradients(g);
    });
    assert.throws(() => nb.res5Gradients(model, clip, 5), /class index must be an integer in 0..4, got 5/);
    clip.dispose();
    model.dispose();
  });

  it("bad input: a batch of two clips is refused naming the expected shape", () => {
    const model = new SlowFast(presetConfig("slowfast_test"));
    const clips = tf.zeros(model.inputShape(2)) as tf.Tensor5D;
    assert.throws(() => nb.res5Gradients(model, clips, 0), /Grad-CAM: expected a batch of one clip \[1, 8, 32, 32, 3\], got \[2, 8, 32, 32, 3\]/);
    clips.dispose();
    model.dispose();
  });
});

describe("heat overlay and filter taps", () => {
  it("overlay: no heat leaves the frame as it is, full heat blends in the ramp's top colour, sizes must match", () => {
    const frame = Uint8Array.from([10, 20, 30, 200, 100, 50]);
    assert.deepEqual(nb.overlayRgb(frame, [0, 0], 1), frame);
    assert.deepEqual(nb.overlayRgb(frame, [5, 5], 0), frame);
    const hot = nb.overlayRgb(frame, [0, 2], 2, 1);
    assert.deepEqual([...hot.subarray(3)], nb.heatColour(1));
    assert.deepEqual(nb.heatColour(1), [255, 255, 0]);
    assert.throws(() => nb.overlayRgb(frame, [0], 1), /overlay: a frame of 2 pixels and a heat map of 1/);
  });

  it("tap shifts: a pattern moving right by 1 pixel per tap is found as (0, +1), 'right'", () => {
    const [kt, kh, kw, cout] = [5, 7, 7, 2];
    const values = new Float32Array(kt * kh * kw * 3 * cout);
    const pattern = (y: number, x: number, c: number) => Math.sin(1.3 * y + 0.7 * x * x + c);
    for (let t = 0; t < kt; t++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < 3; c++) {
      values[(((t * kh + y) * kw + x) * 3 + c) * cout + 0] = pattern(y, x - t, c); // moves right
      values[(((t * kh + y) * kw + x) * 3 + c) * cout + 1] = pattern(y + 2 * t, x, c); // moves up by 2
    }
    const shifts = nb.tapShifts({ values, shape: [kt, kh, kw, 3, cout] });
    assert.deepEqual(shifts.map((s) => [s.dy, s.dx]), [[0, 1], [-2, 0]]);
    assert.ok(shifts.every((s) => s.correlation > 0.999));
    assert.deepEqual(shifts.map((s) => nb.motionName(s.dy, s.dx)), ["right", "up"]);
    assert.equal(nb.filterTapPanels({ values, shape: [kt, kh, kw, 3, cout] }, [1], (f, t) => `${f}/${t}`).length, kt);
    assert.throws(() => nb.tapShifts({ values, shape: [kt, kh, kw, 1, cout] }), /expected weights \[kT, kH, kW, 3, Cout\]/);
  });
});

describe("notebook 11: finding a trained run", () => {
  it("a run fits only with both pathways, a temporal fast conv1 and the classes asked for; others are passed over with the reason", async () => {
    const meta = (overrides: Partial<SlowFastConfig>, classes = ["MoveLeft", "MoveRight"]) => ({ config: presetConfig("slowfast_tiny", overrides), epoch: 1, step: 1, classes });
    assert.equal(nb.trainedRunProblem(meta({}), ["MoveLeft", "MoveRight"]), null);
    assert.match(nb.trainedRunProblem(meta({ pathways: "slow_only" }), ["MoveLeft"])!, /pathways slow_only; both pathways are needed/);
    assert.match(nb.trainedRunProblem(meta({}, ["MoveUp", "MoveLeft"]), ["MoveLeft", "MoveRight"])!, /lack MoveRight/);
    const found = await nb.findTrainedRun(["/nonexistent/best.ckpt"], ["MoveLeft"]);
    assert.equal(found.file, undefined);
    assert.deepEqual(found.skipped, ["/nonexistent/best.ckpt: not there"]);
  });
});

describe("notebook 10 experiments", () => {
  it("every run builds, ids are unique, and each differs from the baseline in its own knob only", () => {
    const ids = nb.EXPERIMENTS.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    const baseline = nb.experimentConfig(nb.EXPERIMENTS[0], nb.EXPERIMENT_BUDGET);
    const field: Record<string, (keyof typeof baseline)[]> = { baseline: [], alpha: ["alpha"], beta: ["betaInv"], lateral: ["lateral"], pathways: ["pathways"] };
    for (const e of nb.EXPERIMENTS) {
      const c = nb.experimentConfig(e, nb.EXPERIMENT_BUDGET);
      const changed = (Object.keys(c) as (keyof typeof c)[]).filter((k) => JSON.stringify(c[k]) !== JSON.stringify(baseline[k]));
      assert.deepEqual(changed, field[e.knob], `${e.id} changes ${changed.join(", ")}`);
      const m = new SlowFast(c);
      assert.ok(m.paramCounts().total > 0);
      m.dispose();
    }
    assert.deepEqual(nb.experimentsOf("lateral").map((e) => e.label), ["baseline", "time_to_channel", "time_strided_sample", "none"]);
    assert.deepEqual(nb.experimentsOf("alpha").map((e) => nb.experimentConfig(e, nb.SHORT_BUDGET).alpha), [4, 1, 2]);
  });

  it("assertSameBudget: runs with other steps or test videos are named", () => {
    const r = (label: string, steps: number) => ({ experiment: { ...nb.EXPERIMENTS[0], label }, steps, trainClips: 240, testVideos: 112 }) as nb.ExperimentResult;
    nb.assertSameBudget([r("a", 180), r("b", 180)]);
    assert.throws(() => nb.assertSameBudget([r("a", 180), r("b", 150)]), /"b" ran 150 steps on 240 clips.*"a" 180 \/ 240 \/ 112: the comparison is not fair/);
  });
});
