// Checker of notebook 09 (pretrained weights): the library's layout passes, the stub is NOT DONE
// YET, and plausible wrong permutations FAIL naming the difference.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tf } from "../src/backend";
import * as nb from "../src/notebook";
import { expectVerdict, quiet } from "./checker-helpers";

describe("notebook 09 checker (pretrained weights)", () => {
  it("9.1 conv layout: [2,3,4,1,0] passes; in/out swapped, a plain reshape and every axis reversed fail", () => {
    const before = tf.memory().numTensors;
    expectVerdict(quiet(() => nb.checkConvLayout((w) => tf.transpose(w, [2, 3, 4, 1, 0]))), "PASS");
    expectVerdict(quiet(() => nb.checkConvLayout(() => nb.todo("9.1"))), "NOT DONE YET", "[exercise 9.1]");
    expectVerdict(quiet(() => nb.checkConvLayout((w) => tf.transpose(w, [2, 3, 4, 0, 1]))), "FAIL", "toKit(w [8,3,5,7,7])");
    expectVerdict(quiet(() => nb.checkConvLayout((w) => w.reshape([w.shape[2], w.shape[3], w.shape[4], w.shape[1], w.shape[0]]))), "FAIL", "max error");
    // Every axis reversed: [kw, kh, kt, in, out], time and width swapped.
    expectVerdict(quiet(() => nb.checkConvLayout((w) => tf.transpose(w, [4, 3, 2, 1, 0]))), "FAIL", "toKit(w [8,3,5,7,7])");
    assert.ok(tf.memory().numTensors - before <= 2, `checker leaked ${tf.memory().numTensors - before} tensors`);
  });
});
