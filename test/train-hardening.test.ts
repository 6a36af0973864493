// The trainer against careless and hostile use (issue 12): corrupt checkpoints, a torn metrics
// line, two runs on one folder, a run replacing another, a resume that asks for another run, NaN
// options, temporary files of killed writes, a best.ckpt whose copy was interrupted.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runOptionsFrom, type TrainCliOptions } from "../src/cli/train";
import { presetConfig, SlowFast } from "../src/model";
import { loadCheckpoint, saveCheckpoint } from "../src/train/checkpoint";
import { readMetrics } from "../src/train/metrics";
import { MMACTION2_SGD } from "../src/train/optimizer";
import { train, type TrainOptions } from "../src/train/trainer";
import { memorySource } from "./memory-source";

const config = presetConfig("slowfast_test");
const made: string[] = [];
const tmp = () => made[made.push(mkdtempSync(join(tmpdir(), "slowfast-harden-"))) - 1];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const source = (batches = 1) => memorySource(config, batches, 2);
const options = (outDir: string, epochs = 1): TrainOptions => ({
  epochs,
  optimizer: MMACTION2_SGD,
  warmupEpochs: 0,
  clipNorm: 40,
  seed: 3,
  outDir,
  classes: Array.from({ length: config.numClasses }, (_, i) => `class${i}`),
  progressBar: false,
  log: () => undefined,
});

/** Trains a fresh model (1 batch per epoch unless `batches`); returns the result. */
async function run(opts: TrainOptions, batches = 1, val = true) {
  const model = new SlowFast(config, 7);
  try {
    return await train(model, source(batches), val ? source(1) : undefined, opts);
  } finally {
    model.dispose();
  }
}

/** Overwrites `count` bytes in the middle of `file` with 0xFF, as the test did. */
async function scribble(file: string, count = 4000): Promise<void> {
  const fh = await open(file, "r+");
  const { size } = await fh.stat();
  await fh.write(Buffer.alloc(count, 0xff), 0, count, Math.floor(size / 2));
  await fh.close();
}

test("defect 2: a checkpoint with 4,000 bytes of 0xFF is refused by name, by load and by --resume", async () => {
  const dir = tmp();
  await run(options(dir, 1));
  const last = join(dir, "last.ckpt");
  await scribble(last);
  await assert.rejects(loadCheckpoint(last), /last\.ckpt: checksum mismatch, the file is corrupt/);
  await assert.rejects(run({ ...options(dir, 2), resume: true }), (err: Error) => /last\.ckpt: checksum mismatch/.test(err.message) && !/--lr/.test(err.message));
});

test("defect 2: non-finite values are never written, and refused on load (version-1 files, no checksum)", async () => {
  const dir = tmp();
  const model = new SlowFast(config, 1);
  try {
    model.params.entries.get("head.fc.weight")!.variable.assign(model.params.entries.get("head.fc.weight")!.variable.mul(NaN));
    await assert.rejects(saveCheckpoint(join(dir, "nan.ckpt"), { config, epoch: 1, step: 1, classes: [] }, model), /nan\.ckpt: not written, model\/head\.fc\.weight holds \d+ non-finite value/);
    assert.deepEqual(readdirSync(dir), [], "nothing written, not even a temporary file");
  } finally {
    model.dispose();
  }
  // A version-1 file (the layout without the checksum) whose values went NaN.
  const good = new SlowFast(config, 1);
  await saveCheckpoint(join(dir, "v2.ckpt"), { config, epoch: 1, step: 1, classes: [] }, good);
  good.dispose();
  const v2 = readFileSync(join(dir, "v2.ckpt"));
  const v1 = Buffer.from(v2.subarray(0, v2.length - 32));
  v1.write("SFCKPT1\n", 0, "latin1");
  v1.writeFloatLE(NaN, v1.length - 4);
  writeFileSync(join(dir, "v1.ckpt"), v1);
  await assert.rejects(loadCheckpoint(join(dir, "v1.ckpt")), /v1\.ckpt: .* holds 1 non-finite value\(s\)/);
});

test("defect 3: a torn last line in metrics.jsonl neither blocks --resume nor a new run", async () => {
  const dir = tmp();
  await run(options(dir, 1));
  const metrics = join(dir, "metrics.jsonl");
  writeFileSync(metrics, readFileSync(metrics, "utf8") + '{"epoch":2,"step":2,"lr":0.0'); // killed mid-append
  const resumed = await run({ ...options(dir, 2), resume: true });
  assert.deepEqual(resumed.metrics.map((m) => m.epoch), [1, 2]);
  assert.deepEqual((await readMetrics(metrics)).map((m) => m.epoch), [1, 2]);
  writeFileSync(metrics, readFileSync(metrics, "utf8") + '{"epoch":3,"st');
  const fresh = await run(options(dir, 1));
  assert.deepEqual(fresh.metrics.map((m) => m.epoch), [1]);
  assert.deepEqual((await readMetrics(metrics)).map((m) => m.epoch), [1]);
});

test("defect 4: a second run on the same folder at the same time is refused; the first is untouched", async () => {
  const dir = tmp();
  const first = run(options(dir, 2));
  await new Promise((r) => setTimeout(r, 50)); // the first has locked the folder
  await assert.rejects(run(options(dir, 2)), /another training run \(this process, started .*\) is using this folder/);
  const r = await first;
  assert.deepEqual((await readMetrics(join(dir, "metrics.jsonl"))).map((m) => m.epoch), [1, 2]);
  assert.equal(r.metrics.length, 2);
  assert.ok(!existsSync(join(dir, ".lock")), "the lock is gone after the run");
});

test("defect 5: an existing run is not replaced unless asked; --resume on a folder without a run is an error", async () => {
  const dir = tmp();
  await run(options(dir, 1));
  await assert.rejects(run({ ...options(dir, 1), existing: "refuse" }), /already holds a training run \(slowfast_test, epoch 1 of 1\); add --resume to continue it, --overwrite to replace it/);
  await assert.rejects(run({ ...options(tmp(), 1), resume: true }), /--resume: .* holds no last\.ckpt to resume from; check --out/);
  // Replacing starts clean: the old run's best.ckpt does not survive into a run without validation.
  await run(options(dir, 1), 1, false);
  const best = await loadCheckpoint(join(dir, "best.ckpt"));
  assert.equal(best.meta.bestEpoch, 0, "best.ckpt is the new run's, not the old one's");
  // The CLI refuses unless --overwrite.
  const cli = { optimizer: "sgd", out: dir } as TrainCliOptions;
  assert.equal(runOptionsFrom(cli).existing, "refuse");
  assert.equal(runOptionsFrom({ ...cli, overwrite: true }).existing, "replace");
});

test("defect 6: --resume with another batch size (steps per epoch) or seed is refused, naming both values", async () => {
  const dir = tmp();
  await run(options(dir, 1), 3);
  await assert.rejects(run({ ...options(dir, 2), resume: true }, 2), /was trained with other options: steps per epoch 3 \(now 2\); resume with the same options/);
  await assert.rejects(run({ ...options(dir, 2), resume: true, seed: 4 }, 3), /--seed 3 \(now 4\)/);
  await assert.rejects(run({ ...options(dir, 2), resume: true, sameOnResume: { batchSize: 4 } }, 3), /--batch unset \(now 4\)/);
});

test("defect 7: a NaN or negative warm-up is named as such before training, not blamed on --lr", async () => {
  await assert.rejects(run({ ...options(tmp(), 1), warmupEpochs: NaN }), /train: --warmup must be a number >= 0, got NaN/);
  await assert.rejects(run({ ...options(tmp(), 1), warmupEpochs: -5 }), /--warmup must be a number >= 0, got -5/);
  await assert.rejects(run({ ...options(tmp(), 1), optimizer: { ...MMACTION2_SGD, lr: Infinity } }), /--lr must be a positive number, got Infinity/);
});

test("defect 8: temporary files of killed writes are removed; a best.ckpt whose copy was killed is made again", async () => {
  const dir = tmp();
  await run(options(dir, 1));
  for (let i = 0; i < 6; i++) writeFileSync(join(dir, `.last.ckpt.99999${i}.0123abcd.tmp`), "half a checkpoint");
  rmSync(join(dir, "best.ckpt")); // killed between writing last.ckpt (best epoch 1) and copying it
  const lines: string[] = [];
  await run({ ...options(dir, 2), resume: true, log: (l) => lines.push(l) });
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith(".tmp")), []);
  assert.ok(lines.some((l) => /removed 6 temporary file\(s\)/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => /best\.ckpt is missing \(its copy was interrupted\); copied again/.test(l)), lines.join("\n"));
  const last = await loadCheckpoint(join(dir, "last.ckpt"));
  const best = await loadCheckpoint(join(dir, "best.ckpt"));
  assert.equal(best.meta.epoch, last.meta.bestEpoch);
});
