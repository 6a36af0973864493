// The road out: `slowfast import` -> .ckpt -> `slowfast export --to mmaction2` -> mmaction2's REAL
// model, built from the exported config's `model` dict, loads the exported checkpoint with
// strict=True (torch.load weights_only=True, as a careful mmaction2 load_checkpoint does) and gives
// the kit's logits (relative 1e-4). Also: a model fine-tuned with a new classifier (`train --init`'s
// initFromWeights) exports just as well, and the legacy (non-zip) torch format and a bare
// state_dict import. Needs PyTorch in .venv and ../shared/reference/mmaction2; skips, saying which
// is missing, without them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { tf } from "../src/backend";
import { readMmaction2Checkpoint } from "../src/interop/mmaction2";
import { encodeNpy } from "../src/interop/npy";
import { presetConfig, SlowFast } from "../src/model";
import { saveCheckpoint } from "../src/train/checkpoint";
import { initFromWeights, loadWeights } from "../src/train/weights";
import { relMaxDiff } from "./helpers";
import { Fixture, fixtureCheckpoint, REGENERATE } from "./mmaction2-fixture";
import { torchCheck } from "./torch-env";

const CLI = join(__dirname, "..", "bin", "slowfast.js");
const torch = torchCheck({ needsMmaction2: true });
const torchOnly = torchCheck({ needsMmaction2: false });

function slowfast(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 180_000 });
  assert.equal(r.status, 0, `slowfast ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The fixture's input as NCTHW .npy (what mmaction2's model takes). */
function writeInput(fx: Fixture, file: string): void {
  const x = fx.tensor(fx.index.input);
  const ncthw = tf.transpose(x, [0, 4, 1, 2, 3]);
  writeFileSync(file, encodeNpy(ncthw.shape, ncthw.dataSync() as Float32Array));
  tf.dispose([x, ncthw]);
}

/** mmaction2's logits for an exported config + checkpoint. */
function torchLogits(config: string, checkpoint: string, input: string): { keys: number; logits: number[][] } {
  const r = spawnSync(torch.python, [torch.script, "roundtrip", config, checkpoint, input], { encoding: "utf8", env: torch.env, timeout: 180_000 });
  assert.equal(r.status, 0, `mmaction2 refused the export: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

async function kitLogits(weights: string, fx: Fixture): Promise<tf.Tensor2D> {
  const w = await loadWeights(weights);
  const x = fx.tensor(fx.index.input) as tf.Tensor5D;
  const logits = w.model.predict(x);
  tf.dispose(x);
  w.model.dispose();
  return logits;
}

function exported(dir: string): { pth: string; py: string } {
  const files = readdirSync(dir);
  return { pth: join(dir, files.find((f) => f.endsWith(".pth"))!), py: join(dir, files.find((f) => f.endsWith(".py"))!) };
}

for (const preset of ["slowfast_test", "slowfast_tiny"]) {
  test(`${preset}: import -> export -> mmaction2's real model loads it strictly -> same logits`, { skip: torch.skip }, async () => {
    const fx = new Fixture(preset);
    assert.equal(JSON.stringify(fx.index.config), JSON.stringify({ ...fx.index.config, ...presetConfig(preset) }), `fixtures for ${preset} were made for another config; ${REGENERATE}`);
    const dir = mkdtempSync(join(tmpdir(), "slowfast-roundtrip-"));
    try {
      const ckpt = join(dir, "imported.ckpt");
      slowfast(["import", fixtureCheckpoint(preset), "--out", ckpt]);
      const out = slowfast(["export", "--checkpoint", ckpt, "--to", "mmaction2", "--out", join(dir, "mm"), "--gpus", "4"]);
      assert.match(out, /bash tools\/dist_train\.sh .*\.py 4/);
      const { pth, py } = exported(join(dir, "mm"));
      const input = join(dir, "input.npy");
      writeInput(fx, input);
      const mm = torchLogits(py, pth, input);
      assert.equal(mm.keys, Object.keys(fx.index.weights).length, "every key of mmaction2's state_dict, num_batches_tracked included");
      const kit = await kitLogits(ckpt, fx);
      const theirs = tf.tensor2d(mm.logits);
      const recorded = fx.tensor(fx.index.logits);
      const err = relMaxDiff(kit, theirs);
      console.log(`${preset}: exported -> mmaction2 strict load -> logits vs the kit's: max rel err ${err.toExponential(2)}`);
      assert.ok(err <= 1e-4, `logits after the round trip: ${err}`);
      assert.ok(relMaxDiff(theirs, recorded) <= 1e-4, "and equal to the fixture's (the weights went out unchanged)");

      // infer --input: the same NCTHW clip through the CLI, softmax averaged over the batch.
      const r = JSON.parse(slowfast(["infer", "--weights", pth, "--input", input, "--json"]));
      const expected = tf.tidy(() => tf.mean(tf.softmax(theirs), 0));
      assert.ok(relMaxDiff(tf.tensor1d(r.scores), expected) <= 1e-4, "infer --input scores = mmaction2's averaged softmax");
      assert.equal(r.preset, preset);
      tf.dispose([kit, theirs, recorded, expected]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("fine-tuned (train --init: new 7-class classifier) -> export -> mmaction2 loads it strictly -> same logits", { skip: torch.skip }, async () => {
  const fx = new Fixture("slowfast_test");
  const dir = mkdtempSync(join(tmpdir(), "slowfast-finetune-"));
  try {
    const classes = ["a", "b", "c", "d", "e", "f", "g"];
    const model = new SlowFast(presetConfig("slowfast_test", { numClasses: 7 }), 3);
    const line = await initFromWeights(model, fixtureCheckpoint("slowfast_test"), classes);
    assert.match(line, /new classifier for 7 classes \(the file's classifier has 5 classes/);
    const ckpt = join(dir, "finetuned.ckpt");
    await saveCheckpoint(ckpt, { config: model.config, epoch: 1, step: 12, classes }, model);
    model.dispose();
    slowfast(["export", "--checkpoint", ckpt, "--to", "mmaction2", "--out", join(dir, "mm")]);
    const { pth, py } = exported(join(dir, "mm"));
    assert.match(readFileSync(py, "utf8"), /num_classes=7/);
    const input = join(dir, "input.npy");
    writeInput(fx, input);
    const kit = await kitLogits(ckpt, fx);
    const theirs = tf.tensor2d(torchLogits(py, pth, input).logits);
    assert.ok(relMaxDiff(kit, theirs) <= 1e-4);
    tf.dispose([kit, theirs]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the legacy (non-zip) torch format and a bare state_dict import with the same tensors", { skip: torchOnly.skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "slowfast-legacy-"));
  try {
    const legacy = join(dir, "bare_legacy.pth");
    const code = `import torch; c = torch.load(${JSON.stringify(fixtureCheckpoint("slowfast_test"))}, weights_only=True); torch.save(c["state_dict"], ${JSON.stringify(legacy)}, _use_new_zipfile_serialization=False)`;
    const r = spawnSync(torchOnly.python, ["-c", code], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const got = await readMmaction2Checkpoint(legacy);
    const want = await readMmaction2Checkpoint(fixtureCheckpoint("slowfast_test"));
    assert.equal(got.format, "legacy");
    assert.equal(got.container, "top level");
    assert.deepEqual([...got.tensors.keys()], [...want.tensors.keys()]);
    for (const [k, t] of got.tensors) assert.deepEqual(Array.from(t.toFloat32()), Array.from(want.tensors.get(k)!.toFloat32()), k);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
