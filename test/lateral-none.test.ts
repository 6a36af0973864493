// lateral.kind "none": both pathways, no lateral connections, so they meet only in the head.
// Notebook 10 trains it against the three lateral variants. Small enough for the pure-JS backend.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tf } from "../src/backend";
import { EXPANSION, Lateral, ParamStore, presetConfig, SlowFast, type SlowFastConfig } from "../src/model";
import { assertNoLeak } from "./helpers";

const config = (overrides: Partial<SlowFastConfig> = {}) => presetConfig("slowfast_test", overrides);
const NONE = { lateral: { kind: "none", kernelT: 5 } } as const;

test('lateral "none": no fuse steps, and the slow pathway keeps its own channels at every stage', () => {
  const model = new SlowFast(config(NONE));
  const plan = model.plan(1);
  assert.deepEqual(plan.map((p) => p.name), ["sampling", "conv1", "maxpool", "res2", "res3", "res4", "res5", "head"]);
  const cfg = model.config;
  const e = EXPANSION[cfg.block];
  // slow width 8: stem 8, then 8*4, 16*4, 32*4, 64*4 (bottleneck expansion 4): no lateral channels.
  assert.deepEqual(["maxpool", "res2", "res3", "res4", "res5"].map((n) => plan.find((p) => p.name === n)!.slow![4]), [cfg.width, ...[1, 2, 4, 8].map((m) => cfg.width * m * e)]);
  assert.equal(plan.find((p) => p.name === "res5")!.fast![4], (cfg.width / cfg.betaInv) * 8 * e);
  model.dispose();
});

test('lateral "none": parameters = slow-only slow + fast-only fast + a head over both, laterals 0', () => {
  const none = new SlowFast(config(NONE));
  const slowOnly = new SlowFast(config({ pathways: "slow_only" }));
  const fastOnly = new SlowFast(config({ pathways: "fast_only" }));
  const withConv = new SlowFast(config());
  const p = none.paramCounts();
  assert.equal(p.laterals, 0);
  assert.equal(p.slow, slowOnly.paramCounts().slow);
  assert.equal(p.fast, fastOnly.paramCounts().fast);
  const k = none.config.numClasses;
  assert.equal(p.head, (slowOnly.head.inChannels + fastOnly.head.inChannels + 1) * k);
  assert.equal(p.total, p.slow + p.fast + p.head);
  // The time-strided conv model has more: its laterals, and wider first convs of res2..res5 behind them.
  assert.ok(withConv.paramCounts().slow > p.slow + withConv.paramCounts().laterals, "the fused model's slow stages take more input channels");
  // The plan's multiply-adds are those of the two pathways alone, plus the head.
  const macs = (m: SlowFast) => m.plan(1).reduce((a, s) => a + s.macs, 0);
  const headMacs = (m: SlowFast) => m.plan(1).at(-1)!.macs;
  assert.equal(macs(none) - headMacs(none), macs(slowOnly) - headMacs(slowOnly) + macs(fastOnly) - headMacs(fastOnly));
  [none, slowOnly, fastOnly, withConv].forEach((m) => m.dispose());
});

test('lateral "none": the forward matches the plan, leaks nothing, and the slow features ignore the frames only the fast pathway sees', () => {
  for (const kind of ["none", "time_strided_conv"] as const) {
    const model = new SlowFast(config({ lateral: { kind, kernelT: 5 } }), 3);
    const clip = tf.randomNormal(model.inputShape(1), 0, 1, "float32", 11) as tf.Tensor5D;
    // Frame 1 is seen by the fast pathway only (slow frames: 0, 4 of 8 with tau 4).
    const changed = tf.tidy(() => tf.concat([clip.slice([0, 0], [1, 1]), tf.randomNormal([1, 1, 32, 32, 3], 0, 1, "float32", 12), clip.slice([0, 2], [1, 6])], 1)) as tf.Tensor5D;
    const slowRes5 = (x: tf.Tensor5D) => {
      const { logits, stages } = model.forward(x, { intermediates: true });
      const res5 = stages.find((s) => s.name === "res5")!.slow!;
      const out = res5.clone();
      tf.dispose([logits, ...stages.flatMap((s) => [s.slow, s.fast]).filter((t): t is tf.Tensor5D => t !== null)]);
      return out;
    };
    const a = slowRes5(clip);
    const b = slowRes5(changed);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
    if (kind === "none") assert.equal(diff, 0, "without laterals the slow pathway must not see the fast pathway's frames");
    else assert.ok(diff > 1e-6, "with laterals the slow pathway does see them (the test can tell)");
    assertNoLeak(`forward with lateral ${kind}`, () => model.predict(clip).dispose());
    tf.dispose([a, b, clip, changed]);
    model.dispose();
  }
});

test('lateral "none": a Lateral layer of that kind is refused with a clear message; unknown kinds still list "none"', () => {
  const store = new ParamStore(0);
  assert.throws(() => new Lateral(store.scope("l"), "none", 8, 4, 5), /kind "none" has no layer/);
  store.dispose();
  assert.throws(() => config({ lateral: { kind: "sum" as never, kernelT: 5 } }), /lateral.kind must be one of time_strided_conv, time_to_channel, time_strided_sample, none, got "sum"/);
});
