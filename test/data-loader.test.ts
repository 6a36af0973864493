// ClipLoader on a small synth-motion set: shapes, determinism under (seed, epoch), the frame cache,
// test-time views, no tensor leaks, and the `slowfast data check --json` shape.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { tf } from "../src/backend";
import { ClipLoader, preflight, sharedFrameCache, type LoaderOptions } from "../src/data/loader";
import { denormalize } from "../src/data/pipeline";
import { generateSynthDataset } from "../src/data/synth";
import { loadUcf101, type VideoDataset } from "../src/data/ucf101";
import { tempDir } from "./fixtures-data";

const tmp = tempDir("loader");
after(tmp.cleanup);
const root = join(tmp.dir, "synth");
let ds: VideoDataset;

const base = (over: Partial<LoaderOptions> = {}): LoaderOptions => ({
  batchSize: 4, clipLen: 8, frameInterval: 2, numClips: 1, size: 32, mode: "train", seed: 11, prefetch: 1, ...ds.augment, ...over,
});

async function collect(loader: ClipLoader, epoch: number): Promise<{ data: Float32Array[]; labels: number[][]; shapes: number[][] }> {
  const out = { data: [] as Float32Array[], labels: [] as number[][], shapes: [] as number[][] };
  for await (const b of loader.batches(epoch)) {
    out.data.push(b.clips.dataSync() as Float32Array);
    out.labels.push([...b.labels.dataSync()]);
    out.shapes.push(b.clips.shape);
    tf.dispose([b.clips, b.labels]);
  }
  return out;
}

before(async () => {
  await generateSynthDataset(root, { seed: 5, clipsPerClass: 2 });
  ds = await loadUcf101(root);
  const pf = await preflight([...ds.train, ...ds.test], { clipLen: 8, frameInterval: 2 });
  assert.equal(pf.bad.length, 0);
});

describe("ClipLoader", () => {
  it("yields NDHWC float batches with int32 labels matching the entries", async () => {
    const loader = new ClipLoader(ds.train, base());
    assert.equal(loader.batchesPerEpoch, Math.floor(ds.train.length / 4));
    const before = tf.memory().numTensors;
    let n = 0;
    for await (const b of loader.batches(0)) {
      assert.deepEqual(b.clips.shape, [4, 8, 32, 32, 3]);
      assert.equal(b.clips.dtype, "float32");
      assert.equal(b.labels.dtype, "int32");
      assert.deepEqual([...b.labels.dataSync()], b.entries.map((e) => e.label));
      const v = b.clips.dataSync();
      // normalised: roughly zero-centred, no raw 0..255 bytes
      assert.ok(Math.max(...v.subarray(0, 5000)) < 3 && Math.min(...v.subarray(0, 5000)) > -3);
      tf.dispose([b.clips, b.labels]);
      n++;
    }
    assert.equal(n, loader.batchesPerEpoch);
    assert.equal(tf.memory().numTensors, before);
  });

  it("is deterministic under (seed, epoch), whatever order decodes finish in", async () => {
    const a = await collect(new ClipLoader(ds.train, base({ concurrency: 1 })), 0);
    const b = await collect(new ClipLoader(ds.train, base({ concurrency: 3, cacheBytes: 0 })), 0);
    assert.deepEqual(a.labels, b.labels);
    a.data.forEach((d, k) => assert.deepEqual(d, b.data[k]));
    const c = await collect(new ClipLoader(ds.train, base()), 1);
    assert.notDeepEqual(c.data[0], a.data[0], "another epoch gets other offsets, crops and order");
  });

  it("decodes each video once and serves later epochs from the cache", async () => {
    const loader = new ClipLoader(ds.train, base({ batchSize: 2, cacheBytes: 64 * 2 ** 20 })); // private cache
    await collect(loader, 0);
    const s0 = loader.stats();
    assert.equal(s0.cacheMisses, ds.train.length);
    assert.equal(s0.cachedVideos, ds.train.length);
    await collect(loader, 1);
    const s1 = loader.stats();
    assert.equal(s1.cacheMisses, s0.cacheMisses);
    assert.equal(s1.cacheHits, ds.train.length);
    assert.ok(loader.clipsPerSecond() > 0);
    // a cache too small for any video falls back to decoding only the sampled frames
    const small = new ClipLoader(ds.train, base({ cacheBytes: 1000 }));
    await collect(small, 0);
    assert.equal(small.stats().cachedVideos, 0);
  });

  it("shares the process-wide cache between loaders by default", async () => {
    sharedFrameCache().clear();
    const val = new ClipLoader(ds.test, base({ mode: "test" }));
    await collect(val, 0);
    const multi = new ClipLoader(ds.test, base({ mode: "test", numClips: 3 }));
    await collect(multi, 0);
    assert.equal(val.stats().cacheMisses, ds.test.length);
    assert.equal(multi.stats().cacheMisses, 0, "the second loader finds every test video decoded");
    assert.equal(sharedFrameCache().size, ds.test.length);
  });

  it("test mode: evenly spaced clips and three crops, views grouped per video", async () => {
    const loader = new ClipLoader(ds.test, base({ mode: "test", numClips: 2, crops: 3, batchSize: 3 }));
    const before = tf.memory().numTensors;
    const got = await collect(loader, 0);
    assert.deepEqual(got.shapes[0], [3 * 2 * 3, 8, 32, 32, 3]);
    assert.equal(got.labels.flat().length, ds.test.length);
    // no randomness in test mode: two epochs give the same views in the same order
    const again = await collect(loader, 7);
    assert.deepEqual(again.data[0], got.data[0]);
    assert.equal(tf.memory().numTensors, before);
  });

  it("leaves no tensor behind when the consumer stops early", async () => {
    const before = tf.memory().numTensors;
    const loader = new ClipLoader(ds.train, base({ batchSize: 2, prefetch: 3 }));
    for await (const b of loader.batches(0)) {
      tf.dispose([b.clips, b.labels]);
      break;
    }
    await new Promise((r) => setTimeout(r, 300)); // decodes already running finish and are dropped
    assert.equal(tf.memory().numTensors, before);
  });

  it("does not flip synth-motion (kit.json) but flips by default", async () => {
    assert.equal(ds.augment.flip, false);
    // With flip on, some clips of the same (seed, epoch) come out mirrored: compare one clip both ways.
    const off = await collect(new ClipLoader(ds.train, base({ flip: false })), 0);
    const on = await collect(new ClipLoader(ds.train, base({ flip: true })), 0);
    const mirroredSomewhere = off.data.some((d, k) => {
      const a = denormalize(d);
      const b = denormalize(on.data[k]);
      return Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0;
    });
    assert.ok(mirroredSomewhere, "flip: true should mirror about half the clips");
  });

  it("rejects impossible options with the option's name", () => {
    assert.throws(() => new ClipLoader(ds.train, base({ clipLen: 0 })), /clipLen must be a positive integer/);
    assert.throws(() => new ClipLoader([], base()), /no clips/);
    assert.throws(() => new ClipLoader(ds.train, base({ crops: 3 })), /three crops are a test-time view/);
  });
});

describe("slowfast data check --json", () => {
  it("prints {splits: {train, test}, classes, clips: [...]} for the tree", () => {
    const bin = resolve(__dirname, "..", "bin", "slowfast.js");
    const r = spawnSync(process.execPath, [bin, "data", "check", "--root", root, "--json"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      splits: Record<"train" | "test", { listed: number; found: number; missing: number; unreadable: number }>;
      classes: number;
      clips: { path: string; split: string; label: number; frames: number; width: number; height: number; fps: number; error?: string }[];
    };
    assert.deepEqual(report.splits.train, { listed: ds.train.length, found: ds.train.length, missing: 0, unreadable: 0 });
    assert.equal(report.splits.test.listed, ds.test.length);
    assert.equal(report.classes, 8);
    assert.equal(report.clips.length, 16);
    const c = report.clips[0];
    assert.deepEqual(Object.keys(c).sort(), ["fps", "frames", "height", "label", "path", "split", "width"]);
    assert.deepEqual([c.width, c.height, c.fps], [80, 80, 25]);
  });
});
