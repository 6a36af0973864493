// Checkers of notebooks 07 (data) and 08 (training): the library's answer passes, the stub is NOT
// DONE YET, and a plausible wrong answer FAILs with a message naming the difference.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { roundHalfEven, sampleFrames, type Rng } from "../src/data";
import * as nb from "../src/notebook";
import { learningRateAt, type ScheduleConfig } from "../src/train/schedule";

import { expectVerdict, quiet } from "./checker-helpers";

describe("notebook 07 checkers (data)", () => {
  it("7.1 test-mode SampleFrames: the library passes, a forgotten frame interval and Math.round fail", () => {
    const lib = (total: number, clipLen: number, frameInterval: number, numClips: number) => sampleFrames(total, { clipLen, frameInterval, numClips });
    expectVerdict(quiet(() => nb.checkTestClipIndices(lib)), "PASS");
    expectVerdict(quiet(() => nb.checkTestClipIndices(() => nb.todo("7.1"))), "NOT DONE YET", "[exercise 7.1]", 'todo("7.1")');
    // The offsets are right but consecutive frames are taken (interval forgotten).
    const noInterval = (total: number, clipLen: number, frameInterval: number, numClips: number) =>
      sampleFrames(total, { clipLen, frameInterval, numClips }).map((clip) => clip.map((_, i) => (clip[0] + i) % total));
    expectVerdict(quiet(() => nb.checkTestClipIndices(noInterval)), "FAIL", "testClipIndices(48, 16, 2, 1), clip 0", "first difference at index 1", "expected 10, got 9");
    // JavaScript's Math.round instead of numpy's half-to-even: 8.5 -> 9 instead of 8.
    const mathRound = (total: number, clipLen: number, frameInterval: number, numClips: number) => {
      const maxOffset = Math.max(total - ((clipLen - 1) * frameInterval + 1), 0);
      const offsets = numClips === 1 ? [Math.floor(maxOffset / 2)] : Array.from({ length: numClips }, (_, k) => Math.round((k * maxOffset) / (numClips - 1)));
      return offsets.map((o) => Array.from({ length: clipLen }, (_, i) => (o + i * frameInterval) % total));
    };
    expectVerdict(quiet(() => nb.checkTestClipIndices(mathRound)), "FAIL", "testClipIndices(48, 16, 2, 3), clip 1", "first difference at index 0", "expected 8, got 9");
    // Sanity of the case the message names: roundHalfEven(8.5) = 8.
    assert.equal(roundHalfEven(8.5), 8);
  });

  it("7.2 train-mode SampleFrames: the library passes, the test-mode span fails", () => {
    const lib = (total: number, clipLen: number, frameInterval: number, rng: Rng) => sampleFrames(total, { clipLen, frameInterval, numClips: 1 }, rng)[0];
    expectVerdict(quiet(() => nb.checkTrainClipIndices(lib)), "PASS");
    const solution = (total: number, clipLen: number, frameInterval: number, rng: Rng) => {
      const span = clipLen * frameInterval;
      const offset = total - span + 1 > 0 ? rng.int(total - span + 1) : 0;
      return Array.from({ length: clipLen }, (_, i) => (offset + i * frameInterval) % total);
    };
    expectVerdict(quiet(() => nb.checkTrainClipIndices(solution)), "PASS");
    expectVerdict(quiet(() => nb.checkTrainClipIndices(() => nb.todo("7.2"))), "NOT DONE YET", "[exercise 7.2]");
    const testSpan = (total: number, clipLen: number, frameInterval: number, rng: Rng) => {
      const span = (clipLen - 1) * frameInterval + 1;
      const offset = total - span + 1 > 0 ? rng.int(total - span + 1) : 0;
      return Array.from({ length: clipLen }, (_, i) => (offset + i * frameInterval) % total);
    };
    expectVerdict(quiet(() => nb.checkTrainClipIndices(testSpan)), "FAIL", "trainClipIndices(", "first difference at index 0");
    const noLoop = (total: number, clipLen: number, frameInterval: number, rng: Rng) => solution(total, clipLen, frameInterval, rng).map((_, i, a) => a[0] + i * frameInterval);
    expectVerdict(quiet(() => nb.checkTrainClipIndices(noLoop)), "FAIL", "trainClipIndices(20, 16, 2, new Rng(1))", "first difference at index 10", "expected 0, got 20");
  });

  it("framesPanels and channelStats", () => {
    const frames = { data: new Uint8Array(2 * 3 * 4 * 3).fill(7), frames: 2, height: 3, width: 4 };
    const panels = nb.framesPanels(frames, [1, 0], (t, k) => `f${t}k${k}`);
    assert.deepEqual(panels.map((p) => [p.title, p.width, p.height]), [["f1k0", 4, 3], ["f0k1", 4, 3]]);
    assert.ok(panels[0].src.startsWith("data:image/png;base64,"));
    assert.throws(() => nb.framesPanels(frames, [2], () => ""), /outside the 2 frames/);
    const s = nb.channelStats([1, 10, 0, 3, 10, 0]);
    assert.deepEqual(s.mean, [2, 10, 0]);
    assert.deepEqual(s.std, [1, 0, 0]);
  });
});

describe("notebook 08 checkers (training)", () => {
  it("8.1 learning-rate schedule: the library passes; cosine over all steps, warm-up from 0 and no flat phase fail", () => {
    expectVerdict(quiet(() => nb.checkLearningRate(learningRateAt)), "PASS");
    expectVerdict(quiet(() => nb.checkLearningRate(() => nb.todo("8.1"))), "NOT DONE YET", "[exercise 8.1]");
    // The cosine phase measured over totalSteps instead of totalSteps - warmupSteps.
    const wrongSpan = (step: number, s: ScheduleConfig) => {
      if (step < s.warmupSteps) return s.lr * (s.warmupStartFactor + (1 - s.warmupStartFactor) * (step / s.warmupSteps));
      const progress = Math.min(1, (step - s.warmupSteps) / s.totalSteps);
      return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * progress));
    };
    expectVerdict(quiet(() => nb.checkLearningRate(wrongSpan)), "FAIL", "learningRate(step 9, {lr 0.05, totalSteps 96, warmupSteps 8");
    // Warm-up from 0 instead of warmupStartFactor * lr.
    const fromZero = (step: number, s: ScheduleConfig) => (step < s.warmupSteps ? (s.lr * step) / s.warmupSteps : learningRateAt(step, s));
    expectVerdict(quiet(() => nb.checkLearningRate(fromZero)), "FAIL", "learningRate(step 0,", "expected 0.005", "got 0");
    // The flat phase forgotten: the cosine starts right after the warm-up (mmaction2's schedule).
    const noHold = (step: number, s: ScheduleConfig) => learningRateAt(step, { ...s, holdSteps: 0 });
    expectVerdict(quiet(() => nb.checkLearningRate(noHold)), "FAIL", "learningRate(step 5,", "holdSteps 24");
  });

  it("8.2 top-1 from a confusion matrix: the trace over the total passes; mean class accuracy, mean precision and no return fail", () => {
    expectVerdict(quiet(() => nb.checkTop1((m) => nb.top1FromConfusion(m))), "PASS");
    expectVerdict(quiet(() => nb.checkTop1(() => nb.todo("8.2"))), "NOT DONE YET", "[exercise 8.2]");
    const meanClass = (m: number[][]) => m.reduce((a, row, t) => a + row[t] / row.reduce((x, y) => x + y, 0), 0) / m.length;
    expectVerdict(quiet(() => nb.checkTop1(meanClass)), "FAIL", "top1([[10,0,0],[1,1,0],[2,0,0]])", "expected 0.785");
    expectVerdict(quiet(() => nb.checkTop1(() => undefined as unknown as number)), "FAIL", "did you forget a return statement?");
    // The mean precision: each predicted column's diagonal share, averaged over the classes.
    const meanPrecision = (m: number[][]) => m.reduce((a, _, p) => a + m[p][p] / Math.max(1, m.reduce((x, row) => x + row[p], 0)), 0) / m.length;
    expectVerdict(quiet(() => nb.checkTop1(meanPrecision)), "FAIL", "top1([[3,1],[0,4]])");
  });

  it("liveLineChart keeps the points it sends", () => {
    const chart = nb.liveLineChart(["train", "val"], { title: "t" });
    chart.add(1, [2.0, undefined]);
    chart.add(2, [1.5, 1.7]);
    assert.deepEqual(chart.series.map((s) => [s.x, s.y]), [[[1, 2], [2.0, 1.5]], [[2], [1.7]]]);
  });
});
