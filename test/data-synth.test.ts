// synth-motion: UCF101 layout, split by group, deterministic, written atomically, and built so that
// the middle frame says nothing about the class.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadUcf101 } from "../src/data/ucf101";
import { generateSynthDataset, renderSynthClip, SYNTH_CLASSES, synthSplits } from "../src/data/synth";
import { inspectVideo } from "../src/data/video";
import { tempDir } from "./fixtures-data";

const tmp = tempDir("synth");
after(tmp.cleanup);
const root = join(tmp.dir, "synth-motion");

describe("synth-motion", () => {
  let seconds = 0;
  before(async () => {
    const r = await generateSynthDataset(root, { seed: 3, clipsPerClass: 4 });
    seconds = r.seconds;
    assert.equal(r.clips, 32);
  });

  it("is in UCF101's layout, with CRLF lists, 1-based labels and kit.json", async () => {
    const lists = join(root, "ucfTrainTestlist");
    assert.deepEqual((await readdir(lists)).sort(), ["classInd.txt", "kit.json", "testlist01.txt", "testlist02.txt", "testlist03.txt", "trainlist01.txt", "trainlist02.txt", "trainlist03.txt"]);
    const classInd = await readFile(join(lists, "classInd.txt"), "utf8");
    assert.ok(classInd.startsWith("1 MoveLeft\r\n2 MoveRight\r\n"));
    const train = await readFile(join(lists, "trainlist01.txt"), "utf8");
    assert.match(train, /^MoveLeft\/v_MoveLeft_g\d\d_c\d\d\.avi 1\r\n/);
    assert.ok(existsSync(join(root, "UCF-101", "MoveDownLeft", "v_MoveDownLeft_g01_c01.avi")));
    const info = await inspectVideo(join(root, "UCF-101", "MoveLeft", "v_MoveLeft_g01_c01.avi"));
    assert.deepEqual([info.width, info.height, info.fps, info.codec], [80, 80, 25, "mpeg4"]);
    assert.ok(info.frames >= 36 && info.frames <= 48);
    console.log(`# generated 32 clips in ${seconds.toFixed(2)} s`);
  });

  it("reads back through loadUcf101 with flip off and test groups apart from train groups", async () => {
    for (const split of [1, 2, 3]) {
      const ds = await loadUcf101(root, { split });
      assert.deepEqual(ds.classes, [...SYNTH_CLASSES]);
      assert.deepEqual(ds.augment, { flip: false, areaRange: [0.8, 1], aspectRange: [1, 1] });
      assert.equal(ds.train.length + ds.test.length, 32);
      const trainGroups = new Set(ds.train.map((e) => e.group));
      assert.ok(ds.test.length > 0 && ds.test.every((e) => !trainGroups.has(e.group)));
    }
    const s = synthSplits(40);
    assert.equal(s.groups.length, 10);
    assert.deepEqual(s.testGroups, [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  });

  it("has a middle frame identical across all eight classes, and different motion around it", () => {
    const clips = SYNTH_CLASSES.map((_, cls) => renderSynthClip(3, cls, 2, 1));
    const fb = 80 * 80 * 3;
    const mid = (c: (typeof clips)[number]) => Buffer.from(c.data.subarray(c.middle * fb, (c.middle + 1) * fb));
    for (const c of clips) assert.equal(Buffer.compare(mid(c), mid(clips[0])), 0, "middle frames must be pixel-identical");
    // ...while the first frames differ between the two classes of every pair,
    const first = (c: (typeof clips)[number]) => Buffer.from(c.data.subarray(0, fb));
    for (let k = 0; k < 8; k += 2) assert.notEqual(Buffer.compare(first(clips[k]), first(clips[k + 1])), 0, `${SYNTH_CLASSES[k]} vs ${SYNTH_CLASSES[k + 1]}`);
  });

  it("moves its dots visibly between the fast pathway's frames (2 apart) and not between the slow pathway's (8 apart)", () => {
    // Best normalised correlation of frame t with frame t+gap over horizontal shifts, for MoveRight.
    const c = renderSynthClip(3, SYNTH_CLASSES.indexOf("MoveRight"), 2, 1);
    const gray = (t: number) => Float64Array.from({ length: 80 * 80 }, (_, p) => c.data[(t * 6400 + p) * 3] + c.data[(t * 6400 + p) * 3 + 1] + c.data[(t * 6400 + p) * 3 + 2]);
    const ncc = (a: Float64Array, b: Float64Array, dx: number) => {
      const xs: number[] = [], ys: number[] = [];
      for (let i = 0; i < 80; i++) for (let j = Math.max(0, -dx); j < Math.min(80, 80 - dx); j++) [xs[xs.length], ys[ys.length]] = [a[i * 80 + j], b[i * 80 + j + dx]];
      const m = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
      const [mx, my] = [m(xs), m(ys)];
      let [sxy, sxx, syy] = [0, 0, 0];
      xs.forEach((x, k) => ([sxy, sxx, syy] = [sxy + (x - mx) * (ys[k] - my), sxx + (x - mx) ** 2, syy + (ys[k] - my) ** 2]));
      return sxy / Math.sqrt(sxx * syy);
    };
    const best = (gap: number) => Math.max(...Array.from({ length: 25 }, (_, dx) => ncc(gray(c.middle - gap), gray(c.middle), dx)));
    const [fast, slow] = [best(2), best(8)];
    console.log(`# best shifted correlation: 2 frames apart ${fast.toFixed(2)}, 8 frames apart ${slow.toFixed(2)}`);
    assert.ok(fast > 0.4, `frames 2 apart should share most dots (correlation ${fast.toFixed(2)})`);
    assert.ok(slow < 0.15, `frames 8 apart should share none (correlation ${slow.toFixed(2)})`);
  });

  it("is deterministic: the same seed renders the same bytes, another seed other bytes", () => {
    assert.deepEqual(renderSynthClip(3, 4, 1, 2).data, renderSynthClip(3, 4, 1, 2).data);
    assert.notDeepEqual(renderSynthClip(3, 4, 1, 2).data, renderSynthClip(4, 4, 1, 2).data);
  });

  it("reuses a complete set, and refuses to overwrite a directory that is not one", async () => {
    const before = (await stat(join(root, "ucfTrainTestlist", "kit.json"))).mtimeMs;
    const again = await generateSynthDataset(root, { seed: 3, clipsPerClass: 4 });
    assert.equal(again.clips, 32);
    assert.equal((await stat(join(root, "ucfTrainTestlist", "kit.json"))).mtimeMs, before);
    const other = join(tmp.dir, "my-photos");
    await mkdir(other);
    await writeFile(join(other, "holiday.jpg"), "x");
    await assert.rejects(generateSynthDataset(other, { clipsPerClass: 2 }), /is not a synth-motion data set/);
  });

  it("never leaves a half-written set under the final name", async () => {
    // Interrupted part-way: nothing under the final name, and no temporary directory either.
    const target = join(tmp.dir, "interrupted");
    const stop = (done: number) => {
      if (done > 0) throw new Error("interrupted by the test"); // after the first encoder job, before the lists
    };
    await assert.rejects(generateSynthDataset(target, { seed: 1, clipsPerClass: 2, onProgress: stop }), /interrupted by the test/);
    assert.ok(!existsSync(target));
    assert.deepEqual((await readdir(tmp.dir)).filter((n) => n.includes(".partial-")), []);
    // A partial directory left by a killed process is cleaned up by the next run.
    const stale = `${target}.partial-999999-dead`;
    await mkdir(join(stale, "UCF-101", "MoveLeft"), { recursive: true });
    await generateSynthDataset(target, { seed: 1, clipsPerClass: 2 });
    assert.ok(existsSync(join(target, "ucfTrainTestlist", "kit.json")));
    assert.ok(!existsSync(stale), "stale partial directory should be removed");
    assert.deepEqual((await readdir(tmp.dir)).filter((n) => n.includes(".partial-")), []);
  });
});
