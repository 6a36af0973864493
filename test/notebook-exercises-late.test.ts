// Checkers of notebooks 03-06 (laterals, residual stages, head, whole model): the library's answer
// passes, the stub is NOT DONE YET, and a plausible wrong answer FAILs with a message naming the
// difference.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tf } from "../src/backend";
import { conv3dTorch } from "../src/model";
import * as nb from "../src/notebook";
import { type CheckResult } from "../src/notebook";

const quiet = <T>(fn: () => T): T => {
  const log = console.log;
  console.log = () => {};
  try {
    return fn();
  } finally {
    console.log = log;
  }
};

function expectVerdict(r: CheckResult, verdict: CheckResult["verdict"], ...fragments: string[]): void {
  assert.equal(r.verdict, verdict, r.message);
  for (const f of fragments) assert.ok(r.message.includes(f), `"${r.message}" should mention "${f}"`);
}

describe("notebook 03 checkers (laterals)", () => {
  it("3.1 time-strided conv: PyTorch padding passes, stride 1 and tf 'same' padding fail", () => {
    const before = tf.memory().numTensors;
    const right = (fast: tf.Tensor5D, w: tf.Tensor5D, alpha: number) => conv3dTorch(fast, w, [alpha, 1, 1], [(w.shape[0] - 1) / 2, 0, 0]);
    expectVerdict(quiet(() => nb.checkTimeStridedConv(right)), "PASS");
    expectVerdict(quiet(() => nb.checkTimeStridedConv(() => nb.todo("3.1"))), "NOT DONE YET", "[exercise 3.1]");
    const strideOne = (fast: tf.Tensor5D, w: tf.Tensor5D) => conv3dTorch(fast, w, [1, 1, 1], [(w.shape[0] - 1) / 2, 0, 0]);
    expectVerdict(quiet(() => nb.checkTimeStridedConv(strideOne)), "FAIL", "(shape)", "axis 1: T (time)", "expected 4, got 32");
    const same = (fast: tf.Tensor5D, w: tf.Tensor5D, alpha: number) => tf.conv3d(fast, w, [alpha, 1, 1], "same");
    expectVerdict(quiet(() => nb.checkTimeStridedConv(same)), "FAIL", "fast [1,32,4,4,8], alpha 8, kernel (5,1,1)", "max error");
    assert.ok(tf.memory().numTensors - before <= 2, `checker leaked ${tf.memory().numTensors - before} tensors`);
  });

  it("3.2 time-to-channel: frame-major stacking passes, a reshape without transpose fails", () => {
    const right = (fast: tf.Tensor5D, alpha: number) => nb.libraryLateral(fast, "time_to_channel", alpha);
    expectVerdict(quiet(() => nb.checkTimeToChannel(right)), "PASS");
    expectVerdict(quiet(() => nb.checkTimeToChannel(() => nb.todo("3.2"))), "NOT DONE YET");
    const noTranspose = (fast: tf.Tensor5D, alpha: number) => {
      const [n, t, h, w, c] = fast.shape;
      return fast.reshape([n, t / alpha, h, w, alpha * c]) as tf.Tensor5D;
    };
    expectVerdict(quiet(() => nb.checkTimeToChannel(noTranspose)), "FAIL", "timeToChannel(fast [1,32,3,3,8], alpha 8)", "max error");
    const sample = (fast: tf.Tensor5D, alpha: number) => nb.libraryLateral(fast, "time_strided_sample", alpha);
    expectVerdict(quiet(() => nb.checkTimeToChannel(sample)), "FAIL", "axis 4: C (channels)", "expected 64, got 8");
  });

  it("3.3 slow stage inputs: the library's rule passes, forgetting the lateral's 2x fails", () => {
    assert.deepEqual(nb.slowStageInputsFromLibrary(64, 8, 8, "time_strided_conv"), [80, 320, 640, 1280]);
    assert.deepEqual(nb.slowStageInputsFromLibrary(64, 8, 8, "time_to_channel"), [128, 512, 1024, 2048]);
    assert.deepEqual(nb.slowStageInputsFromLibrary(64, 8, 8, "time_strided_sample"), [72, 288, 576, 1152]);
    expectVerdict(quiet(() => nb.checkSlowStageInputs(nb.slowStageInputsFromLibrary)), "PASS");
    expectVerdict(quiet(() => nb.checkSlowStageInputs(() => nb.todo("3.3"))), "NOT DONE YET");
    const noDoubling = (width: number, betaInv: number) => [1, 4, 8, 16].map((m) => m * width + m * (width / betaInv));
    expectVerdict(quiet(() => nb.checkSlowStageInputs(noDoubling)), "FAIL", 'inputs(width 64, betaInv 8, alpha 8, "time_strided_conv")', "expected [80, 320, 640, 1280], got [72, 288, 576, 1152]");
  });
});
