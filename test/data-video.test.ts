// Decoding real AVI files the test encodes itself, and every kind of bad input (issue 5 section 4):
// missing, empty, truncated, not a video, listed but absent, too short. Each gets a message that
// names the file; preflight sorts them out before training starts.
import assert from "node:assert/strict";
import { copyFile, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tf } from "../src/backend";
import { readAviHeader } from "../src/data/avi";
import { ClipLoader, describeBad, preflight } from "../src/data/loader";
import type { ClipEntry } from "../src/data/ucf101";
import { decodeAllFrames, decodeFrames, inspectVideo, selectExpression, VideoError, type VideoProblem } from "../src/data/video";
import { checkDataset, formatCheck } from "../src/data/check";
import { frameColor, tempDir, writeSolidAvi, writeTree } from "./fixtures-data";

const tmp = tempDir("video");
after(tmp.cleanup);
const p = (name: string) => join(tmp.dir, name);
const entry = (path: string, label = 0): ClipEntry => ({ path, label, className: "A", group: 1 });

async function problemOf(path: string): Promise<VideoProblem> {
  try {
    await inspectVideo(path);
  } catch (err) {
    assert.ok(err instanceof VideoError, `expected a VideoError, got ${String(err)}`);
    assert.ok(err.message.startsWith(path), `message should start with the path: ${err.message}`);
    return err.problem;
  }
  assert.fail(`${path} inspected without error`);
}

before(async () => {
  await writeSolidAvi(p("good.avi"), 20);
  await writeSolidAvi(p("one-frame.avi"), 1);
  const full = await readFile(p("good.avi"));
  await writeFile(p("truncated.avi"), full.subarray(0, Math.floor(full.length * 0.6)));
  await writeFile(p("empty.avi"), "");
  await writeFile(p("notes.avi"), "these are my notes, not a video\n".repeat(20));
  await copyFile(p("good.avi"), p("later-broken.avi"));
  // Same size as a good file, garbage in the middle: a damaged disk or a bad copy.
  await writeSolidAvi(p("damaged.avi"), 20, 64, 48);
  const d = await readFile(p("damaged.avi"));
  for (let k = Math.floor(d.length * 0.3); k < Math.floor(d.length * 0.7); k += 7) d[k] = (d[k] * 31 + 17) & 255;
  await writeFile(p("damaged.avi"), d);
});

describe("inspectVideo and decoding", () => {
  it("reads frame count, size and fps from a real AVI", async () => {
    const info = await inspectVideo(p("good.avi"));
    assert.deepEqual([info.frames, info.width, info.height, info.fps, info.codec], [20, 32, 24, 25, "mpeg4"]);
    const header = await readAviHeader(p("good.avi"));
    assert.equal(header?.totalFrames, 20);
    assert.equal(header?.declaredBytes, (await stat(p("good.avi"))).size);
  });

  it("decodes only the frames asked for, in the order asked (repeats included)", async () => {
    assert.equal(selectExpression([1, 2, 3, 7]), "between(n,1,3)+eq(n,7)");
    const info = await inspectVideo(p("good.avi"));
    for (const sink of ["pipe", "file"] as const) {
      const d = await decodeFrames(p("good.avi"), [7, 2, 7, 19], info, { sink });
      assert.equal(d.frames, 4);
      const fb = 32 * 24 * 3;
      [7, 2, 7, 19].forEach((t, k) => {
        const centre = (k * fb) + (12 * 32 + 16) * 3;
        const got = [...d.data.subarray(centre, centre + 3)];
        frameColor(t).forEach((c, ch) => assert.ok(Math.abs(got[ch] - c) <= 12, `${sink}: frame ${t} channel ${ch}: ${got[ch]} vs ${c}`));
      });
    }
  });

  it("resizes inside ffmpeg when asked, and decodes whole videos", async () => {
    const info = await inspectVideo(p("good.avi"));
    const d = await decodeAllFrames(p("good.avi"), info, info.frames, { outSize: { width: 16, height: 12 }, sink: "file" });
    assert.deepEqual([d.frames, d.width, d.height, d.data.length], [20, 16, 12, 20 * 16 * 12 * 3]);
    await assert.rejects(decodeFrames(p("good.avi"), [25], info), /decoded 0 of the 1 frames/);
  });
});

describe("bad files get a clear problem and a message naming them", () => {
  it("missing", async () => assert.equal(await problemOf(p("absent.avi")), "missing"));
  it("empty", async () => assert.equal(await problemOf(p("empty.avi")), "empty"));
  it("truncated (detected from the AVI header, which ffmpeg alone would not report)", async () => {
    assert.equal(await problemOf(p("truncated.avi")), "truncated");
  });
  it("a text file named .avi", async () => assert.equal(await problemOf(p("notes.avi")), "not_video"));
  it("damaged in the middle (frames lost to decoder errors)", async () => {
    assert.equal(await problemOf(p("damaged.avi")), "corrupt");
    await assert.rejects(inspectVideo(p("damaged.avi")), /damaged.avi: damaged: \d+ of the 20 frames its AVI header declares decode/);
  });
});

describe("preflight", () => {
  it("keeps the good clips and names every bad one before training starts", async () => {
    const entries = ["good.avi", "absent.avi", "empty.avi", "truncated.avi", "notes.avi", "one-frame.avi"].map((n) => entry(p(n)));
    const r = await preflight(entries, { clipLen: 8, frameInterval: 2 });
    assert.deepEqual(r.ok.map((e) => e.path), [p("good.avi")]);
    const byFile = new Map(r.bad.map((b) => [b.entry.path, b.error]));
    assert.match(byFile.get(p("absent.avi"))!, /absent.avi: file not found/);
    assert.match(byFile.get(p("empty.avi"))!, /empty.avi: empty file/);
    assert.match(byFile.get(p("truncated.avi"))!, /truncated.avi: truncated: its AVI header declares \d+ bytes but the file has \d+/);
    assert.match(byFile.get(p("notes.avi"))!, /notes.avi: not a readable video/);
    assert.match(byFile.get(p("one-frame.avi"))!, /one-frame.avi: too short: 1 frame\(s\), fewer than one frame interval \(2\)/);
  });

  it("says how many clips are missing and how many are unreadable, naming every broken one (issue 12, defect 9)", async () => {
    // Many missing clips (a partial tree) must not hide the few broken ones behind "(+N more)".
    const names = [...Array.from({ length: 30 }, (_, i) => `absent-${i}.avi`), "good.avi", "empty.avi", "notes.avi"];
    const r = await preflight(names.map((n) => entry(p(n))), { clipLen: 8, frameInterval: 2 });
    const line = describeBad(r.bad, names.length);
    assert.doesNotMatch(line, /\n/);
    assert.match(line, /^32 of 33 clips skipped: 2 unreadable \(.*empty.avi: empty file[^;]*; .*notes.avi: not a readable video.*\); 30 missing \(first: .*absent-0.avi: file not found\)$/);
  });
});

describe("ClipLoader with a file that breaks after preflight", () => {
  it("skips it with a count, finishes the epoch, and leaks no tensor", async () => {
    const entries = [entry(p("good.avi"), 0), entry(p("later-broken.avi"), 1), entry(p("good.avi"), 2)];
    const pf = await preflight(entries, { clipLen: 8, frameInterval: 2 });
    assert.equal(pf.bad.length, 0);
    await truncate(p("later-broken.avi"), 0); // e.g. a disk problem half-way through training
    const loader = new ClipLoader(pf.ok, { batchSize: 2, clipLen: 8, frameInterval: 2, numClips: 1, size: 16, mode: "train", seed: 0, shuffle: false });
    const before = tf.memory().numTensors;
    const labels: number[][] = [];
    for await (const b of loader.batches(0)) {
      assert.equal(b.clips.shape[0], b.labels.shape[0]);
      labels.push([...b.labels.dataSync()]);
      tf.dispose([b.clips, b.labels]);
    }
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(labels, [[0]]); // batch 1 lost its broken clip; drop-last leaves out the third
    assert.equal(loader.stats().skipped, 1);
    assert.match(loader.skipped[0].error, /later-broken.avi: empty file/);
  });
});

describe("checkDataset on a partial tree", () => {
  it("counts listed, found, missing and unreadable clips per split and decodes the found ones", async () => {
    const root = p("tree");
    await writeTree(root, ["Drumming", "HandstandPushups"], [
      { cls: 0, group: 8, clip: 1, split: "train", frames: 15 },
      { cls: 0, group: 9, clip: 1, split: "train", absent: true },
      { cls: 1, group: 1, clip: 1, split: "test", folder: "HandStandPushups" },
      { cls: 1, group: 2, clip: 1, split: "test", folder: "HandStandPushups" },
    ]);
    // The folder is spelled as on the real disk (HandStand...), the lists as classInd (Handstand...).
    // Replace one test clip with a text file.
    await writeFile(join(root, "UCF-101", "HandStandPushups", "v_HandstandPushups_g02_c01.avi"), "not a video\n");
    const r = await checkDataset(root, { split: 1 });
    assert.deepEqual(r.splits, { train: { listed: 2, found: 1, missing: 1, unreadable: 0 }, test: { listed: 2, found: 2, missing: 0, unreadable: 1 } });
    assert.equal(r.classes, 2);
    const good = r.clips.find((c) => c.split === "train")!;
    assert.deepEqual([good.frames, good.width, good.height, good.fps], [15, 32, 24, 25]);
    assert.equal(r.clips.filter((c) => c.error).length, 1);
    const text = formatCheck(r);
    assert.match(text, /unreadable \(1\):\n.*v_HandstandPushups_g02_c01.avi: not a readable video/);
    assert.match(text, /missing, e.g.: UCF-101\/Drumming\/v_Drumming_g09_c01.avi/);
  });
});
