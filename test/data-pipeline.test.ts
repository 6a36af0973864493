// Pure data functions: mmaction2's SampleFrames, the spatial transforms, the seeded RNG.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  augmentInto,
  centerCrop,
  centerCropBox,
  cropResize,
  defaultShortSide,
  denormalize,
  flipHorizontal,
  gatherFrames,
  normalize,
  randomResizedCropBox,
  resizeShortSide,
  shortSideSize,
  threeCropBoxes,
  tileFrames,
  type Frames,
} from "../src/data/pipeline";
import { Rng } from "../src/data/rng";
import { roundHalfEven, sampleFrames } from "../src/data/sampling";

const range = (a: number, n: number, step = 1) => Array.from({ length: n }, (_, k) => a + k * step);

/** A clip whose pixel (t, y, x, c) is a distinct, predictable byte. */
function ramp(frames: number, height: number, width: number): Frames {
  const data = new Uint8Array(frames * height * width * 3);
  for (let k = 0; k < data.length; k++) data[k] = k % 251;
  return { data, frames, height, width };
}

describe("SampleFrames (mmaction2 loading.py)", () => {
  it("test mode, one clip: the middle offset of (T - span) // 2", () => {
    // span = (16 - 1) * 2 + 1 = 31, max offset 69, offset 34.
    assert.deepEqual(sampleFrames(100, { clipLen: 16, frameInterval: 2, numClips: 1 }), [range(34, 16, 2)]);
  });

  it("test mode, ten clips: offsets round(k * 69 / 9), numpy's half-to-even", () => {
    const offsets = sampleFrames(100, { clipLen: 16, frameInterval: 2, numClips: 10 }).map((c) => c[0]);
    assert.deepEqual(offsets, [0, 8, 15, 23, 31, 38, 46, 54, 61, 69]);
    assert.equal(roundHalfEven(2.5), 2);
    assert.equal(roundHalfEven(3.5), 4);
  });

  it("a video shorter than the clip loops back to its start", () => {
    const [clip] = sampleFrames(20, { clipLen: 16, frameInterval: 2, numClips: 1 });
    assert.deepEqual(clip, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 0, 2, 4, 6, 8, 10]);
  });

  it("train mode: a random offset inside [0, T - clipLen*interval], reproducible from the seed", () => {
    const cfg = { clipLen: 16, frameInterval: 2, numClips: 1 };
    const seen = new Set<number>();
    for (let s = 0; s < 200; s++) {
      const [clip] = sampleFrames(100, cfg, new Rng(s));
      assert.ok(clip[0] >= 0 && clip[0] < 69, `offset ${clip[0]}`);
      assert.deepEqual(clip, range(clip[0], 16, 2));
      assert.deepEqual(sampleFrames(100, cfg, new Rng(s)), [clip]);
      seen.add(clip[0]);
    }
    assert.ok(seen.size > 40, "offsets should spread over the video");
  });

  it("train mode edge cases follow mmaction2's branches", () => {
    const cfg = { clipLen: 16, frameInterval: 2, numClips: 3 };
    // avg_interval = (32 - 32 + 1) // 3 = 0 and T <= span: offsets round(k / 3).
    assert.deepEqual(sampleFrames(32, cfg, new Rng(1)).map((c) => c[0]), [0, 0, 1]);
    // avg_interval < 0: all clips start at 0.
    assert.deepEqual(sampleFrames(20, cfg, new Rng(1)).map((c) => c[0]), [0, 0, 0]);
    // one segment per clip: clip k starts inside segment k.
    const offs = sampleFrames(200, cfg, new Rng(7)).map((c) => c[0]);
    offs.forEach((o, k) => assert.ok(o >= k * 56 && o < (k + 1) * 56, `clip ${k} offset ${o}`));
  });

  it("rejects impossible arguments with the name of the bad one", () => {
    assert.throws(() => sampleFrames(0, { clipLen: 16, frameInterval: 2, numClips: 1 }), /totalFrames/);
    assert.throws(() => sampleFrames(10, { clipLen: 16, frameInterval: 0, numClips: 1 }), /frameInterval/);
  });
});

describe("spatial transforms", () => {
  it("shortSideSize keeps the aspect ratio like mmcv.rescale_size", () => {
    assert.deepEqual(shortSideSize(320, 240, 256), { width: 341, height: 256 });
    assert.deepEqual(shortSideSize(320, 240, 73), { width: 97, height: 73 });
    assert.deepEqual(shortSideSize(80, 80, 73), { width: 73, height: 73 });
    assert.equal(defaultShortSide(224), 256);
    assert.equal(defaultShortSide(64), 73);
  });

  it("cropResize to the same size is the identity; resizeShortSide gives the planned size", () => {
    const clip = ramp(2, 6, 8);
    const same = cropResize(clip, { x: 0, y: 0, w: 8, h: 6 }, 8, 6);
    assert.deepEqual(same.data, clip.data);
    const r = resizeShortSide(clip, 3);
    assert.deepEqual([r.frames, r.height, r.width, r.data.length], [2, 3, 4, 2 * 3 * 4 * 3]);
  });

  it("bilinear halving averages 2x2 blocks (OpenCV's pixel-centre convention)", () => {
    const data = new Uint8Array([0, 0, 0, 100, 100, 100, 200, 200, 200, 100, 100, 100]); // 1 frame, 2x2
    const r = cropResize({ data, frames: 1, height: 2, width: 2 }, { x: 0, y: 0, w: 2, h: 2 }, 1, 1);
    assert.deepEqual([...r.data], [100, 100, 100]);
  });

  it("centre crop and three crops use mmaction2's offsets", () => {
    assert.deepEqual(centerCropBox(97, 73, 64), { x: 16, y: 4, w: 64, h: 64 });
    assert.deepEqual(threeCropBoxes(85, 64, 64).map((b) => b.x), [0, 20, 10]);
    assert.deepEqual(threeCropBoxes(64, 90, 64).map((b) => b.y), [0, 26, 13]);
    assert.throws(() => threeCropBoxes(97, 73, 64), /short side/);
    const c = centerCrop(ramp(1, 5, 5), 3);
    assert.deepEqual([c.height, c.width], [3, 3]);
    // pixel (0,0) of the crop is pixel (1,1) of the source
    assert.deepEqual([...c.data.subarray(0, 3)], [18, 19, 20]);
  });

  it("randomResizedCropBox stays inside the frame and respects the area range", () => {
    const rng = new Rng(3);
    for (let k = 0; k < 500; k++) {
      const b = randomResizedCropBox(97, 73, rng, [0.4, 1]);
      assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= 97 && b.y + b.h <= 73, JSON.stringify(b));
      assert.ok(b.w * b.h >= 0.4 * 97 * 73 * 0.9 || b.w === 73, JSON.stringify(b));
    }
  });

  it("flipping twice is the identity and flips each row", () => {
    const clip = ramp(2, 3, 4);
    const f = flipHorizontal(clip);
    assert.deepEqual([...f.data.subarray(0, 3)], [...clip.data.subarray(9, 12)]);
    assert.deepEqual(flipHorizontal(f).data, clip.data);
  });

  it("normalize uses mmaction2's mean/std and denormalize inverts it", () => {
    const clip: Frames = { data: new Uint8Array([124, 116, 104, 0, 255, 30]), frames: 1, height: 1, width: 2 };
    const n = normalize(clip);
    assert.ok(Math.abs(n[0] - (124 - 123.675) / 58.395) < 1e-6);
    assert.ok(Math.abs(n[4] - (255 - 116.28) / 57.12) < 1e-6);
    assert.deepEqual([...denormalize(n)], [...clip.data]);
  });

  it("augmentInto (the loader's one-pass path) equals the step-by-step functions", () => {
    const video = ramp(5, 9, 11);
    const box = { x: 2, y: 1, w: 7, h: 6 };
    for (const flip of [false, true]) {
      let steps = cropResize(gatherFrames(video, [4, 0, 2]), box, 5, 4);
      if (flip) steps = flipHorizontal(steps);
      const expected = normalize(steps);
      const out = new Float32Array(expected.length + 10);
      augmentInto(video, [4, 0, 2], box, 5, 4, flip, out, 10);
      expected.forEach((v, k) => assert.ok(Math.abs(out[10 + k] - v) < 1e-5, `flip=${flip} value ${k}: ${out[10 + k]} vs ${v}`));
    }
  });

  it("tileFrames lays frames out in a grid with a border", () => {
    const t = tileFrames(ramp(3, 2, 2), 2, 1, 7);
    assert.deepEqual([t.width, t.height], [2 * 2 + 3, 2 * 2 + 3]);
    assert.deepEqual([...t.data.subarray(0, 3)], [7, 7, 7]);
    // frame 2 (third) starts at row 1 + 2 + 1 = 4, column 1
    assert.deepEqual([...t.data.subarray((4 * 7 + 1) * 3, (4 * 7 + 1) * 3 + 3)], [24, 25, 26]);
  });

  it("gatherFrames picks frames in the order asked, repeats included", () => {
    const v = ramp(4, 1, 1);
    const g = gatherFrames(v, [3, 0, 3]);
    assert.deepEqual([...g.data], [...v.data.subarray(9, 12), ...v.data.subarray(0, 3), ...v.data.subarray(9, 12)]);
    assert.throws(() => gatherFrames(v, [4]), /outside/);
  });
});

describe("Rng", () => {
  it("is reproducible, and derived streams are independent of call order", () => {
    const a = Rng.derive(5, 1, 2);
    const b = Rng.derive(5, 1, 2);
    assert.deepEqual(range(0, 5).map(() => a.next()), range(0, 5).map(() => b.next()));
    assert.notEqual(Rng.derive(5, 1, 2).next(), Rng.derive(5, 2, 1).next());
    const s = new Rng(9).shuffled(range(0, 10));
    assert.deepEqual([...s].sort((x, y) => x - y), range(0, 10));
  });
});
