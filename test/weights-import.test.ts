// Import: mmaction2's real checkpoint files (test/fixtures/mmaction2/<preset>/weights.pth, written
// by torch.save in `npm run fixtures` from mmaction2's real model) read by the kit's own zip +
// pickle reader, the preset inferred from the shapes, and the forward pass equal to mmaction2's
// recorded stages and logits (relative 1e-4). Then export: the same tensors come back out under
// mmaction2's keys, in mmaction2's state_dict order, bit for bit. No Python needed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { tf } from "../src/backend";
import { presetConfig } from "../src/model";
import { buildModel, encodeMmaction2Checkpoint, inferConfig, mmaction2Tensors, readMmaction2Checkpoint, stateDictOf } from "../src/interop/mmaction2";
import { parseTorchFile } from "../src/interop/torch_file";
import { ZipReader } from "../src/interop/zip";
import { relMaxDiff } from "./helpers";
import { Fixture, fixtureCheckpoint, REGENERATE } from "./mmaction2-fixture";

const TOLERANCE = 1e-4;

for (const preset of ["slowfast_test", "slowfast_tiny"]) {
  test(`${preset}: weights.pth -> import -> every stage and the logits equal mmaction2's; export gives the same bytes back`, async () => {
    const before = tf.memory().numTensors;
    const fx = new Fixture(preset);
    const current = presetConfig(preset);
    assert.equal(JSON.stringify(fx.index.config), JSON.stringify(fx.index.config && { ...fx.index.config, ...current }), `fixtures for ${preset} were made for another config; ${REGENERATE}`);
    const file = fixtureCheckpoint(preset);
    const sd = await readMmaction2Checkpoint(file);
    assert.equal(sd.format, "zip");
    assert.equal(sd.container, "state_dict");
    assert.equal(sd.meta.preset, preset, "meta read as plain values");

    // The reader: every key of mmaction2's state_dict, in its order, with the fixture's values.
    assert.deepEqual([...sd.tensors.keys()], Object.keys(fx.index.weights));
    for (const [key, ref] of sd.tensors) {
      const expected = fx.tensor(fx.index.weights[key]);
      if (key.endsWith(".num_batches_tracked")) assert.equal(ref.dtype, "int64", key); // a 0-dim int64, stored as [1] in tensors.bin
      else assert.deepEqual(ref.shape, expected.shape, key);
      assert.deepEqual(Array.from(ref.toFloat32()), Array.from(expected.dataSync()), `${key}: values differ from the fixture`);
      expected.dispose();
    }

    const inferred = inferConfig(file, sd);
    assert.equal(inferred.config.name, preset);
    assert.match(inferred.how, /inferred from the shapes/);
    const model = buildModel(file, sd, inferred.config);
    try {
      const input = fx.tensor(fx.index.input) as tf.Tensor5D;
      const run = model.forward(input, { intermediates: true });
      const errors: string[] = [];
      for (const stage of run.stages) {
        const ref = fx.index.stages[stage.name];
        if (!ref) continue; // left out of the fixture for size
        for (const side of ["slow", "fast"] as const) {
          const expected = fx.tensor(ref[side]);
          const err = relMaxDiff(stage[side]!, expected);
          if (!(err <= TOLERANCE)) errors.push(`${stage.name} ${side}: ${err.toExponential(2)}`);
          expected.dispose();
        }
      }
      const logits = fx.tensor(fx.index.logits);
      const logitErr = relMaxDiff(run.logits, logits);
      console.log(`${preset}: ${Object.keys(fx.index.stages).length} stages and the logits vs mmaction2, logits max rel err ${logitErr.toExponential(2)}`);
      assert.ok(logitErr <= TOLERANCE, `logits: ${logitErr}`);
      assert.deepEqual(errors, [], "stages over the tolerance");
      tf.dispose([input, logits, run.logits, ...run.stages.flatMap((s) => [s.slow, s.fast].filter((t): t is tf.Tensor5D => t !== null))]);

      // Export: mmaction2's keys and order, PyTorch layouts, the very same float32 values.
      const out = mmaction2Tensors(model);
      assert.deepEqual(out.map(([k]) => k), [...sd.tensors.keys()]);
      for (const [key, t] of out) {
        const ref = sd.tensors.get(key)!;
        assert.deepEqual(t.shape, ref.shape, key);
        if (key.endsWith("num_batches_tracked")) assert.ok(t.data instanceof BigInt64Array);
        else assert.deepEqual(Array.from(t.data as Float32Array), Array.from(ref.toFloat32()), `${key}: exported values differ`);
      }
      const bytes = encodeMmaction2Checkpoint(model, { note: "test" });
      for (const e of new ZipReader(bytes).entries.values()) if (e.name.includes("/data/")) assert.equal(e.dataOffset % 64, 0, `${e.name} is 64-byte aligned, as torch.save writes`);
      const back = stateDictOf("exported", parseTorchFile(bytes));
      assert.deepEqual([...back.tensors.keys()], [...sd.tensors.keys()]);
      assert.deepEqual(back.meta, { note: "test" });
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before, "import and export leave no tensor behind");
  });
}

// A .pth holds the preset's parameters once in float32 (+ a few kB of zip and pickle): a larger file
// means the writer duplicated something. slowfast_tiny has 1,403,200 parameters (5.6 MB); its
// tensors.bin holds them again, as the independent values the reader is checked against above.
test("the fixtures' .pth files hold each parameter once", () => {
  for (const preset of ["slowfast_test", "slowfast_tiny"]) {
    const params = new Fixture(preset).index.paramCount.mmaction2;
    const bytes = readFileSync(fixtureCheckpoint(preset)).length;
    assert.ok(bytes < 4 * params * 1.05 + 200e3, `${preset}: weights.pth is ${bytes} bytes for ${params} float32 parameters`);
  }
});
