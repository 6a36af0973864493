// Notebook 06's assembly checkers (6.2: the pieces of 01-05 on slowfast_test's layers; 6.3: a whole
// forward pass wired from them, stage by stage): the solution passes, the stub is NOT DONE YET, and
// plausible wrong compositions FAIL naming the first stage that differs and what matched before it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tf } from "../src/backend";
import { conv3dFolded, SlowFast, type SlowFastConfig, StemMaxPool } from "../src/model";
import * as nb from "../src/notebook";
import { expectVerdict, quiet } from "./checker-helpers";

type Triple = [number, number, number];

// The pieces as notebooks 01-05's solutions write them.
const pieces: nb.Pieces = {
  slowIndices: (frames, tau) => Array.from({ length: Math.floor(frames / tau) }, (_, i) => Math.floor(i * tau)),
  fastIndices: (frames, tau, alpha) => Array.from({ length: Math.floor((frames * alpha) / tau) }, (_, i) => Math.min(Math.floor((i * tau) / alpha), frames - 1)),
  gatherFrames: (clip, indices) => tf.tidy(() => tf.gather(clip, tf.tensor1d(indices, "int32"), 1) as tf.Tensor5D),
  convBn: (x, p, stride, relu) =>
    tf.tidy(() => {
      const pad = p.weight.shape.slice(0, 3).map((k) => (k - 1) / 2) as Triple;
      const y = conv3dFolded(x, p.weight, stride, pad);
      const out = tf.add(tf.mul(tf.sub(y, p.mean), tf.div(p.gamma, tf.sqrt(tf.add(p.variance, p.eps)))), p.beta);
      return (relu ? tf.relu(out) : out) as tf.Tensor5D;
    }),
  timeStridedConv: (fast, weight, alpha) => {
    const pad = (weight.shape[0] - 1) / 2;
    return tf.tidy(() => tf.conv3d(tf.pad(fast, [[0, 0], [pad, pad], [0, 0], [0, 0], [0, 0]]), weight, [alpha, 1, 1], "valid"));
  },
  bottleneck: (x, w) =>
    tf.tidy(() => {
      const s: Triple = [1, w.stride, w.stride];
      const h = pieces.convBn(pieces.convBn(pieces.convBn(x, w.conv1, [1, 1, 1], true), w.conv2, s, true), w.conv3, [1, 1, 1], false);
      return tf.relu(tf.add(h, w.downsample ? pieces.convBn(x, w.downsample, s, false) : x)) as tf.Tensor5D;
    }),
  headLogits: (slow, fast, weight, bias) => tf.tidy(() => tf.add(tf.matMul(tf.concat([tf.mean(fast, [1, 2, 3]), tf.mean(slow, [1, 2, 3])], 1), weight), bias) as tf.Tensor2D),
};

interface Mistakes {
  /** concat([lateral, slow]) instead of concat([slow, lateral]) */
  lateralFirst?: boolean;
  /** how many fusions after res2..res5 (right: 3, after res2, res3, res4) */
  fusionsAfterStages?: number;
  /** the head's pooled features slow then fast (PySlowFast's order) */
  headSlowFast?: boolean;
  /** only the first block of each stage */
  firstBlockOnly?: boolean;
  /** no max pool after conv1 (the record names it all the same) */
  skipMaxPool?: boolean;
}

const maxPool = new StemMaxPool();

/** Notebook 06's solution of 6.3, with the mistakes switchable. */
function forward(clip: tf.Tensor5D, w: nb.SlowFastWeights, record: nb.StageRecorder, m: Mistakes = {}): tf.Tensor2D {
  const p = pieces;
  let slow = p.gatherFrames(clip, p.slowIndices(w.frames, w.tau));
  let fast = p.gatherFrames(clip, p.fastIndices(w.frames, w.tau, w.alpha));
  record("sampling", slow, fast);
  slow = p.convBn(slow, w.slow.stem, [1, 2, 2], true);
  fast = p.convBn(fast, w.fast.stem, [1, 2, 2], true);
  record("conv1", slow, fast);
  if (!m.skipMaxPool) [slow, fast] = [maxPool.apply(slow), maxPool.apply(fast)];
  record("maxpool", slow, fast);
  const fuse = (site: nb.LateralSite) => {
    const lateral = p.timeStridedConv(fast, w.laterals[site], w.alpha);
    slow = tf.concat(m.lateralFirst ? [lateral, slow] : [slow, lateral], 4) as tf.Tensor5D;
    record(`fuse_${site}`, slow, fast);
  };
  fuse("conv1");
  (["res2", "res3", "res4", "res5"] as const).forEach((name, i) => {
    const blocks = (s: nb.BottleneckWeights[]) => (m.firstBlockOnly ? s.slice(0, 1) : s);
    slow = blocks(w.slow.stages[i]).reduce((h, b) => p.bottleneck(h, b), slow);
    fast = blocks(w.fast.stages[i]).reduce((h, b) => p.bottleneck(h, b), fast);
    record(name, slow, fast);
    if (i < (m.fusionsAfterStages ?? 3)) fuse(name as nb.LateralSite);
  });
  return m.headSlowFast ? p.headLogits(fast, slow, w.head.weight, w.head.bias) : p.headLogits(slow, fast, w.head.weight, w.head.bias);
}

/** The pieces in checkPieces' order. */
const list = (p: nb.Pieces): nb.PieceList => [p.slowIndices, p.fastIndices, p.gatherFrames, p.convBn, p.timeStridedConv, p.bottleneck, p.headLogits];

const check = (m: Mistakes) => quiet(() => nb.checkSlowFastForward((clip, w, record) => forward(clip, w, record, m)));

describe("notebook 06 checkers (the whole forward pass, your pieces)", () => {
  it("6.3: the solution passes on both models, the stub is NOT DONE YET, nothing leaks (passing, failing, throwing, the stage table)", () => {
    const before = tf.memory().numTensors;
    expectVerdict(check({}), "PASS", "[exercise 6.3]");
    expectVerdict(quiet(() => nb.checkSlowFastForward(() => nb.todo("6.3"))), "NOT DONE YET", "[exercise 6.3]");
    for (const wrong of [{ lateralFirst: true }, { fusionsAfterStages: 2 }, { skipMaxPool: true }]) expectVerdict(check(wrong), "FAIL");
    nb.forwardStageDiffs((clip, w, record) => forward(clip, w, record));
    assert.equal(tf.memory().numTensors, before, "the checker leaked tensors");
  });

  it("6.3: a lateral concatenated before the slow channels fails at slow.fuse_conv1, after everything up to fast.maxpool matched", () => {
    expectVerdict(check({ lateralFirst: true }), "FAIL", "slowfast_test with mmaction2's weights", "stage slow.fuse_conv1 differs: max abs diff", "fast.maxpool and before match");
  });

  it("6.3: no lateral after res4 fails naming fuse_res4 as the stage that never came", () => {
    expectVerdict(check({ fusionsAfterStages: 2 }), "FAIL", "after stage res4 (fast.res4 and before match)", "the next stage is fuse_res4");
  });

  it("6.3: PySlowFast's slow-then-fast head fails at the logits with every stage matched", () => {
    expectVerdict(check({ headSlowFast: true }), "FAIL", "stage head (logits) differs", "every stage up to fast.res5 matches");
  });

  it("6.3: running only the first block of a stage fails at slow.res2 of the two-block model", () => {
    expectVerdict(check({ firstBlockOnly: true }), "FAIL", "2 blocks in res2 and res5", "stage slow.res2 differs", "fast.fuse_conv1 and before match");
  });

  it("6.3: a skipped max pool fails on its shape, naming the axis", () => {
    expectVerdict(check({ skipMaxPool: true }), "FAIL", "stage slow.maxpool has shape [1, 2, 16, 16, 8], expected [1, 2, 8, 8, 8]", "axis 2 (H)", "fast.conv1 and before match");
  });

  it("6.3: a missing record() and a step out of order are named", () => {
    const noRecord = quiet(() => nb.checkSlowFastForward((clip, w) => forward(clip, w, () => {})));
    expectVerdict(noRecord, "FAIL", "recorded 0 of the 11 stages", 'record("sampling", slow, fast)');
    const skipConv1 = quiet(() => nb.checkSlowFastForward((clip, w, record) => forward(clip, w, (name, s, f) => (name === "conv1" ? undefined : record(name, s, f)))));
    expectVerdict(skipConv1, "FAIL", 'expected record("conv1", slow, fast) after sampling, got record("maxpool", ...)', "fast.sampling and before match");
  });

  it("6.2: the solutions' pieces pass; a stub, an unpadded conv and slow frames for the fast pathway fail", () => {
    const before = tf.memory().numTensors;
    expectVerdict(quiet(() => nb.checkPieces(...list(pieces))), "PASS", "[exercise 6.2]");
    expectVerdict(quiet(() => nb.checkPieces(...list({ ...pieces, bottleneck: () => nb.todo("6.2") }))), "NOT DONE YET");
    const unpadded: nb.Pieces["convBn"] = (x, p, stride, relu) =>
      tf.tidy(() => {
        const y = conv3dFolded(x, p.weight, stride, [0, 0, 0]);
        const out = tf.add(tf.mul(tf.sub(y, p.mean), tf.div(p.gamma, tf.sqrt(tf.add(p.variance, p.eps)))), p.beta);
        return (relu ? tf.relu(out) : out) as tf.Tensor5D;
      });
    expectVerdict(quiet(() => nb.checkPieces(...list({ ...pieces, convBn: unpadded }))), "FAIL", "convBn on the slow stem", "(shape)");
    expectVerdict(quiet(() => nb.checkPieces(...list({ ...pieces, fastIndices: (f, t) => pieces.slowIndices(f, t) }))), "FAIL", "fastIndices(8, 4, 4) (your 1.2, slowfast_test)");
    const slowFirst: nb.Pieces["headLogits"] = (slow, fast, weight, bias) => pieces.headLogits(fast, slow, weight, bias);
    expectVerdict(quiet(() => nb.checkPieces(...list({ ...pieces, headLogits: slowFirst }))), "FAIL", "headLogits on res5's outputs (your 5.1)");
    assert.equal(tf.memory().numTensors, before, "the checker leaked tensors");
  });

  it("the stage table shows every stage within the tolerance for the solution, and one line for the stub", () => {
    const rows = nb.forwardStageDiffs((clip, w, record) => forward(clip, w, record));
    assert.ok(rows);
    assert.deepEqual(rows.map((r) => r.stage), ["sampling", "conv1", "maxpool", "fuse_conv1", "res2", "fuse_res2", "res3", "fuse_res3", "res4", "fuse_res4", "res5", "head (logits)"]);
    for (const r of rows) assert.ok(r.slowError <= nb.FORWARD_TOLERANCE && (r.fastError <= nb.FORWARD_TOLERANCE || r.stage === "head (logits)"), `${r.stage}: ${r.slowError}, ${r.fastError}`);
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => lines.push(s);
    try {
      assert.equal(nb.forwardStageDiffs(() => nb.todo("6.3")), null);
    } finally {
      console.log = log;
    }
    assert.deepEqual(lines, ["exercise 6.3 is not done yet: this table fills in once it is"]);
  });

  it("6.1: a wrong count says which part of the model it is off by", () => {
    const partOf = (cfg: SlowFastConfig, part: "laterals" | "head") => {
      const m = new SlowFast(cfg);
      const n = m.paramCounts()[part];
      m.dispose();
      return n;
    };
    const noLaterals = (cfg: SlowFastConfig) => nb.paramsFromLibrary(cfg) - partOf(cfg, "laterals");
    expectVerdict(quiet(() => nb.checkPredictParams(noLaterals)), "FAIL", "parameters of slowfast_r50_4x16x1: expected 34479288, got 34263608: 215,680 too few = the laterals");
    const biasTwice = (cfg: SlowFastConfig) => nb.paramsFromLibrary(cfg) + cfg.numClasses;
    expectVerdict(quiet(() => nb.checkPredictParams(biasTwice)), "FAIL", "400 too many = the fc bias");
    const noHead = (cfg: SlowFastConfig) => nb.paramsFromLibrary(cfg) - partOf(cfg, "head");
    expectVerdict(quiet(() => nb.checkPredictParams(noHead)), "FAIL", "922,000 too few = the head (fc weight and bias)");
    expectVerdict(quiet(() => nb.checkPredictParams((cfg) => nb.paramsFromLibrary(cfg) + 7)), "FAIL", "7 too many: no single part of the model has exactly that many parameters");
  });
});
