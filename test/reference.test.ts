// The R50 presets against ../shared/reference/SLOWFAST_REFERENCE.md (mmaction2's published figures):
// per-stage shapes at 32x224x224, parameter counts, and conv+fc multiply-adds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tf } from "../src/backend";
import { presetConfig, SlowFast, type StagePlan } from "../src/model";
import { isNative } from "./helpers";

// The reference table, C x T x H x W (4x16x1; the 8x8x1 config differs only in slow T = 8).
const REFERENCE_CTHW: Record<string, { slow: number[]; fast: number[] }> = {
  sampling: { slow: [3, 4, 224, 224], fast: [3, 32, 224, 224] },
  conv1: { slow: [64, 4, 112, 112], fast: [8, 32, 112, 112] },
  maxpool: { slow: [64, 4, 56, 56], fast: [8, 32, 56, 56] },
  fuse_conv1: { slow: [80, 4, 56, 56], fast: [8, 32, 56, 56] },
  res2: { slow: [256, 4, 56, 56], fast: [32, 32, 56, 56] },
  fuse_res2: { slow: [320, 4, 56, 56], fast: [32, 32, 56, 56] },
  res3: { slow: [512, 4, 28, 28], fast: [64, 32, 28, 28] },
  fuse_res3: { slow: [640, 4, 28, 28], fast: [64, 32, 28, 28] },
  res4: { slow: [1024, 4, 14, 14], fast: [128, 32, 14, 14] },
  fuse_res4: { slow: [1280, 4, 14, 14], fast: [128, 32, 14, 14] },
  res5: { slow: [2048, 4, 7, 7], fast: [256, 32, 7, 7] },
};

const PRESETS = [
  { name: "slowfast_r50_4x16x1", slowT: 4, total: 34_479_288, slow: 33_043_136, laterals: 215_680, macs: 27_638_665_216 },
  { name: "slowfast_r50_8x8x1", slowT: 8, total: 34_565_560, laterals: 301_952, macs: 50_308_583_424 },
];

function toNDHWC([c, t, h, w]: number[], slowT?: number): number[] {
  return [1, slowT ?? t, h, w, c];
}

function assertReferenceShapes(stages: { name: string; slow: readonly number[] | null; fast: readonly number[] | null }[], slowT: number) {
  const names = stages.map((s) => s.name).filter((n) => n !== "head");
  assert.deepEqual(names, Object.keys(REFERENCE_CTHW));
  for (const s of stages) {
    const ref = REFERENCE_CTHW[s.name];
    if (!ref) continue;
    assert.deepEqual(s.slow, toNDHWC(ref.slow, slowT), `${s.name} slow`);
    assert.deepEqual(s.fast, toNDHWC(ref.fast), `${s.name} fast`);
  }
}

for (const ref of PRESETS) {
  test(`${ref.name}: parameters, multiply-adds and planned shapes equal the reference`, () => {
    const model = new SlowFast(presetConfig(ref.name));
    try {
      const p = model.paramCounts();
      assert.equal(p.total, ref.total);
      assert.equal(p.laterals, ref.laterals);
      assert.equal(p.fast, 514_152);
      assert.equal(p.head, 922_000);
      if (ref.slow) assert.equal(p.slow, ref.slow);
      assert.equal(p.slow + p.fast + p.head, p.total);
      const plan: StagePlan[] = model.plan(1);
      assert.equal(plan.reduce((a, s) => a + s.macs, 0), ref.macs);
      assertReferenceShapes(plan, ref.slowT);
    } finally {
      model.dispose();
    }
  });

  // A real 32x224x224 forward pass costs 28-50 G multiply-adds: seconds on the native backend,
  // minutes on pure JS, so it runs where the native backend is (the plan test above runs everywhere).
  test(`${ref.name}: a real forward pass at 32x224x224 produces the reference shapes`, { skip: isNative() ? false : "needs the native backend (minutes on pure JS)" }, () => {
    const model = new SlowFast(presetConfig(ref.name));
    const clip = tf.randomNormal(model.inputShape(1), 0, 1, "float32", 1) as tf.Tensor5D;
    try {
      const { logits, stages } = model.forward(clip, { intermediates: true });
      assertReferenceShapes(stages.map((s) => ({ name: s.name, slow: s.slow?.shape ?? null, fast: s.fast?.shape ?? null })), ref.slowT);
      assert.deepEqual(logits.shape, [1, 400]);
      assert.ok(logits.dataSync().every(Number.isFinite));
      tf.dispose([logits, ...stages.flatMap((s) => [s.slow, s.fast]).filter((t): t is tf.Tensor5D => t !== null)]);
    } finally {
      clip.dispose();
      model.dispose();
    }
  });
}
