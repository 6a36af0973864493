// The PyTorch twin of `npm run bench -- --torch` (bench/torch/, src/bench/twin.ts, interleave.ts):
// it builds the kit's network (the exact parameter count), and one interleaved round gives finite
// positive times on both sides. Skipped when the project's python cannot import torch (CI installs
// no torch); the skip message says how to install it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { presetConfig, SlowFast } from "../src/model";
import { BENCH_OPTIMIZER, type BenchCase } from "../src/bench/cases";
import { runInterleaved } from "../src/bench/interleave";
import { checkTwin, TorchTwin } from "../src/bench/twin";

const check = checkTwin();
const skip = check.ok ? false : `PyTorch twin unavailable: ${check.reason}; install: ${check.install}`;
let twin: TorchTwin | undefined;

before(() => {
  if (check.ok) twin = new TorchTwin(1, check.python);
});
after(async () => {
  await twin?.close();
});

test("the twin builds slowfast_test with the kit's exact parameter count", { skip }, async () => {
  const config = presetConfig("slowfast_test");
  const kit = new SlowFast(config);
  const kitParams = kit.paramCounts().total;
  kit.dispose();
  const built = await twin!.build(config, 2, BENCH_OPTIMIZER);
  assert.equal(built.params, kitParams);
  assert.deepEqual(built.input, [2, 3, config.frames, config.size, config.size]); // NCTHW
});

test("one interleaved round: finite positive times on both sides, and no leak", { skip }, async () => {
  const c: BenchCase = { preset: "slowfast_test", batch: 2, train: true, nativeOnly: false };
  const r = await runInterleaved(c, twin!, { runs: 1 });
  const times = {
    "tfjs forward": r.forward.medianMs,
    "tfjs step": r.trainStep?.medianMs,
    "torch forward": r.torch?.forward.medianMs,
    "torch step": r.torch?.trainStep?.medianMs,
    "forward ratio": r.torch?.ratio.forward,
    "step ratio": r.torch?.ratio.trainStep,
  };
  for (const [what, ms] of Object.entries(times)) assert.ok(Number.isFinite(ms) && ms! > 0, `${what}: ${ms}`);
  assert.equal(r.torch!.forward.runs, 1);
  assert.equal(r.torch!.params, r.params);
  assert.equal(r.leakedTensors, 0);
});
