// R50: the weights are too big to commit, so test/fixtures/mmaction2/r50_manifest.json records
// every key, shape and dtype of mmaction2's real R50 state_dicts (both presets). Without Python:
// the kit's mapping covers every key and every kit parameter, export writes exactly that key list
// in that order, and the preset is inferred from those shapes. With PyTorch and mmaction2's code
// (../shared/reference/mmaction2; the test skips, saying why, without them): a random R50 checkpoint
// is made by mmaction2's real model at test time, the kit imports it (timed) and its logits match.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { tf } from "../src/backend";
import { buildModel, inferConfig, mmaction2Layout, readMmaction2Checkpoint } from "../src/interop/mmaction2";
import { parseNpy } from "../src/interop/npy";
import { presetConfig, SlowFast } from "../src/model";
import { kitParamName, kitShape } from "../src/model/mmaction2_keys";
import { relMaxDiff } from "./helpers";
import { FIXTURES, REGENERATE } from "./mmaction2-fixture";
import { torchCheck } from "./torch-env";

interface Manifest {
  presets: Record<string, { config: unknown; paramCount: number; stateDict: [string, number[], string][] }>;
}
const MANIFEST = join(FIXTURES, "r50_manifest.json");
const manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as Manifest;

for (const [preset, entry] of Object.entries(manifest.presets)) {
  test(`${preset}: mmaction2's ${entry.stateDict.length} state_dict keys map one to one onto the kit, export writes them in order, the preset is inferred`, () => {
    assert.equal(JSON.stringify(entry.config), JSON.stringify({ ...(entry.config as object), ...presetConfig(preset) }), `manifest made for another ${preset} config; ${REGENERATE}`);
    const shapes = new Map(entry.stateDict.map(([k, s]) => [k, { shape: s }]));
    const inferred = inferConfig("manifest", { tensors: shapes, meta: {} });
    assert.equal(inferred.config.name, preset, inferred.how);

    const model = new SlowFast(presetConfig(preset));
    try {
      const covered = new Set<string>();
      for (const [key, shape] of entry.stateDict) {
        const name = kitParamName(key);
        if (name === null) continue; // num_batches_tracked
        const variable = model.params.entries.get(name)?.variable;
        assert.ok(variable, `${key} -> ${name}: not a kit parameter`);
        assert.deepEqual(variable.shape, kitShape(shape), `${key}: shape`);
        covered.add(name);
      }
      assert.deepEqual([...model.params.entries.keys()].filter((n) => !covered.has(n)), [], "kit parameters mmaction2 lacks");
      assert.equal(model.paramCounts().total, entry.paramCount, "parameter count");
      assert.deepEqual(mmaction2Layout(model).map((e) => [e.key, e.shape, e.dtype]), entry.stateDict, "export's keys, order, shapes and dtypes = mmaction2's state_dict");
    } finally {
      model.dispose();
    }
  });
}

const torch = torchCheck({ needsMmaction2: true });
test("slowfast_r50_4x16x1: a checkpoint made by mmaction2's real model at test time imports in seconds, logits equal (rel 1e-4)", { skip: torch.skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "slowfast-r50-"));
  try {
    // 64x64 instead of 224: the same weights (the head pools globally), 12x less compute.
    const made = spawnSync(torch.python, [torch.script, "r50", MANIFEST, "slowfast_r50_4x16x1", dir, "64"], { encoding: "utf8", env: torch.env, timeout: 300_000 });
    assert.equal(made.status, 0, made.stderr);
    const file = join(dir, "r50.pth");
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const sd = await readMmaction2Checkpoint(file);
    const t1 = performance.now();
    const inferred = inferConfig(file, sd);
    const model = buildModel(file, sd, presetConfig(inferred.config.name, { size: 64 }));
    const t2 = performance.now();
    try {
      const npy = parseNpy(readFileSync(join(dir, "input.npy")));
      const input = tf.tidy(() => tf.transpose(tf.tensor5d(npy.data, npy.shape as [number, number, number, number, number]), [0, 2, 3, 4, 1]));
      const logits = model.predict(input);
      const expected = tf.tensor2d(JSON.parse(readFileSync(join(dir, "logits.json"), "utf8")) as number[][]);
      const err = relMaxDiff(logits, expected);
      const mb = readFileSync(file).length / 1e6;
      console.log(`R50 checkpoint ${mb.toFixed(0)} MB: read + parse ${((t1 - t0) / 1000).toFixed(2)} s, into a SlowFast ${((t2 - t1) / 1000).toFixed(2)} s; ${inferred.how}; logits max rel err ${err.toExponential(2)}`);
      assert.equal(inferred.config.name, "slowfast_r50_4x16x1");
      assert.ok(err <= 1e-4, `logits differ from mmaction2's: ${err}`);
      assert.ok(t2 - t0 < 60_000, "reading an R50 checkpoint takes seconds, not minutes");
      tf.dispose([input, logits, expected]);
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the manifest exists", () => assert.ok(existsSync(MANIFEST)));
