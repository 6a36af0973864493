// Checkers for notebook 06's assembly exercises:
//   6.2  your pieces from notebooks 01-05 (frame indices, gather, conv + BN, lateral, bottleneck,
//        head), each on a real layer of slowfast_test;
//   6.3  your whole forward pass, wired from those pieces, against the library's forward() stage by
//        stage: the verdict names the first stage (and pathway) that differs and the ones that match.
import { tf } from "../../backend";
import { ResStage } from "../../model/blocks";
import { presetConfig } from "../../model/config";
import { nearestIndices } from "../../model/sampling";
import { formatCTHW, formatShape } from "../../model/shape";
import { type ForwardResult, SlowFast, type StageOutput } from "../../model/slowfast";
import { check, CheckFailure, expectArray, expectCloseFrom, maxAbsError, NotDone, unravel } from "../check";
import { type BottleneckWeights, type ConvBnWeights, randomizeBatchNorm } from "./blocks";
import { slowFastWeights, type SlowFastWeights, testWeightsModel } from "./slowfast_weights";

export * from "./slowfast_weights";

/** The exercise functions of notebooks 01-05 that a forward pass is made of (6.2). */
export interface Pieces {
  slowIndices: (frames: number, tau: number) => number[];
  fastIndices: (frames: number, tau: number, alpha: number) => number[];
  gatherFrames: (clip: tf.Tensor5D, indices: number[]) => tf.Tensor5D;
  convBn: (x: tf.Tensor5D, p: ConvBnWeights, stride: [number, number, number], relu: boolean) => tf.Tensor5D;
  timeStridedConv: (fast: tf.Tensor5D, weight: tf.Tensor5D, alpha: number) => tf.Tensor5D;
  bottleneck: (x: tf.Tensor5D, w: BottleneckWeights) => tf.Tensor5D;
  headLogits: (slow: tf.Tensor5D, fast: tf.Tensor5D, weight: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;
}

/** The pieces as checkPieces takes them: in the order of the forward pass. */
export type PieceList = [
  slowIndices: Pieces["slowIndices"],
  fastIndices: Pieces["fastIndices"],
  gatherFrames: Pieces["gatherFrames"],
  convBn: Pieces["convBn"],
  timeStridedConv: Pieces["timeStridedConv"],
  bottleneck: Pieces["bottleneck"],
  headLogits: Pieces["headLogits"],
];

function piecesOf([slowIndices, fastIndices, gatherFrames, convBn, timeStridedConv, bottleneck, headLogits]: PieceList): Pieces {
  return { slowIndices, fastIndices, gatherFrames, convBn, timeStridedConv, bottleneck, headLogits };
}

/** What 6.3's forward pass calls after each stage: sampling, conv1, maxpool, fuse_conv1, res2, ..., res5. */
export type StageRecorder = (stage: string, slow: tf.Tensor5D, fast: tf.Tensor5D) => void;
export type SlowFastForward = (clip: tf.Tensor5D, w: SlowFastWeights, record: StageRecorder) => tf.Tensor2D;

/** 6.3's limit on |yours - library|, relative to the largest value of the stage when that is above 1. */
export const FORWARD_TOLERANCE = 1e-5;

interface ForwardCase {
  what: string;
  model: SlowFast;
  clip: tf.Tensor5D;
}

const AXES = ["N", "T", "H", "W", "C"];
const isTensor = (v: unknown): v is tf.Tensor => v instanceof tf.Tensor;

/** The largest |want - got| and where (a multi-index); NaN counts as the largest. */
function maxAbsDiff(want: tf.Tensor, got: tf.Tensor): { diff: number; at: number[]; want: number; got: number; scale: number } {
  const e = want.dataSync();
  const a = got.dataSync();
  const { err, at, scale } = maxAbsError(e, a);
  return { diff: err, at: unravel(at, want.shape), want: e[at], got: a[at], scale };
}

function disposeForward(r: ForwardResult): void {
  tf.dispose([r.logits, ...r.stages.flatMap((s) => [s.slow, s.fast].filter((t): t is tf.Tensor5D => t !== null))]);
}

const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

/** Compares one stage of one pathway; `before` says what matched so far. Throws CheckFailure. */
function compareStage(label: string, want: tf.Tensor, got: unknown, before: string): void {
  if (!isTensor(got)) throw new CheckFailure(`stage ${label}: got ${got === null ? "null" : typeof got}, expected a tensor of shape ${formatShape(want.shape)}; ${before}`);
  if (got.isDisposed) throw new CheckFailure(`stage ${label}: the tensor is already disposed (dispose nothing you record or return); ${before}`);
  const axis = want.shape.findIndex((v, k) => got.shape[k] !== v);
  if (got.rank !== want.rank || axis >= 0) {
    const where = got.rank !== want.rank ? `rank ${got.rank}, expected ${want.rank}` : `first difference on axis ${axis} (${AXES[axis]}): ${got.shape[axis]}, expected ${want.shape[axis]}`;
    throw new CheckFailure(`stage ${label} has shape ${formatShape(got.shape)}, expected ${formatShape(want.shape)} (${where}); ${before}`);
  }
  const d = maxAbsDiff(want, got);
  if (!(d.diff <= FORWARD_TOLERANCE * Math.max(1, d.scale))) {
    throw new CheckFailure(`stage ${label} differs: max abs diff ${fmt(d.diff)} at ${formatShape(d.at)} (expected ${fmt(d.want)}, got ${fmt(d.got)}); ${before}`);
  }
}

/** Runs `forward` on one case, comparing each recorded stage as it comes. Throws CheckFailure or NotDone. */
function runForwardCase(forward: SlowFastForward, c: ForwardCase): void {
  const ref = c.model.forward(c.clip, { intermediates: true });
  const expected: StageOutput[] = ref.stages;
  let next = 0;
  let matched = "";
  const before = () => (matched ? `${matched} and before match` : "nothing before it was compared");
  const nextStage = () => {
    const s = expected[next];
    return s ? `the next stage is ${s.name} (slow ${formatCTHW(s.slow!.shape)}, fast ${formatCTHW(s.fast!.shape)}, C x T x H x W)` : "every stage was recorded";
  };
  const record: StageRecorder = (name, slow, fast) => {
    const want = expected[next];
    if (!want) throw new CheckFailure(`record("${name}", ...) after res5: res5 is the last stage, the head comes next and is checked through the logits`);
    if (name !== want.name) {
      const after = next === 0 ? "first" : `after ${expected[next - 1].name}`;
      throw new CheckFailure(`expected record("${want.name}", slow, fast) ${after}, got record("${name}", ...): a step is missing or out of order; ${before()}`);
    }
    compareStage(`slow.${name}`, want.slow!, slow, before());
    matched = `slow.${name}`;
    compareStage(`fast.${name}`, want.fast!, fast, before());
    matched = `fast.${name}`;
    next++;
  };
  try {
    let logits: unknown;
    try {
      logits = tf.tidy(() => forward(c.clip, slowFastWeights(c.model), record) as tf.Tensor);
    } catch (err) {
      if (err instanceof CheckFailure || err instanceof NotDone) throw err;
      const e = err as Error;
      const where = next === 0 ? "before recording any stage" : `after stage ${expected[next - 1].name} (${before()})`;
      const message = String(e?.message ?? err).replace(/\s+/g, " ");
      throw new CheckFailure(`your code threw ${e?.name ?? "an error"} ${where}: ${message}; ${nextStage()}`);
    }
    try {
      if (logits === undefined) throw new CheckFailure("your function returned undefined: did you forget to return the head's logits?");
      if (next < expected.length) {
        throw new CheckFailure(`your function recorded ${next} of the ${expected.length} stages: ${nextStage()}; call record("${expected[next].name}", slow, fast) right after it`);
      }
      compareStage("head (logits)", ref.logits, logits, `every stage up to ${matched} matches, so look at the head`);
    } finally {
      if (isTensor(logits) && !logits.isDisposed) logits.dispose();
    }
  } catch (err) {
    if (err instanceof CheckFailure) throw new CheckFailure(`${c.what}: ${err.message}`);
    throw err;
  } finally {
    disposeForward(ref);
  }
}

/**
 * slowfast_test with two blocks in res2 and res5, every block's batch norms randomised: a freshly
 * built block's last BN has gamma 0, so a skipped block would not show.
 */
function twoBlockModel(seed: number): SlowFast {
  const model = new SlowFast(presetConfig("slowfast_test", { stageBlocks: [2, 1, 1, 2] }), seed);
  let i = 0;
  for (const step of model.steps) {
    if (step.kind !== "map") continue;
    for (const layer of [step.slow, step.fast]) {
      if (layer instanceof ResStage) for (const b of layer.blocks) randomizeBatchNorm(b, seed + 10 * i++);
    }
  }
  return model;
}

/** The two cases 6.3 runs: mmaction2's slowfast_test weights (batch 1), then a two-block variant (batch 2). */
function withForwardCases(body: (c: ForwardCase) => void): void {
  const cases: [string, () => SlowFast, number][] = [
    ["slowfast_test with mmaction2's weights, input [1,8,32,32,3]", testWeightsModel, 1],
    ["slowfast_test with 2 blocks in res2 and res5, random batch norms, input [2,8,32,32,3]", () => twoBlockModel(5), 2],
  ];
  cases.forEach(([what, build, batch], i) => {
    const model = build();
    const clip = tf.randomNormal(model.inputShape(batch), 0, 1, "float32", 60 + i) as tf.Tensor5D;
    try {
      body({ what, model, clip });
    } finally {
      clip.dispose();
      model.dispose();
    }
  });
}

/** 6.3: your forward pass against the library's, stage by stage, on two small models. */
export function checkSlowFastForward(forward: SlowFastForward): void {
  return check("6.3", "your forward pass, stage by stage, against the library's", () => {
    withForwardCases((c) => runForwardCase(forward, c));
  }, forward);
}

/**
 * 6.2: each piece once on a real layer of slowfast_test (mmaction2's weights), the frame indices also
 * for R50. The pieces come as arguments in the order of the forward pass, not as `{ slowIndices, ... }`:
 * tslab does not resolve a shorthand property that names a function of an earlier cell.
 */
export function checkPieces(...pieces: PieceList): void {
  const p = piecesOf(pieces);
  return check("6.2", "your pieces from notebooks 01-05 on slowfast_test's layers", () => {
    for (const name of ["slowfast_test", "slowfast_r50_4x16x1", "slowfast_r50_8x8x1"]) {
      const c = presetConfig(name);
      expectArray(`slowIndices(${c.frames}, ${c.tau}) (your 1.1, ${name})`, nearestIndices(c.frames, c.tau), p.slowIndices(c.frames, c.tau));
      expectArray(`fastIndices(${c.frames}, ${c.tau}, ${c.alpha}) (your 1.2, ${name})`, nearestIndices(c.frames, c.tau / c.alpha), p.fastIndices(c.frames, c.tau, c.alpha));
    }
    const model = testWeightsModel();
    const clip = tf.randomNormal(model.inputShape(1), 0, 1, "float32", 61) as tf.Tensor5D;
    const ref = model.forward(clip, { intermediates: true });
    try {
      const w = slowFastWeights(model);
      const stage = (name: string) => ref.stages.find((s) => s.name === name)!;
      const step = (name: string) => model.steps.find((s) => s.name === name)!;
      const [stem, lateral2, res3, res4] = [step("conv1"), step("fuse_res2"), step("res3"), step("res4")];
      if (stem.kind !== "map" || lateral2.kind !== "fuse" || res3.kind !== "map" || res4.kind !== "map") throw new Error("unexpected layout of slowfast_test's steps");
      const fastIdx = nearestIndices(8, 1);
      expectCloseFrom("gatherFrames(clip, fast frames) (your 1.4)", tf.gather(clip, fastIdx, 1), () => p.gatherFrames(clip, fastIdx));
      const sampled = stage("sampling");
      expectCloseFrom("convBn on the slow stem, (1,7,7) stride (1,2,2) (your 4.1)", stem.slow!.apply(sampled.slow!, false), () => p.convBn(sampled.slow!, w.slow.stem, [1, 2, 2], true));
      expectCloseFrom("convBn on the fast stem, (5,7,7) stride (1,2,2) (your 4.1)", stem.fast!.apply(sampled.fast!, false), () => p.convBn(sampled.fast!, w.fast.stem, [1, 2, 2], true));
      const fastRes2 = stage("res2").fast!;
      expectCloseFrom("timeStridedConv on the lateral after res2 (your 3.1)", lateral2.lateral.apply(fastRes2), () => p.timeStridedConv(fastRes2, w.laterals.res2, w.alpha));
      expectCloseFrom("bottleneck on fast res3's block (stride 2, projection) (your 4.2)", res3.fast!.apply(fastRes2, false), () => p.bottleneck(fastRes2, w.fast.stages[1][0]));
      const slowIn = stage("fuse_res3").slow!;
      expectCloseFrom("bottleneck on slow res4's block (inflated, stride 2) (your 4.2)", res4.slow!.apply(slowIn, false), () => p.bottleneck(slowIn, w.slow.stages[2][0]));
      const [s5, f5] = [stage("res5").slow!, stage("res5").fast!];
      expectCloseFrom("headLogits on res5's outputs (your 5.1)", model.head.apply(s5, f5, false), () => p.headLogits(s5, f5, w.head.weight, w.head.bias));
    } finally {
      clip.dispose();
      disposeForward(ref);
      model.dispose();
    }
  }, pieces);
}

/** One row of forwardStageDiffs: shapes (C x T x H x W) and errors, each max |yours - library| / max(1, max |library|). */
export interface StageDiff {
  stage: string;
  slow: string;
  fast: string;
  slowError: number;
  fastError: number;
}

/** Per stage, how far yours is from the library on the slowfast_test weights (what 6.3 holds to FORWARD_TOLERANCE); prints one line instead when 6.3 is not done or throws. */
export function forwardStageDiffs(forward: SlowFastForward): StageDiff[] | null {
  const model = testWeightsModel();
  const clip = tf.randomNormal(model.inputShape(1), 0, 1, "float32", 60) as tf.Tensor5D;
  const ref = model.forward(clip, { intermediates: true });
  const rows: StageDiff[] = [];
  try {
    const byName = new Map(ref.stages.map((s) => [s.name, s]));
    const error = (want: tf.Tensor, got: tf.Tensor) => {
      if (got.shape.join() !== want.shape.join()) return NaN;
      const d = maxAbsDiff(want, got);
      return d.diff / Math.max(1, d.scale);
    };
    const logits = tf.tidy(() =>
      forward(clip, slowFastWeights(model), (name, slow, fast) => {
        const want = byName.get(name);
        if (!want) throw new Error(`record("${name}", ...): no stage of that name`);
        rows.push({ stage: name, slow: formatCTHW(slow.shape), fast: formatCTHW(fast.shape), slowError: error(want.slow!, slow), fastError: error(want.fast!, fast) });
      }),
    );
    rows.push({ stage: "head (logits)", slow: formatShape(logits.shape), fast: "", slowError: error(ref.logits, logits), fastError: NaN });
    logits.dispose();
    return rows;
  } catch (err) {
    const e = err as Error;
    console.log(err instanceof NotDone ? `exercise ${err.exercise} is not done yet: this table fills in once it is` : `your forward pass threw ${e?.name}: ${e?.message}`);
    return null;
  } finally {
    clip.dispose();
    disposeForward(ref);
    model.dispose();
  }
}
