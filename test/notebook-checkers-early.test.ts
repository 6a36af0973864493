// Every exercise checker of notebooks 00-05 and 07 against at least three plausible wrong answers:
// each wrong answer FAILs with a message that names the case and the difference, the right answer
// PASSes, the stub is NOT DONE YET, and no checker leaks tensors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tf } from "../src/backend";
import { roundHalfEven, sampleFrames, type Rng } from "../src/data";
import { conv3dFolded, conv3dTorch, frameIndices, type LateralKind, linspaceIndices, nearestIndices, type Shape5, type Triple, windowOut, windowShape } from "../src/model";
import * as nb from "../src/notebook";

import { expectVerdict, quiet } from "./checker-helpers";

type Checker<F> = (fn: F) => void;
/** A wrong answer, what it gets wrong, and the words its FAIL message must contain. */
type Wrong<F> = [why: string, fn: F, ...fragments: string[]];

/** The right answer passes, the stub is not done, every wrong answer fails naming the difference; nothing leaks. */
function holds<F>(id: string, checker: Checker<F>, right: F, wrongs: Wrong<F>[]): void {
  assert.ok(wrongs.length >= 3, `${id}: at least three wrong answers`);
  const before = tf.memory().numTensors;
  expectVerdict(quiet(() => checker(right)), "PASS");
  expectVerdict(quiet(() => checker((() => nb.todo(id)) as F)), "NOT DONE YET", `[exercise ${id}]`, `todo("${id}")`);
  for (const [why, fn, ...fragments] of wrongs) {
    const r = quiet(() => checker(fn));
    assert.equal(r.verdict, "FAIL", `${id}, ${why}: ${r.message}`);
    for (const f of fragments) assert.ok(r.message.includes(f), `${id}, ${why}: "${r.message}" should mention "${f}"`);
  }
  const leaked = tf.memory().numTensors - before;
  assert.ok(leaked <= 0, `${id}: the checker leaked ${leaked} tensors`);
}

describe("notebook 00 checkers", () => {
  it("0.1 NCTHW -> NDHWC", () => {
    type F = (s: readonly number[]) => number[];
    holds<F>("0.1", nb.checkToNDHWC, ([n, c, t, h, w]) => [n, t, h, w, c], [
      ["C and T swapped in place", ([n, c, t, h, w]) => [n, t, c, h, w], "toNDHWC([1,3,32,224,224])", "got [1, 32, 3, 224, 224]", "index 2"],
      ["time after the spatial axes", ([n, c, t, h, w]) => [n, h, w, t, c], "expected [1, 32, 224, 224, 3]", "got [1, 224, 224, 32, 3]", "index 1"],
      ["the opposite permutation [0, 4, 1, 2, 3]", (s) => [0, 4, 1, 2, 3].map((i) => s[i]), "index 1"],
      ["H and W swapped", ([n, c, t, h, w]) => [n, t, w, h, c], "toNDHWC([8,3,16,64,48])", "expected 64, got 48"],
    ]);
  });

  it("0.2 frames per pathway", () => {
    type F = (f: number, tau: number, alpha: number) => { slow: number; fast: number };
    holds<F>("0.2", nb.checkPathwayFrames, (f, tau, alpha) => ({ slow: f / tau, fast: (f / tau) * alpha }), [
      ["fast = frames / alpha", (f, tau, alpha) => ({ slow: f / tau, fast: f / alpha }), "fast frames for 32 frames, tau=8, alpha=8", "expected 32, got 4"],
      ["fast = every frame of the clip", (f, tau) => ({ slow: f / tau, fast: f }), "fast frames for 64 frames, tau=16, alpha=8", "expected 32, got 64"],
      ["tau and alpha swapped", (f, tau, alpha) => ({ slow: f / alpha, fast: (f / alpha) * tau }), "slow frames for 64 frames, tau=16, alpha=8", "expected 4, got 8"],
      ["fast = slow x tau", (f, tau) => ({ slow: f / tau, fast: (f / tau) * tau }), "fast frames for 64 frames, tau=16, alpha=8", "expected 32, got 64"],
    ]);
  });
});

describe("notebook 01 checkers", () => {
  it("1.1 slow frame indices", () => {
    type F = (f: number, tau: number) => number[];
    holds<F>("1.1", nb.checkSlowIndices, (f, tau) => nearestIndices(f, tau), [
      ["stride 1 (the fast pathway's)", (f, tau) => Array.from({ length: f / tau }, (_, i) => i), "slowIndices(32, 8)", "got [0, 1, 2, 3]", "first difference at index 1"],
      ["PySlowFast's linspace", (f, tau) => linspaceIndices(f, f / tau), "expected [0, 8, 16, 24]", "got [0, 10, 20, 31]"],
      ["the count rounded up", (f, tau) => Array.from({ length: Math.ceil(f / tau) }, (_, i) => i * tau), "slowIndices(30, 8)", "length 4, expected 3"],
      ["the middle of each window", (f, tau) => Array.from({ length: Math.floor(f / tau) }, (_, i) => Math.floor(i * tau + tau / 2)), "got [4, 12, 20, 28]", "index 0"],
    ]);
  });

  it("1.2 fast frame indices", () => {
    type F = (f: number, tau: number, alpha: number) => number[];
    holds<F>("1.2", nb.checkFastIndices, (f, tau, alpha) => frameIndices(f, tau, alpha, "nearest").fast, [
      ["stride alpha", (f, _tau, alpha) => nearestIndices(f, alpha), "fastIndices(32, 8, 8)", "got [0, 8, 16, 24]"],
      ["every frame", (f) => [...Array(f).keys()], "fastIndices(32, 8, 4)", "first difference at index 1", "expected 2, got 1"],
      ["stride alpha / tau", (f, tau, alpha) => Array.from({ length: Math.floor(f / (alpha / tau)) }, (_, i) => Math.min(Math.floor((i * alpha) / tau), f - 1)), "fastIndices(32, 8, 4)", "length 64, expected 16"],
    ]);
  });

  it("1.3 linspace, and NaN shown as NaN", () => {
    type F = (n: number, count: number) => number[];
    const trunc = (n: number, count: number, end: number, round: (v: number) => number) => Array.from({ length: count }, (_, i) => round((i * end) / (count - 1)));
    holds<F>("1.3", nb.checkLinspace, linspaceIndices, [
      ["rounded, not truncated", (n, c) => (c === 1 ? [0] : trunc(n, c, n - 1, Math.round)), "linspace(32, 4)", "got [0, 10, 21, 31]", "index 2"],
      ["count = 1 not handled (0 / 0)", (n, c) => trunc(n, c, n - 1, Math.trunc), "linspace(7, 1)", "got [NaN]", "(expected 0, got NaN)"],
      ["up to n, not n - 1", (n, c) => (c === 1 ? [0] : trunc(n, c, n, Math.trunc)), "linspace(32, 4)", "got [0, 10, 21, 32]"],
      ["a step of n / count", (n, c) => Array.from({ length: c }, (_, i) => Math.trunc((i * n) / c)), "got [0, 8, 16, 24]"],
    ]);
  });

  it("1.4 gather frames", () => {
    type F = (clip: tf.Tensor5D, idx: number[]) => tf.Tensor5D;
    holds<F>("1.4", nb.checkGatherFrames, (clip, idx) => tf.gather(clip, tf.tensor1d(idx, "int32"), 1) as tf.Tensor5D, [
      ["gathered along the batch axis", (clip, idx) => tf.gather(clip, idx.filter((i) => i < 2), 0) as tf.Tensor5D, "(shape)", "axis 0: N (batch)"],
      ["indices off by one", (clip, idx) => tf.gather(clip, idx.map((i) => Math.max(0, i - 1)), 1) as tf.Tensor5D, "max error", "at index ["],
      ["frames in reverse order", (clip, idx) => tf.tidy(() => tf.reverse(tf.gather(clip, idx, 1), 1) as tf.Tensor5D), "gatherFrames(clip [2, 8, 3, 4, 3], [0,2,4,6])", "max error"],
      [
        "the result made inside a tidy that disposed it",
        (clip, idx) => {
          let out: tf.Tensor5D | undefined;
          tf.tidy(() => {
            out = tf.gather(clip, idx, 1) as tf.Tensor5D;
          });
          return out!;
        },
        "already disposed",
      ],
    ]);
  });
});

describe("notebook 02 checkers", () => {
  it("2.1 output size of a window", () => {
    type F = (size: number, k: number, s: number, p: number) => number;
    holds<F>("2.1", nb.checkConvOutSize, windowOut, [
      ["padding forgotten", (size, k, s) => Math.floor((size - k) / s) + 1, "outSize(size=224, kernel=7, stride=2, pad=3)", "expected 112, got 109"],
      ["ceil instead of floor", (size, k, s, p) => Math.ceil((size + 2 * p - k) / s) + 1, "outSize(size=224, kernel=7, stride=2, pad=3)", "expected 112, got 113"],
      ["padding on one side only", (size, k, s, p) => Math.floor((size + p - k) / s) + 1, "expected 112, got 111"],
      ["the + 1 forgotten", (size, k, s, p) => Math.floor((size + 2 * p - k) / s), "expected 112, got 111"],
    ]);
  });

  it("2.2 stem shapes", () => {
    type F = (x: Shape5, k: Triple, cout: number) => { conv1: number[]; maxpool: number[] };
    const pad = (k: Triple) => k.map((v) => Math.floor((v - 1) / 2)) as unknown as Triple;
    const stem = (convStride: Triple, convPad: (k: Triple) => Triple, poolStride: Triple, poolPad: Triple): F => (x, k, cout) => {
      const conv1 = windowShape(x, k, convStride, convPad(k), cout);
      return { conv1, maxpool: windowShape(conv1, [1, 3, 3], poolStride, poolPad, cout) };
    };
    holds<F>("2.2", nb.checkStemShapes, stem([1, 2, 2], pad, [1, 2, 2], [0, 1, 1]), [
      ["no temporal padding", stem([1, 2, 2], (k) => [0, pad(k)[1], pad(k)[2]], [1, 2, 2], [0, 1, 1]), "conv1 for input [1,32,256,256,3]", "axis 1: T (time)", "expected 32, got 28"],
      ["the pool unpadded", stem([1, 2, 2], pad, [1, 2, 2], [0, 0, 0]), "maxpool for input [1,4,256,256,3]", "axis 2: H (height)", "expected 64, got 63"],
      ["conv1 strided in time too", stem([2, 2, 2], pad, [1, 2, 2], [0, 1, 1]), "conv1 for input [1,4,256,256,3]", "axis 1: T (time)", "expected 4, got 2"],
      ["the pool strided in time too", stem([1, 2, 2], pad, [2, 2, 2], [0, 1, 1]), "maxpool for input [1,4,256,256,3]", "axis 1: T (time)", "expected 4, got 2"],
    ]);
  });

  it("2.3 stem parameters", () => {
    type F = (k: Triple, cin: number, cout: number) => number;
    const weights = (k: Triple, cin: number, cout: number) => k[0] * k[1] * k[2] * cin * cout;
    holds<F>("2.3", nb.checkStemParams, (k, cin, cout) => weights(k, cin, cout) + 2 * cout, [
      ["BN running statistics counted", (k, cin, cout) => weights(k, cin, cout) + 4 * cout, "stem params for kernel [1,7,7], 3 -> 64 channels", "expected 9536, got 9664"],
      ["batch norm forgotten", (k, cin, cout) => weights(k, cin, cout), "expected 9536, got 9408"],
      ["a conv bias counted", (k, cin, cout) => weights(k, cin, cout) + 3 * cout, "expected 9536, got 9600"],
      ["the kernel's sizes added, not multiplied", (k, cin, cout) => (k[0] + k[1] + k[2]) * cin * cout + 2 * cout, "expected 9536"],
    ]);
  });
});

describe("notebook 03 checkers", () => {
  it("3.1 time-strided convolution", () => {
    type F = (fast: tf.Tensor5D, w: tf.Tensor5D, alpha: number) => tf.Tensor5D;
    const torchPad = (w: tf.Tensor5D, p = (w.shape[0] - 1) / 2): Triple => [p, 0, 0];
    holds<F>("3.1", nb.checkTimeStridedConv, (fast, w, alpha) => conv3dTorch(fast, w, [alpha, 1, 1], torchPad(w)), [
      ["stride 1", (fast, w) => conv3dTorch(fast, w, [1, 1, 1], torchPad(w)), "(shape)", "axis 1: T (time)", "expected 4, got 32"],
      ["tf's 'same' padding", (fast, w, alpha) => tf.conv3d(fast, w, [alpha, 1, 1], "same"), "fast [1,32,4,4,8], alpha 8, kernel (5,1,1)", "max error"],
      ["no padding ('valid')", (fast, w, alpha) => tf.conv3d(fast, w, [alpha, 1, 1], "valid"), "fast [1,32,4,4,8], alpha 8, kernel (5,1,1)", "max error"],
      ["padding fixed at 2 (right for kernel 5 only)", (fast, w, alpha) => conv3dTorch(fast, w, [alpha, 1, 1], torchPad(w, 2)), "fast [2,32,3,5,4], alpha 4, kernel (7,1,1)"],
    ]);
  });

  it("3.2 time-to-channel", () => {
    type F = (fast: tf.Tensor5D, alpha: number) => tf.Tensor5D;
    const grouped = (fast: tf.Tensor5D, alpha: number) => {
      const [n, t, h, w, c] = fast.shape;
      return fast.reshape([n, t / alpha, alpha, h, w, c]);
    };
    holds<F>("3.2", nb.checkTimeToChannel, (fast, alpha) => nb.libraryLateral(fast, "time_to_channel", alpha), [
      ["a reshape without the transpose", (fast, alpha) => fast.reshape([fast.shape[0], fast.shape[1] / alpha, fast.shape[2], fast.shape[3], alpha * fast.shape[4]]) as tf.Tensor5D, "timeToChannel(fast [1,32,3,3,8], alpha 8)", "max error"],
      ["channel-major stacking", (fast, alpha) => tf.tidy(() => grouped(fast, alpha).transpose([0, 1, 3, 4, 5, 2]).reshape([fast.shape[0], fast.shape[1] / alpha, fast.shape[2], fast.shape[3], alpha * fast.shape[4]]) as tf.Tensor5D), "max error"],
      ["one frame in alpha (time-strided sampling)", (fast, alpha) => nb.libraryLateral(fast, "time_strided_sample", alpha), "axis 4: C (channels)", "expected 64, got 8"],
      ["the alpha frames averaged", (fast, alpha) => tf.tidy(() => grouped(fast, alpha).mean(2) as tf.Tensor5D), "axis 4: C (channels)", "expected 64, got 8"],
    ]);
  });

  it("3.3 slow stage input channels", () => {
    type F = (width: number, betaInv: number, alpha: number, kind: LateralKind) => number[];
    const stageInputs = (lateral: (c: number, alpha: number, betaInv: number) => number, expansion = 4): F => (width, betaInv, alpha) => {
      const f = width / betaInv;
      const slowOut = [width, width * expansion, width * 2 * expansion, width * 4 * expansion];
      const fastOut = [f, f * expansion, f * 2 * expansion, f * 4 * expansion];
      return slowOut.map((s, i) => s + lateral(fastOut[i], alpha, betaInv));
    };
    const right: F = (width, betaInv, alpha, kind) => stageInputs((c, a) => (kind === "time_strided_conv" ? 2 * c : kind === "time_to_channel" ? a * c : c))(width, betaInv, alpha, kind);
    holds<F>("3.3", nb.checkSlowStageInputs, right, [
      ["the lateral's 2x forgotten", stageInputs((c) => c), 'inputs(width 64, betaInv 8, alpha 8, "time_strided_conv")', "expected [80, 320, 640, 1280], got [72, 288, 576, 1152]"],
      [
        "time-to-channel stacks 1/beta frames instead of alpha",
        (width, betaInv, alpha, kind) => stageInputs((c, a, b) => (kind === "time_strided_conv" ? 2 * c : kind === "time_to_channel" ? b * c : c))(width, betaInv, alpha, kind),
        'inputs(width 64, betaInv 8, alpha 4, "time_to_channel")',
      ],
      ["the x4 expansion forgotten", (width, betaInv, alpha, kind) => stageInputs((c) => 2 * c, 1)(width, betaInv, alpha, kind), "expected [80, 320, 640, 1280], got [80, 80, 160, 320]"],
      ["the stage outputs, not the inputs", (width, betaInv, alpha, kind) => right(width, betaInv, alpha, kind).map((v, i, a) => a[i + 1] ?? 2 * v), "first difference at index 0"],
    ]);
  });
});

describe("notebook 04 checkers", () => {
  type P = nb.ConvBnWeights;
  type ConvBn = (x: tf.Tensor5D, p: P, stride: [number, number, number], relu: boolean) => tf.Tensor5D;
  /** A conv + eval-mode BN with one mistake switched on. */
  const convBn = (mistake: "none" | "noEps" | "epsOutside" | "noSqrt" | "alwaysRelu" | "batchStats" | "tfSame" = "none"): ConvBn => (x, p, stride, relu) =>
    tf.tidy(() => {
      const pad = p.weight.shape.slice(0, 3).map((k) => (k - 1) / 2) as unknown as Triple;
      const y = mistake === "tfSame" ? tf.conv3d(x, p.weight, stride, "same") : conv3dFolded(x, p.weight, stride, pad);
      const moments = tf.moments(y, [0, 1, 2, 3]);
      const [mean, variance] = mistake === "batchStats" ? [moments.mean, moments.variance] : [p.mean, p.variance];
      const denom =
        mistake === "noEps" ? tf.sqrt(variance) : mistake === "epsOutside" ? tf.add(tf.sqrt(variance), p.eps) : mistake === "noSqrt" ? tf.add(variance, p.eps) : tf.sqrt(tf.add(variance, p.eps));
      const out = tf.add(tf.mul(tf.sub(y, mean), tf.div(p.gamma, denom)), p.beta);
      return (relu || mistake === "alwaysRelu" ? tf.relu(out) : out) as tf.Tensor5D;
    });

  it("4.1 conv + batch norm: the near-zero variances catch a missing or misplaced eps", () => {
    holds<ConvBn>("4.1", nb.checkConvBn, convBn(), [
      ["no eps", convBn("noEps"), "running variances 0, 1e-7, 1e-6, 1e-5", "eps 1e-5 belongs inside the square root", "max error"],
      ["eps added outside the square root", convBn("epsOutside"), "running variances 0, 1e-7", "max error"],
      ["divided by the variance, not its square root", convBn("noSqrt"), "conv1 for input [1,4,9,8,20]", "max error"],
      ["ReLU also where relu is false", convBn("alwaysRelu"), "conv3 (no ReLU)", "max error"],
      ["batch statistics (training mode)", convBn("batchStats"), "conv1 for input [1,4,9,8,20]", "max error"],
      ["tf's 'same' padding", convBn("tfSame"), "conv2 (stride [1,2,2]) for input [1,4,9,8,20]", "max error"],
    ]);
  });

  it("4.2 bottleneck block", () => {
    type F = (x: tf.Tensor5D, w: nb.BottleneckWeights) => tf.Tensor5D;
    const cb = convBn();
    const one: [number, number, number] = [1, 1, 1];
    const block = (opts: { finalRelu?: boolean; reluOnConv3?: boolean; strideOnConv1?: boolean; identityShortcut?: boolean } = {}): F => (x, w) =>
      tf.tidy(() => {
        const s: [number, number, number] = [1, w.stride, w.stride];
        const h1 = cb(x, w.conv1, opts.strideOnConv1 ? s : one, true);
        const h2 = cb(h1, w.conv2, opts.strideOnConv1 ? one : s, true);
        const h3 = cb(h2, w.conv3, one, opts.reluOnConv3 === true);
        const shortcut = w.downsample && !opts.identityShortcut ? cb(x, w.downsample, s, false) : x;
        const sum = tf.add(h3, shortcut);
        return (opts.finalRelu === false ? sum : tf.relu(sum)) as tf.Tensor5D;
      });
    holds<F>("4.2", nb.checkBottleneck, block(), [
      ["no ReLU after the sum", block({ finalRelu: false }), "bottleneck for input [1,4,9,8,20], 20 -> 32 channels, stride 2, inflated", "max error"],
      ["ReLU on conv3 before the sum", block({ reluOnConv3: true }), "max error"],
      ["the stride on conv1 (Caffe style)", block({ strideOnConv1: true }), "stride 2", "max error"],
      ["the projection skipped", block({ identityShortcut: true }), "your code threw"],
    ]);
  });
});

describe("notebook 05 checkers", () => {
  it("5.1 head logits", () => {
    type F = (slow: tf.Tensor5D, fast: tf.Tensor5D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
    const head = (opts: { order?: "fast_slow" | "slow_fast"; pool?: "mean" | "max"; bias?: boolean; poolAxes?: number[] } = {}): F => (slow, fast, w, b) =>
      tf.tidy(() => {
        const p = (x: tf.Tensor5D) => (opts.pool === "max" ? tf.max(x, opts.poolAxes ?? [1, 2, 3]) : tf.mean(x, opts.poolAxes ?? [1, 2, 3]));
        const parts = opts.order === "slow_fast" ? [p(slow), p(fast)] : [p(fast), p(slow)];
        const logits = tf.matMul(tf.concat(parts, 1) as tf.Tensor2D, w);
        return (opts.bias === false ? logits : tf.add(logits, b)) as tf.Tensor2D;
      });
    holds<F>("5.1", nb.checkHeadLogits, head(), [
      ["slow then fast (PySlowFast's order)", head({ order: "slow_fast" }), "logits for slow [2,2,3,3,16], fast [2,8,3,3,4], 5 classes", "max error"],
      ["max pooling", head({ pool: "max" }), "max error"],
      ["no bias", head({ bias: false }), "max error"],
      ["pooled over space only", head({ poolAxes: [2, 3] }), "your code threw"],
    ]);
  });

  it("5.2 fc weight to fast-then-slow order", () => {
    type F = (w: tf.Tensor2D, slowC: number, fastC: number) => tf.Tensor2D;
    holds<F>("5.2", nb.checkReorderWeight, (w, s) => nb.reorderedWeight(w, s), [
      ["split at the fast width", (w, _s, f) => nb.reorderedWeight(w, f), "reorder(weight [20, 5], 16, 4)", "max error"],
      ["left as it is", (w) => w, "reorder(weight [20, 5], 16, 4)", "max error"],
      ["rows reversed", (w) => tf.reverse(w, 0) as tf.Tensor2D, "max error"],
      ["transposed, as for PyTorch", (w, s) => tf.tidy(() => nb.reorderedWeight(w, s).transpose() as tf.Tensor2D), "(shape)", "expected shape [20, 5], got [5, 20]"],
    ]);
  });
});

describe("notebook 07 checkers", () => {
  it("7.1 test-mode SampleFrames", () => {
    type F = (total: number, clipLen: number, interval: number, numClips: number) => number[][];
    const withOffsets = (offsets: (total: number, clipLen: number, interval: number, numClips: number) => number[], loop = true): F => (total, clipLen, interval, numClips) =>
      offsets(total, clipLen, interval, numClips).map((o) => Array.from({ length: clipLen }, (_, i) => (loop ? (o + i * interval) % total : o + i * interval)));
    const maxOffset = (total: number, clipLen: number, interval: number) => Math.max(total - ((clipLen - 1) * interval + 1), 0);
    const right: F = (total, clipLen, interval, numClips) => sampleFrames(total, { clipLen, frameInterval: interval, numClips });
    holds<F>("7.1", nb.checkTestClipIndices, right, [
      [
        "Math.round, not numpy's half-to-even",
        withOffsets((t, c, i, n) => (n === 1 ? [Math.floor(maxOffset(t, c, i) / 2)] : Array.from({ length: n }, (_, k) => Math.round((k * maxOffset(t, c, i)) / (n - 1))))),
        "testClipIndices(48, 16, 2, 3), clip 1",
        "expected 8, got 9",
      ],
      ["the loop forgotten", withOffsets((t, c, i, n) => right(t, c, i, n).map((clip) => clip[0]), false), "testClipIndices(20, 16, 2, 1), clip 0", "expected 0, got 20"],
      [
        "the training span clipLen * interval",
        withOffsets((t, c, i, n) => {
          const m = Math.max(t - c * i, 0);
          return n === 1 ? [Math.floor(m / 2)] : Array.from({ length: n }, (_, k) => roundHalfEven((k * m) / (n - 1)));
        }),
        "testClipIndices(48, 16, 2, 3), clip 2",
      ],
      ["offsets k * maxOffset / numClips", withOffsets((t, c, i, n) => Array.from({ length: n }, (_, k) => Math.floor((k * maxOffset(t, c, i)) / n))), "testClipIndices(48, 16, 2, 1), clip 0", "expected 8, got 0"],
    ]);
  });

  it("7.2 train-mode SampleFrames", () => {
    type F = (total: number, clipLen: number, interval: number, rng: Rng) => number[];
    const clip = (room: (total: number, clipLen: number, interval: number) => number, loop = true): F => (total, clipLen, interval, rng) => {
      const n = room(total, clipLen, interval);
      const offset = n > 0 ? rng.int(n) : 0;
      return Array.from({ length: clipLen }, (_, i) => (loop ? (offset + i * interval) % total : offset + i * interval));
    };
    holds<F>("7.2", nb.checkTrainClipIndices, clip((t, c, i) => t - c * i + 1), [
      ["the test span (clipLen - 1) * interval + 1", clip((t, c, i) => t - ((c - 1) * i + 1) + 1), "trainClipIndices(", "first difference at index 0"],
      ["the loop forgotten", clip((t, c, i) => t - c * i + 1, false), "trainClipIndices(20, 16, 2, new Rng(1))", "first difference at index 10", "expected 0, got 20"],
      ["one offset too few (rng.int(total - span))", clip((t, c, i) => t - c * i), "trainClipIndices("],
      ["always the first frames", (total, clipLen, interval) => Array.from({ length: clipLen }, (_, i) => (i * interval) % total), "trainClipIndices(48, 16, 2, new Rng(1))", "first difference at index 0"],
    ]);
  });
});
