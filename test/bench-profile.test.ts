// `npm run bench -- --profile` (src/bench/profile.ts): one profiled training step of a small preset
// prints each kernel group with its launches, the kernels the profiler cannot see, the step's total
// (the sum of the rows above it), the biggest kernels, and frees what it made.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tf } from "../src/backend";
import { printStepProfile } from "../src/bench/profile";

test("the step profile prints its groups, a total that adds up, and leaks nothing", async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  const before = tf.memory().numTensors;
  try {
    await printStepProfile({ preset: "slowfast_test", batch: 2, train: true, nativeOnly: false }, 1);
  } finally {
    console.log = log;
  }
  assert.equal(tf.memory().numTensors, before, "the profile leaked tensors");
  const launches = (label: RegExp) => {
    const row = lines.find((l) => label.test(l));
    assert.ok(row, `no row ${label} in:\n${lines.join("\n")}`);
    return Number(/\s(\d+)\s+[\d.]+$/.exec(row)![1]);
  };
  const groups = [/^convolutions/, /^data movement/, /^element-wise/, /^not seen by the profiler/].map(launches);
  assert.ok(groups[0] > 0 && groups[1] > 0 && groups[2] > 0, `every group launches kernels: ${groups}`);
  assert.equal(launches(/^step \(wall\)/), groups.reduce((a, b) => a + b, 0));
  assert.ok(lines.some((l) => /^\s+Conv/.test(l)), "the biggest kernels include a convolution");
});
