// Crash safety (issue 12): a training run killed with SIGKILL at random points, inside every kind
// of write too (src/train/faults.ts numbers them), 20 times, and resumed each time. After every
// kill each checkpoint found is complete and verified (checksum, finite values) and metrics.jsonl
// parses; every run that reaches its end has the metrics and weights of an uninterrupted run, and
// leaves no temporary file and no lock behind.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync as makeTemp, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { tf } from "../src/backend";
import { Rng } from "../src/data/rng";
import { loadCheckpoint } from "../src/train/checkpoint";
import { readMetrics, type EpochMetrics } from "../src/train/metrics";

const CHILD = join(__dirname, "faults-child.ts");
const made: string[] = [];
const mkdtempSync = (prefix: string) => made[made.push(makeTemp(prefix)) - 1];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const KILLS = 20;

function child(outDir: string, resume: boolean, killAt: number) {
  const r = spawnSync(process.execPath, ["--import", "tsx", CHILD, outDir, resume ? "1" : "0"], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, SLOWFAST_KILL_AT: String(killAt) },
  });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** Every checkpoint in `dir` loads (verified) and metrics.jsonl has only whole lines. */
async function verifyFolder(dir: string, after: string): Promise<void> {
  for (const f of ["last.ckpt", "best.ckpt"]) {
    if (!existsSync(join(dir, f))) continue;
    const c = await loadCheckpoint(join(dir, f)).catch((err: Error) => assert.fail(`after ${after}: ${err.message}`));
    tf.dispose([...c.model.values(), ...c.optimizer.map((w) => w.tensor)]);
  }
  await readMetrics(join(dir, "metrics.jsonl")).catch((err: Error) => assert.fail(`after ${after}: ${err.message}`));
}

async function sameAsReference(dir: string, ref: EpochMetrics[], refWeights: Map<string, tf.Tensor>, what: string): Promise<void> {
  const got = await readMetrics(join(dir, "metrics.jsonl"));
  assert.deepEqual(got.map((m) => [m.epoch, m.step, m.lr]), ref.map((m) => [m.epoch, m.step, m.lr]), what);
  got.forEach((m, i) => {
    assert.ok(Math.abs(m.trainLoss - ref[i].trainLoss) < 1e-5, `${what}: epoch ${m.epoch} train loss ${m.trainLoss} vs ${ref[i].trainLoss}`);
    assert.equal(m.valTop1, ref[i].valTop1, `${what}: epoch ${m.epoch} val top-1`);
  });
  const last = await loadCheckpoint(join(dir, "last.ckpt"));
  for (const [name, t] of last.model) {
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(t, refWeights.get(name)!))).dataSync()[0]);
    assert.ok(diff < 1e-5, `${what}: ${name} differs by ${diff}`);
  }
  tf.dispose([...last.model.values(), ...last.optimizer.map((w) => w.tensor)]);
  const left = readdirSync(dir).filter((n) => n.endsWith(".tmp") || n === ".lock");
  assert.deepEqual(left, [], `${what}: temporary files or a lock left behind`);
}

test(`killed ${KILLS} times at random points, inside every write too, a run resumes to the uninterrupted result`, { timeout: 600_000 }, async (t) => {
  const refDir = mkdtempSync(join(tmpdir(), "slowfast-faults-ref-"));
  const ref = child(refDir, false, 0);
  assert.equal(ref.status, 0, ref.err);
  const points = Number(/fault points: (\d+)/.exec(ref.out)?.[1]);
  assert.ok(points > 10, `the run passed ${points} fault points`);
  const refMetrics = await readMetrics(join(refDir, "metrics.jsonl"));
  const refWeights = (await loadCheckpoint(join(refDir, "last.ckpt"))).model;

  const rng = new Rng(Number(process.env.SLOWFAST_FAULT_SEED ?? 12));
  const kinds = new Set<string>();
  let dir = mkdtempSync(join(tmpdir(), "slowfast-faults-"));
  let kills = 0;
  let completed = 0;
  for (let attempt = 1; kills < KILLS; attempt++) {
    assert.ok(attempt <= 3 * KILLS, `only ${kills} kills in ${attempt - 1} attempts`);
    const killAt = 1 + rng.int(points);
    const r = child(dir, existsSync(join(dir, "last.ckpt")), killAt);
    if (r.signal === "SIGKILL") {
      kills++;
      const where = /killed at point \d+ \((.*)\)/.exec(r.err)?.[1] ?? "?";
      kinds.add(where.replace(/^\S+: /, ""));
      await verifyFolder(dir, `kill ${kills} (${where})`);
      continue;
    }
    // The killAt came after the end of this (resumed) run: it is complete, and must be the reference.
    assert.equal(r.status, 0, r.err);
    await sameAsReference(dir, refMetrics, refWeights, `run ${++completed}, completed after kills`);
    dir = mkdtempSync(join(tmpdir(), "slowfast-faults-"));
  }
  const last = child(dir, existsSync(join(dir, "last.ckpt")), 0);
  assert.equal(last.status, 0, last.err);
  await sameAsReference(dir, refMetrics, refWeights, "the last run");
  t.diagnostic(`${kills} kills (${[...kinds].join("; ")}), ${completed + 1} runs completed, ${points} fault points per run`);
  for (const k of ["half written", "written, not renamed", "renamed", "copied, not flushed"]) assert.ok(kinds.has(k), `no kill ${k}; hit: ${[...kinds].join(", ")}`);
  tf.dispose([...refWeights.values()]);
});
