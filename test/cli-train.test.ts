// The training commands end to end on a small synthetic set: `slowfast train` writes checkpoints,
// metrics, eval.json and a self-contained report and ends with the top-1/chance line; `slowfast
// eval` tests the checkpoint with several clips per video; bad data stops before training starts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateSynthDataset } from "../src/data/synth";

const CLI = join(__dirname, "..", "bin", "slowfast.js");

function slowfast(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("slowfast train + eval on a small synthetic set", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slowfast-cli-"));
  const data = join(dir, "data");
  await generateSynthDataset(data, { seed: 2, clipsPerClass: 4 });
  const out = join(dir, "run");
  const r = slowfast(["train", "--data", data, "--preset", "slowfast_test", "--epochs", "2", "--batch", "4", "--test-clips", "2", "--out", out]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  assert.match(lines[0], /^backend: /);
  assert.match(lines[lines.length - 1], /^test top-1 \d+\.\d% \(chance 12\.5%\) on \d+ test videos; report: .*report\.html$/);
  for (const f of ["last.ckpt", "best.ckpt", "metrics.jsonl", "eval.json", "report.html"]) assert.ok(existsSync(join(out, f)), `${f} written`);
  const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(metrics.map((m) => m.epoch), [1, 2]);
  const evaluation = JSON.parse(readFileSync(join(out, "eval.json"), "utf8"));
  assert.equal(evaluation.confusion.length, 8);
  assert.equal(evaluation.confusion.flat().reduce((a: number, b: number) => a + b, 0), evaluation.videos);
  const html = readFileSync(join(out, "report.html"), "utf8");
  assert.ok(html.includes("Plotly.newPlot(\"confusion\""), "confusion matrix plot");
  assert.ok(!/<script src=/.test(html), "no external scripts: the report opens offline");

  const e = slowfast(["eval", "--checkpoint", join(out, "last.ckpt"), "--data", data, "--test-clips", "3", "--json"]);
  assert.equal(e.code, 0, e.err);
  const ev = JSON.parse(e.out);
  assert.equal(ev.views, 3);
  assert.equal(ev.videos, evaluation.videos);

  const wrong = slowfast(["eval", "--checkpoint", join(dir, "absent.ckpt"), "--data", data]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.err, /absent\.ckpt: cannot read \(ENOENT\)/);
});

test("slowfast train stops before training when no clip of a split is readable", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slowfast-cli-bad-"));
  const data = join(dir, "data");
  await generateSynthDataset(data, { seed: 2, clipsPerClass: 2 });
  // Overwrite every test clip with text: the run must stop before its first epoch.
  const testList = readFileSync(join(data, "ucfTrainTestlist", "testlist01.txt"), "utf8").trim().split(/\r?\n/);
  for (const line of testList) writeFileSync(join(data, "UCF-101", line.trim()), "not a video");
  const r = slowfast(["train", "--data", data, "--preset", "slowfast_test", "--epochs", "1", "--out", join(dir, "run")]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /test split: none of the \d+ clips is readable \(first problem: .*\.avi: /);
  assert.doesNotMatch(r.out, /epoch 1\/1/);
});
