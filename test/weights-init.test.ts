// `slowfast train --init W.pth`: mmaction2's fine-tuning recipe from the command line. The preset
// comes from the weights when --preset is not given; every backbone tensor is loaded; the
// classifier is new for the data set's classes; a preset whose shapes differ stops before training
// with one line naming what differs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateSynthDataset } from "../src/data/synth";
import { fixtureCheckpoint } from "./mmaction2-fixture";

const CLI = join(__dirname, "..", "bin", "slowfast.js");

function slowfast(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("slowfast train --init fixture.pth: preset from the weights, backbone loaded, new 8-class classifier; a wrong preset stops at once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slowfast-init-"));
  const data = join(dir, "data");
  await generateSynthDataset(data, { seed: 3, clipsPerClass: 3 });
  const out = join(dir, "run");
  const r = slowfast(["train", "--init", fixtureCheckpoint("slowfast_test"), "--data", data, "--epochs", "1", "--batch", "4", "--test-clips", "1", "--out", out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^init: 174 backbone tensors from .*weights\.pth \(slowfast_test\); new classifier for 8 classes \(the file's classifier has 5 classes, unnamed\), as mmaction2 fine-tunes$/m);
  assert.match(r.out, /model: slowfast_test \(slowfast\)/);
  assert.ok(existsSync(join(out, "best.ckpt")));

  const wrong = slowfast(["train", "--init", fixtureCheckpoint("slowfast_test"), "--preset", "slowfast_r50_4x16x1", "--data", data, "--epochs", "1", "--out", join(dir, "wrong")]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /^slowfast: .*weights\.pth: its weights do not fit preset slowfast_r50_4x16x1 \(slowfast\): \d+ missing .*; \d+ mis-shaped .*; the file holds slowfast_test$/m);
  assert.ok(!existsSync(join(dir, "wrong", "last.ckpt")), "nothing trained");
  rmSync(dir, { recursive: true, force: true });
});
