// Checkers of notebooks 03-06 and 08 (laterals, residual stages, head, whole model, training step): the library's answer
// passes, the stub is NOT DONE YET, and a plausible wrong answer FAILs with a message naming the
// difference.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tf } from "../src/backend";
import { conv3dFolded, conv3dTorch, ParamStore, presetConfig, ResidualBlock, SlowFast, type SlowFastConfig } from "../src/model";
import * as nb from "../src/notebook";
import { crossEntropy } from "../src/train/loss";
import type { FlatOptimizer } from "../src/train/optimizer";
import { SMALL_RUN } from "../src/train/recipe";

import { expectVerdict, quiet } from "./checker-helpers";

describe("notebook 03 checkers (laterals)", () => {
  it("3.1 time-strided conv: PyTorch padding passes, stride 1 and tf 'same' padding fail", () => {
    const before = tf.memory().numTensors;
    const right = (fast: tf.Tensor5D, w: tf.Tensor5D, alpha: number) => conv3dTorch(fast, w, [alpha, 1, 1], [(w.shape[0] - 1) / 2, 0, 0]);
    expectVerdict(quiet(() => nb.checkTimeStridedConv(right)), "PASS");
    expectVerdict(quiet(() => nb.checkTimeStridedConv(() => nb.todo("3.1"))), "NOT DONE YET", "[exercise 3.1]");
    const strideOne = (fast: tf.Tensor5D, w: tf.Tensor5D) => conv3dTorch(fast, w, [1, 1, 1], [(w.shape[0] - 1) / 2, 0, 0]);
    expectVerdict(quiet(() => nb.checkTimeStridedConv(strideOne)), "FAIL", "(shape)", "axis 1: T (time)", "expected 4, got 32");
    const same = (fast: tf.Tensor5D, w: tf.Tensor5D, alpha: number) => tf.conv3d(fast, w, [alpha, 1, 1], "same");
    expectVerdict(quiet(() => nb.checkTimeStridedConv(same)), "FAIL", "fast [1,32,4,4,8], alpha 8, kernel (5,1,1)", "max error");
    assert.ok(tf.memory().numTensors - before <= 2, `checker leaked ${tf.memory().numTensors - before} tensors`);
  });

  it("3.2 time-to-channel: frame-major stacking passes, a reshape without transpose fails", () => {
    const right = (fast: tf.Tensor5D, alpha: number) => nb.libraryLateral(fast, "time_to_channel", alpha);
    expectVerdict(quiet(() => nb.checkTimeToChannel(right)), "PASS");
    expectVerdict(quiet(() => nb.checkTimeToChannel(() => nb.todo("3.2"))), "NOT DONE YET");
    const noTranspose = (fast: tf.Tensor5D, alpha: number) => {
      const [n, t, h, w, c] = fast.shape;
      return fast.reshape([n, t / alpha, h, w, alpha * c]) as tf.Tensor5D;
    };
    expectVerdict(quiet(() => nb.checkTimeToChannel(noTranspose)), "FAIL", "timeToChannel(fast [1,32,3,3,8], alpha 8)", "max error");
    const sample = (fast: tf.Tensor5D, alpha: number) => nb.libraryLateral(fast, "time_strided_sample", alpha);
    expectVerdict(quiet(() => nb.checkTimeToChannel(sample)), "FAIL", "axis 4: C (channels)", "expected 64, got 8");
  });

  it("3.3 slow stage inputs: the library's rule passes, forgetting the lateral's 2x fails", () => {
    assert.deepEqual(nb.slowStageInputsFromLibrary(64, 8, 8, "time_strided_conv"), [80, 320, 640, 1280]);
    assert.deepEqual(nb.slowStageInputsFromLibrary(64, 8, 8, "time_to_channel"), [128, 512, 1024, 2048]);
    assert.deepEqual(nb.slowStageInputsFromLibrary(64, 8, 8, "time_strided_sample"), [72, 288, 576, 1152]);
    expectVerdict(quiet(() => nb.checkSlowStageInputs(nb.slowStageInputsFromLibrary)), "PASS");
    expectVerdict(quiet(() => nb.checkSlowStageInputs(() => nb.todo("3.3"))), "NOT DONE YET");
    const noDoubling = (width: number, betaInv: number) => [1, 4, 8, 16].map((m) => m * width + m * (width / betaInv));
    expectVerdict(quiet(() => nb.checkSlowStageInputs(noDoubling)), "FAIL", 'inputs(width 64, betaInv 8, alpha 8, "time_strided_conv")', "expected [80, 320, 640, 1280], got [72, 288, 576, 1152]");
  });
});

describe("notebook 04 checkers (residual stages)", () => {
  type P = nb.ConvBnWeights;
  const convBn = (x: tf.Tensor5D, p: P, stride: [number, number, number], relu: boolean, padded = true) =>
    tf.tidy(() => {
      const pad = p.weight.shape.slice(0, 3).map((k) => (padded ? (k - 1) / 2 : 0)) as [number, number, number];
      const y = conv3dFolded(x, p.weight, stride, pad);
      const out = tf.add(tf.mul(tf.sub(y, p.mean), tf.div(p.gamma, tf.sqrt(tf.add(p.variance, p.eps)))), p.beta);
      return (relu ? tf.relu(out) : out) as tf.Tensor5D;
    });
  const bottleneck = (x: tf.Tensor5D, w: nb.BottleneckWeights, opts: { finalRelu?: boolean; strideOnConv1?: boolean } = {}) =>
    tf.tidy(() => {
      const s: [number, number, number] = [1, w.stride, w.stride];
      const one: [number, number, number] = [1, 1, 1];
      const h1 = convBn(x, w.conv1, opts.strideOnConv1 ? s : one, true);
      const h2 = convBn(h1, w.conv2, opts.strideOnConv1 ? one : s, true);
      const h3 = convBn(h2, w.conv3, one, false);
      const sum = tf.add(h3, w.downsample ? convBn(x, w.downsample, s, false) : x);
      return (opts.finalRelu === false ? sum : tf.relu(sum)) as tf.Tensor5D;
    });

  it("4.1 conv + BN: PyTorch padding passes, no padding and a missing mean fail", () => {
    const before = tf.memory().numTensors;
    expectVerdict(quiet(() => nb.checkConvBn(convBn)), "PASS");
    expectVerdict(quiet(() => nb.checkConvBn(() => nb.todo("4.1"))), "NOT DONE YET", "[exercise 4.1]");
    expectVerdict(quiet(() => nb.checkConvBn((x, p, s, r) => convBn(x, p, s, r, false))), "FAIL", "conv1 for input [1,4,9,8,20]", "axis 1: T (time)", "expected 4, got 2");
    const noMean = (x: tf.Tensor5D, p: P, s: [number, number, number], r: boolean) => convBn(x, { ...p, mean: tf.zerosLike(p.mean) }, s, r);
    expectVerdict(quiet(() => nb.checkConvBn(noMean)), "FAIL", "max error");
    assert.ok(tf.memory().numTensors - before <= 8, `checker leaked ${tf.memory().numTensors - before} tensors`);
  });

  it("4.2 bottleneck: the block passes, a missing final ReLU or the stride on conv1 fails", () => {
    expectVerdict(quiet(() => nb.checkBottleneck((x, w) => bottleneck(x, w))), "PASS");
    expectVerdict(quiet(() => nb.checkBottleneck(() => nb.todo("4.2"))), "NOT DONE YET");
    expectVerdict(quiet(() => nb.checkBottleneck((x, w) => bottleneck(x, w, { finalRelu: false }))), "FAIL", "bottleneck for input [1,4,9,8,20], 20 -> 32 channels, stride 2, inflated", "max error");
    expectVerdict(quiet(() => nb.checkBottleneck((x, w) => bottleneck(x, w, { strideOnConv1: true }))), "FAIL", "stride 2", "max error");
  });

  it("the exercise weights are the library block's own tensors", () => {
    const store = new ParamStore(0);
    const block = new ResidualBlock(store.scope("b"), { kind: "bottleneck", inplanes: 8, planes: 4, spatialStride: 2, inflate: true, norm: { eps: 1e-5, momentum: 0.1 }, zeroInitResidual: true });
    const w = nb.bottleneckWeights(block);
    assert.deepEqual(w.conv1.weight.shape, [3, 1, 1, 8, 4]);
    assert.equal(w.stride, 2);
    assert.ok(w.downsample);
    assert.equal(w.conv3.gamma.max().dataSync()[0], 0);
    nb.randomizeBatchNorm(block, 1);
    assert.ok(w.conv3.gamma.min().dataSync()[0] >= 0.5);
    store.dispose();
  });
});

describe("notebook 05 checkers (head)", () => {
  it("5.1 head logits: fast-then-slow passes, slow-then-fast and max pooling fail", () => {
    const before = tf.memory().numTensors;
    const head = (order: "fast_slow" | "slow_fast", pool: "mean" | "max" = "mean") => (slow: tf.Tensor5D, fast: tf.Tensor5D, w: tf.Tensor2D, b: tf.Tensor1D) =>
      tf.tidy(() => {
        const p = (x: tf.Tensor5D) => (pool === "mean" ? tf.mean(x, [1, 2, 3]) : tf.max(x, [1, 2, 3]));
        const parts = order === "fast_slow" ? [p(fast), p(slow)] : [p(slow), p(fast)];
        return tf.add(tf.matMul(tf.concat(parts, 1) as tf.Tensor2D, w), b) as tf.Tensor2D;
      });
    expectVerdict(quiet(() => nb.checkHeadLogits(head("fast_slow"))), "PASS");
    expectVerdict(quiet(() => nb.checkHeadLogits(() => nb.todo("5.1"))), "NOT DONE YET", "[exercise 5.1]");
    expectVerdict(quiet(() => nb.checkHeadLogits(head("slow_fast"))), "FAIL", "logits for slow [2,2,3,3,16], fast [2,8,3,3,4], 5 classes", "max error");
    expectVerdict(quiet(() => nb.checkHeadLogits(head("fast_slow", "max"))), "FAIL", "max error");
    assert.ok(tf.memory().numTensors - before <= 2, `checker leaked ${tf.memory().numTensors - before} tensors`);
  });

  it("5.2 weight reorder: moving the fast block first passes, splitting at the fast width fails", () => {
    const right = (w: tf.Tensor2D, s: number) => nb.reorderedWeight(w, s);
    expectVerdict(quiet(() => nb.checkReorderWeight(right)), "PASS");
    expectVerdict(quiet(() => nb.checkReorderWeight(() => nb.todo("5.2"))), "NOT DONE YET");
    expectVerdict(quiet(() => nb.checkReorderWeight((w, _s, f) => nb.reorderedWeight(w, f))), "FAIL", "reorder(weight [20, 5], 16, 4)", "max error");
    expectVerdict(quiet(() => nb.checkReorderWeight((w) => w)), "FAIL", "max error");
    // The slow-then-fast head with W equals the fast-then-slow head with the reordered W.
    const slow = tf.randomNormal([1, 2, 2, 2, 6]) as tf.Tensor5D;
    const fast = tf.randomNormal([1, 4, 2, 2, 2]) as tf.Tensor5D;
    const w = tf.randomNormal([8, 3]) as tf.Tensor2D;
    const b = tf.zeros([3]) as tf.Tensor1D;
    const w2 = nb.reorderedWeight(w, 6);
    const a = nb.libraryHeadLogits(slow, fast, w, b, "slow_fast");
    const c = nb.libraryHeadLogits(slow, fast, w2, b, "fast_slow");
    assert.ok(tf.abs(tf.sub(a, c)).max().dataSync()[0] < 1e-5);
    tf.dispose([slow, fast, w, b, w2, a, c]);
  });
});

describe("notebook 06 checkers and helpers (whole model)", () => {
  function predictParams(cfg: SlowFastConfig, forgetLaterals = false): number {
    const convBn = (k: readonly number[], cin: number, cout: number) => k[0] * k[1] * k[2] * cin * cout + 2 * cout;
    // One stage of bottleneck blocks: (kt,1,1) -> (1,3,3) -> (1,1,1) x4, projection on the first block.
    const stage = (cin: number, planes: number, blocks: number, stride: number, inflate: boolean) => {
      let total = 0;
      for (let b = 0; b < blocks; b++) {
        const inC = b === 0 ? cin : 4 * planes;
        total += convBn([inflate ? 3 : 1, 1, 1], inC, planes) + convBn([1, 3, 3], planes, planes) + convBn([1, 1, 1], planes, 4 * planes);
        if (b === 0 && (stride !== 1 || inC !== 4 * planes)) total += convBn([1, 1, 1], inC, 4 * planes);
      }
      return total;
    };
    const { kind, kernelT } = cfg.lateral;
    const lateralOut = (c: number) => (kind === "time_strided_conv" ? 2 * c : kind === "time_to_channel" ? cfg.alpha * c : c);
    const lateralParams = (c: number) => (kind === "time_strided_conv" ? kernelT * c * 2 * c : 0);
    const fastWidth = cfg.width / cfg.betaInv;
    let slowC = cfg.width;
    let fastC = fastWidth;
    let total = convBn(cfg.slow.conv1Kernel, 3, slowC) + convBn(cfg.fast.conv1Kernel, 3, fastC);
    for (let i = 0; i < 4; i++) {
      // the lateral before stage i (after conv1, res2, res3, res4) widens the slow input
      total += lateralParams(fastC);
      if (!forgetLaterals) slowC += lateralOut(fastC);
      const slowPlanes = cfg.width * 2 ** i;
      const fastPlanes = fastWidth * 2 ** i;
      total += stage(slowC, slowPlanes, cfg.stageBlocks[i], cfg.spatialStrides[i], cfg.slow.inflate[i] === 1);
      total += stage(fastC, fastPlanes, cfg.stageBlocks[i], cfg.spatialStrides[i], cfg.fast.inflate[i] === 1);
      slowC = 4 * slowPlanes;
      fastC = 4 * fastPlanes;
    }
    return total + (slowC + fastC) * cfg.numClasses + cfg.numClasses;
  }

  it("6.1 predict params: the arithmetic passes, forgetting the lateral channels fails", () => {
    expectVerdict(quiet(() => nb.checkPredictParams((c) => predictParams(c))), "PASS");
    expectVerdict(quiet(() => nb.checkPredictParams(() => nb.todo("6.1"))), "NOT DONE YET", "[exercise 6.1]");
    const r = quiet(() => nb.checkPredictParams((c) => predictParams(c, true)));
    expectVerdict(r, "FAIL", "parameters of slowfast_r50_4x16x1", "expected 34479288");
    expectVerdict(quiet(() => nb.checkPredictParams((c) => predictParams(c) - 2 * c.numClasses + c.numClasses)), "FAIL", "expected 34479288, got 34478888");
  });

  it("the checker's R50 constants are what the library builds", () => {
    for (const [name, count] of Object.entries(nb.R50_PARAMS)) assert.equal(nb.paramsFromLibrary(presetConfig(name)), count, name);
  });

  it("stepCosts adds up to the model's parameters and multiply-adds, split by pathway", () => {
    const model = new SlowFast(presetConfig("slowfast_test"));
    try {
      const rows = nb.stepCosts(model);
      assert.deepEqual(rows.map((r) => r.name), ["conv1", "maxpool", "fuse_conv1", "res2", "fuse_res2", "res3", "fuse_res3", "res4", "fuse_res4", "res5", "head"]);
      const sum = (f: (r: nb.StepCost) => number) => rows.reduce((a, r) => a + f(r), 0);
      const counts = model.paramCounts();
      assert.equal(sum((r) => r.fastParams), counts.fast);
      assert.equal(sum((r) => r.lateralParams), counts.laterals);
      assert.equal(sum((r) => r.slowParams + r.lateralParams), counts.slow);
      assert.equal(sum((r) => r.headParams), counts.head);
      assert.equal(sum((r) => r.slowMacs + r.fastMacs + r.lateralMacs + r.headMacs), model.plan().reduce((a, p) => a + p.macs, 0));
      assert.equal(rows[1].slowMacs + rows[1].fastMacs, 0, "max pool has no multiply-adds");
    } finally {
      model.dispose();
    }
  });

  it("barChart draws one bar trace per series and rejects a series of the wrong length", () => {
    const html = nb.barChartHtml(["a", "b"], [{ name: "x", y: [1, 2] }, { name: "y", y: [3, 4] }], { stacked: true });
    assert.equal(html.match(/"type":"bar"/g)?.length, 2);
    assert.match(html, /"barmode":"stack"/);
    assert.throws(() => nb.barChart(["a", "b"], [{ name: "x", y: [1] }]), /series "x" has 1 values for 2 categories/);
  });
});

describe("notebook 08 checkers (training step) and the study reader", () => {
  it("8.3 clip scale: PyTorch's formula passes; no epsilon, no condition or the inverse fails", () => {
    const right = (norm: number, max: number) => (norm > max ? max / (norm + 1e-6) : 1);
    expectVerdict(quiet(() => nb.checkClipScale(right)), "PASS");
    expectVerdict(quiet(() => nb.checkClipScale(() => nb.todo("8.3"))), "NOT DONE YET", "[exercise 8.3]");
    expectVerdict(quiet(() => nb.checkClipScale((n, m) => Math.min(1, m / n))), "FAIL", "clipScale(gradNorm 80, maxNorm 40)", "PyTorch divides by gradNorm + 1e-6");
    expectVerdict(quiet(() => nb.checkClipScale((n, m) => m / (n + 1e-6))), "FAIL", "clipScale(gradNorm 3.5, maxNorm 40)", "expected 1", "left alone");
    expectVerdict(quiet(() => nb.checkClipScale((n, m) => (n > m ? n / m : 1))), "FAIL", "expected 0.49999999", "got 2");
  });

  // The step as notebook 08's solution writes it, and plausible wrong versions of it.
  type Variant = { evalMode?: boolean; clip?: "pytorch" | "none" | "always" | "per_tensor"; clippedNorm?: boolean; decayIntoGradient?: boolean; leak?: boolean };
  const step = (v: Variant = {}) => (model: SlowFast, opt: FlatOptimizer, clips: tf.Tensor5D, labels: tf.Tensor1D, clipNorm: number) => {
    const body = () => {
      const variables = model.trainableVariables();
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(clips, { training: !v.evalMode }).logits, labels), variables);
      let gs = variables.map((w) => grads[w.name]);
      if (v.decayIntoGradient) gs = gs.map((g, i) => tf.add(g, tf.mul(variables[i], opt.config.weightDecay)));
      const gradNorm = tf.sqrt(tf.sum(tf.square(opt.flatten(gs)))).dataSync()[0];
      if (v.clip === "per_tensor") {
        gs = gs.map((g) => {
          const n = tf.norm(g).dataSync()[0];
          return n > clipNorm ? tf.mul(g, clipNorm / (n + 1e-6)) : g;
        });
      }
      const flat = opt.flatten(gs);
      const clip = v.clip ?? "pytorch";
      const scale = clip === "pytorch" ? (gradNorm > clipNorm ? clipNorm / (gradNorm + 1e-6) : 1) : clip === "always" ? clipNorm / (gradNorm + 1e-6) : 1;
      opt.update(flat, scale);
      return { loss: value.dataSync()[0], gradNorm: v.clippedNorm ? gradNorm * scale : gradNorm };
    };
    return v.leak ? body() : tf.tidy(body);
  };

  it("8.4 training step: the solution passes with no leak; the stub is NOT DONE YET", () => {
    const before = tf.memory().numTensors;
    expectVerdict(quiet(() => nb.checkTrainStep(step())), "PASS");
    assert.equal(tf.memory().numTensors, before, "the checker leaked tensors");
    expectVerdict(quiet(() => nb.checkTrainStep(() => nb.todo("8.4"))), "NOT DONE YET", "[exercise 8.4]");
    expectVerdict(quiet(() => nb.checkTrainStep(() => undefined as unknown as { loss: number; gradNorm: number })), "FAIL", "did you forget a return statement?");
    assert.equal(tf.memory().numTensors, before, "the checker leaked tensors on a failing step");
  });

  it("8.4 rejects no clipping, clipping every time, and per-tensor clipping, naming the parameter", () => {
    expectVerdict(quiet(() => nb.checkTrainStep(step({ clip: "none" }))), "FAIL", "after step 1 of SGD", "clipNorm 1 (the gradients get clipped)", 'parameter "', "differs from the library's");
    expectVerdict(quiet(() => nb.checkTrainStep(step({ clip: "always" }))), "FAIL", "after step 1 of SGD", "clipNorm 100 (no clipping)", 'parameter "');
    expectVerdict(quiet(() => nb.checkTrainStep(step({ clip: "per_tensor" }))), "FAIL", "clipNorm 1", 'parameter "');
  });

  it("8.4 rejects an eval-mode forward, the norm after clipping, decay folded in before clipping, and a leak", () => {
    expectVerdict(quiet(() => nb.checkTrainStep(step({ evalMode: true }))), "FAIL", "step 1 of SGD", "loss expected", "training: true");
    expectVerdict(quiet(() => nb.checkTrainStep(step({ clippedNorm: true }))), "FAIL", "step 1 of SGD", "gradNorm expected", "before clipping");
    expectVerdict(quiet(() => nb.checkTrainStep(step({ decayIntoGradient: true }))), "FAIL", "step 1 of SGD", "gradNorm expected", "raw gradients");
    expectVerdict(quiet(() => nb.checkTrainStep(step({ leak: true }))), "FAIL", "step 1 of SGD", "left", "tensor(s) in memory", "tf.tidy");
  });

  it("the study reader: missing, malformed and a real file, grouped by pathway with means and per-class recall", () => {
    const dir = mkdtempSync(join(tmpdir(), "nb08-study-"));
    try {
      const file = join(dir, "study.json");
      assert.deepEqual(nb.loadStudy(file), { status: "missing", path: file });
      writeFileSync(file, "{");
      assert.equal(nb.loadStudy(file).status, "invalid");
      writeFileSync(file, JSON.stringify({ runs: [{ pathways: "slow_fast", seed: 1, testTop1: 0.5 }] }));
      assert.deepEqual(nb.loadStudy(file), { status: "invalid", path: file, reason: "runs[0].pathways is missing or of the wrong type" });
      const classes = ["A", "B"];
      const run = (pathways: string, seed: number, testTop1: number, recall: number[]) => ({ pathways, seed, testTop1, valTop1: testTop1 - 0.1, bestEpoch: 3, seconds: 10, perClassRecall: recall, classes });
      const study = {
        command: "npm run study",
        createdAt: "2025-01-01T00:00:00Z",
        backend: "tensorflow",
        recipe: { ...SMALL_RUN },
        runs: [run("slow_only", 2, 0.5, [1, 0]), run("slowfast", 2, 0.75, [1, 0.5]), run("slowfast", 1, 0.25, [0, 0.5]), run("slow_only", 1, 0.5, [0, 1])],
      };
      writeFileSync(file, JSON.stringify(study));
      const r = nb.loadStudy(file);
      assert.equal(r.status, "ok");
      if (r.status !== "ok") return;
      const s = nb.summarizeStudy(r.study);
      assert.deepEqual(s.map((p) => p.pathways), ["slowfast", "slow_only"]);
      assert.deepEqual(s[0].seeds, [1, 2]);
      assert.deepEqual(s[0].testTop1, [0.25, 0.75]);
      assert.equal(s[0].meanTestTop1, 0.5);
      assert.deepEqual(s[0].meanRecall, [0.5, 0.5]);
      assert.deepEqual(s[1].meanRecall, [0.5, 0.5]);
      assert.deepEqual(nb.recipeDifferences(r.study.recipe, { ...SMALL_RUN }), []);
      assert.deepEqual(nb.recipeDifferences({ ...SMALL_RUN, epochs: 3 }, { ...SMALL_RUN, epochs: 4 }), ["epochs: 3 in the study vs 4 now"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
