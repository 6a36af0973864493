// `slowfast import` + `slowfast infer` without PyTorch: the fixture checkpoint (written by
// mmaction2's code) imports into a .ckpt; infer on demo.mp4 gives the same scores from the .pth and
// from the .ckpt; --json has the documented fields; --labels that do not fit stop with one line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DEMO_VIDEO } from "../src/data/labels";
import { fixtureCheckpoint } from "./mmaction2-fixture";

const CLI = join(__dirname, "..", "bin", "slowfast.js");

function slowfast(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("slowfast import + infer on mmaction2's demo clip: .pth and .ckpt agree; --json fields; 3 crops x 2 clips", () => {
  const dir = mkdtempSync(join(tmpdir(), "slowfast-infer-"));
  const ckpt = join(dir, "w.ckpt");
  const imp = slowfast(["import", fixtureCheckpoint("slowfast_test"), "--out", ckpt]);
  assert.equal(imp.code, 0, imp.err);
  assert.match(imp.out, /preset slowfast_test inferred from the shapes/);
  assert.match(imp.out, /wrote .*w\.ckpt \(0\.\d MB\): 212,463 parameters, 5 classes \(labels: numbered\)/);

  const args = ["--video", DEMO_VIDEO, "--clips", "2", "--crops", "3", "--json"];
  const fromPth = slowfast(["infer", "--weights", fixtureCheckpoint("slowfast_test"), ...args]);
  const fromCkpt = slowfast(["infer", "--weights", ckpt, ...args]);
  assert.equal(fromPth.code, 0, fromPth.err);
  assert.equal(fromCkpt.code, 0, fromCkpt.err);
  const a = JSON.parse(fromPth.out);
  const b = JSON.parse(fromCkpt.out);
  assert.deepEqual(Object.keys(a), ["weights", "preset", "backend", "input", "top", "scores"]);
  assert.equal(a.preset, "slowfast_test");
  assert.deepEqual(a.input.views, [6, 8, 37, 37, 3], "2 clips x 3 crops of the short side (round(32 * 256/224) = 37)");
  assert.equal(a.scores.length, 5);
  assert.ok(Math.abs(a.scores.reduce((s: number, x: number) => s + x, 0) - 1) < 1e-5, "averaged softmax sums to 1");
  assert.equal(a.top.length, 5);
  assert.equal(a.top[0].score, Math.max(...a.scores));
  assert.deepEqual(b.scores, a.scores, "the .ckpt holds exactly the .pth's weights");

  const bad = slowfast(["infer", "--weights", ckpt, "--video", DEMO_VIDEO, "--labels", "ucf101"]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^slowfast: labels ucf101: 101 names for a model with 5 classes$/m);
  rmSync(dir, { recursive: true, force: true });
});
