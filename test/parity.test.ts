// Parity with mmaction2's REAL SlowFast (ResNet3dSlowFast + SlowFastHead at the commit recorded in
// each fixture), not with a re-implementation. The fixtures under test/fixtures/mmaction2/<preset>/
// were made once by `npm run fixtures` (scripts/reference/make_fixtures.py) and are committed; this
// test reads only them, never ../shared, Python or PyTorch.
//
// Per preset: mmaction2's randomised weights (BN statistics included) load through the name and
// layout mapping of src/model/mmaction2_keys.ts; then, on a batch-2 clip, every stage output and the
// logits (eval mode), and the loss, logits, every gradient and the updated BN running statistics
// after one training-mode forward (batch statistics, dropout off) must match. Error per tensor =
// max |kit - mmaction2| / max |mmaction2| (the reference ran in float64), at most TOLERANCE.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tf } from "../src/backend";
import { presetConfig, SlowFast, STAGE_NAMES } from "../src/model";
import { kitParamName, loadMmaction2StateDict, toKitLayout } from "../src/model/mmaction2_keys";
import { crossEntropy } from "../src/train/loss";
import { relMaxDiff } from "./helpers";
import { Fixture, REGENERATE } from "./mmaction2-fixture";

const PRESETS = ["slowfast_tiny", "slowfast_test"];
const TOLERANCE = 1e-4;
/**
 * Gradients may differ by up to this multiple of PyTorch's own float32 error against the float64
 * reference (index.json "torchFloat32GradRelErr", made by make_fixtures.py) where that floor is
 * above TOLERANCE: train-mode batch norm over few values (the deep stages of a 48x48 input)
 * amplifies rounding, and two float32 implementations that sum in other orders differ by a few times it.
 */
const FLOOR_FACTOR = 4;
/** The stage names forward({intermediates: true}) returns, in order (src/model/slowfast.ts). */
const KIT_STAGES = ["sampling", "conv1", "maxpool", "fuse_conv1", ...STAGE_NAMES.flatMap((s) => (s === "res5" ? [s] : [s, `fuse_${s}`]))];

/** One compared tensor; `error` is NaN with `problem` set when the shapes differ. */
interface Comparison {
  category: string;
  name: string;
  error: number;
  /** Allowed error: TOLERANCE, or FLOOR_FACTOR x the float32 noise floor where that is larger. */
  tolerance: number;
  problem?: string;
}

class Comparisons {
  readonly rows: Comparison[] = [];

  /** Compares the kit's tensor with the fixture's (disposes neither). */
  tensor(category: string, name: string, kit: tf.Tensor, expected: tf.Tensor, floor = 0): void {
    const tolerance = Math.max(TOLERANCE, FLOOR_FACTOR * floor);
    if (kit.shape.join() !== expected.shape.join()) {
      this.rows.push({ category, name, error: NaN, tolerance, problem: `shape [${kit.shape}] but mmaction2 has [${expected.shape}]` });
      return;
    }
    this.rows.push({ category, name, error: relMaxDiff(kit, expected), tolerance });
  }

  scalar(category: string, name: string, kit: number, expected: number): void {
    this.rows.push({ category, name, error: Math.abs(kit - expected) / Math.max(Math.abs(expected), 1e-12), tolerance: TOLERANCE });
  }

  /** Per category: tensors compared, the largest error and where. */
  summary(): string {
    const byCategory = new Map<string, Comparison[]>();
    for (const row of this.rows) byCategory.set(row.category, [...(byCategory.get(row.category) ?? []), row]);
    return [...byCategory].map(([category, rows]) => {
      const worst = rows.reduce((a, b) => (!(a.error >= b.error) ? b : a));
      const floored = rows.filter((r) => r.tolerance > TOLERANCE).length;
      return `  ${category.padEnd(22)} ${String(rows.length).padStart(4)} tensors, max rel err ${worst.error.toExponential(2)} (${worst.name}, allowed ${worst.tolerance.toExponential(1)})` +
        (floored > 0 ? `; ${floored} above 1e-4 float32 noise floor` : "");
    }).join("\n");
  }

  /** The first comparison over the tolerance, in the order they were made (forward order). */
  firstFailure(): Comparison | undefined {
    return this.rows.find((r) => !(r.error <= r.tolerance));
  }
}

/** Fields whose values differ between two configs, as "path: a vs b". */
function configDiff(a: unknown, b: unknown, path = ""): string[] {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => configDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return a === b ? [] : [`${path}: fixture ${JSON.stringify(a)} vs preset ${JSON.stringify(b)}`];
}

function checkPreset(fx: Fixture, out: Comparisons): SlowFast {
  const { index } = fx;
  const diff = configDiff(index.config, presetConfig(fx.preset));
  assert.deepEqual(diff, [], `fixtures for ${fx.preset} were made for another config (${diff.join("; ")}); ${REGENERATE}`);
  // Dropout off: the kit drops out whenever it trains; mmaction2's train-mode reference ran without it.
  const model = new SlowFast(presetConfig(fx.preset, { dropout: 0 }));
  const weights = fx.tensors(index.weights);
  try {
    loadMmaction2StateDict(model.params, weights); // names any unknown, missing or misshapen parameter
  } finally {
    tf.dispose(Object.values(weights));
  }
  assert.equal(model.paramCounts().total, index.paramCount.mmaction2, `${fx.preset}: kit vs mmaction2 parameter count`);

  const input = fx.tensor(index.input) as tf.Tensor5D;
  const labels = tf.tensor1d(index.labels, "int32");
  const expect = (category: string, name: string, kit: tf.Tensor, id: string, layout: (t: tf.Tensor) => tf.Tensor = (t) => t, floor = 0) => {
    const raw = fx.tensor(id);
    const expected = layout(raw);
    out.tensor(category, name, kit, expected, floor);
    tf.dispose([raw, expected]);
  };
  try {
    // Eval mode: every stage present in the fixture, then the logits.
    const listed = new Set([...Object.keys(index.stages), ...index.omittedStages]);
    assert.deepEqual(KIT_STAGES.filter((s) => !listed.has(s)), [], `${fx.preset}: stages missing from the fixture; ${REGENERATE}`);
    const evalRun = model.forward(input, { intermediates: true });
    assert.deepEqual(evalRun.stages.map((s) => s.name), KIT_STAGES, "the kit's stage names changed: update KIT_STAGES and make_fixtures.py STAGES");
    for (const stage of evalRun.stages) {
      const ref = index.stages[stage.name];
      if (!ref) continue; // left out of the fixture for size (index.json "omittedStages")
      expect("stages (eval)", `${stage.name} slow`, stage.slow!, ref.slow);
      expect("stages (eval)", `${stage.name} fast`, stage.fast!, ref.fast);
    }
    expect("logits (eval)", "logits", evalRun.logits, index.logits);
    tf.dispose([evalRun.logits, ...evalRun.stages.flatMap((s) => [s.slow, s.fast].filter((t): t is tf.Tensor5D => t !== null))]);

    // Train mode: loss, logits, gradients of every trainable variable, updated running statistics.
    let trainLogits: tf.Tensor2D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.forward(input, { training: true });
      trainLogits = tf.keep(logits.clone());
      return crossEntropy(logits, labels);
    }, model.trainableVariables());
    try {
      out.scalar("loss (train)", "cross-entropy", value.dataSync()[0], index.train.loss);
      expect("logits (train)", "logits", trainLogits!, index.train.logits);
      const gradKeys = Object.keys(index.train.grads);
      assert.equal(gradKeys.length, model.trainableVariables().length, `${fx.preset}: mmaction2 parameters with a gradient vs kit trainable variables`);
      for (const key of gradKeys) {
        const name = kitParamName(key)!;
        const variable = model.params.entries.get(name)!.variable;
        const floor = index.train.torchFloat32GradRelErr?.[key];
        assert.ok(floor !== undefined, `${fx.preset}: the fixture has no float32 noise floor for ${key}; ${REGENERATE}`);
        expect("gradients (train)", name, grads[variable.name], index.train.grads[key], toKitLayout, floor);
      }
      for (const [key, id] of Object.entries(index.train.runningStatsAfter)) {
        const name = kitParamName(key)!;
        expect("BN running stats", name, model.params.entries.get(name)!.variable, id);
      }
    } finally {
      tf.dispose([value, trainLogits!, ...Object.values(grads)]);
    }
  } finally {
    tf.dispose([input, labels]);
  }
  return model;
}

for (const preset of PRESETS) {
  test(`${preset}: the kit matches mmaction2's real SlowFast (stages, logits, loss, gradients)`, () => {
    const before = tf.memory().numTensors;
    const started = Date.now();
    const fx = new Fixture(preset);
    const out = new Comparisons();
    const model = checkPreset(fx, out);
    const params = model.paramCounts().total;
    model.dispose();
    console.log(
      `${preset} vs mmaction2 ${fx.index.mmaction2Commit.slice(0, 12)} (${tf.getBackend()}, ${((Date.now() - started) / 1000).toFixed(1)} s): ` +
        `parameters kit ${params.toLocaleString("en")} / mmaction2 ${fx.index.paramCount.mmaction2.toLocaleString("en")}` +
        `${fx.index.omittedStages.length ? `; stages not in the fixture: ${fx.index.omittedStages.join(", ")}` : ""}\n${out.summary()}`,
    );
    const failure = out.firstFailure();
    assert.equal(failure, undefined, failure && `${preset}: first tensor over ${TOLERANCE}: ${failure.category} ${failure.name}: ${failure.problem ?? `rel err ${failure.error.toExponential(3)}`}`);
    assert.equal(tf.memory().numTensors, before, `${preset}: the parity check leaked ${tf.memory().numTensors - before} tensor(s)`);
  });
}
