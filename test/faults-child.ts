// A tiny training run in its own process, for the crash test (faults.test.ts) to kill.
//   node --import tsx test/faults-child.ts <outDir> <resume: 0|1>
// With SLOWFAST_KILL_AT=N it dies at the N-th fault point (src/train/faults.ts); when it ends
// normally it prints "fault points: <count>".
import { presetConfig, SlowFast } from "../src/model";
import { faultPointsPassed } from "../src/train/faults";
import { MMACTION2_SGD } from "../src/train/optimizer";
import { train } from "../src/train/trainer";
import { memorySource } from "./memory-source";

async function main(): Promise<void> {
  const [outDir, resume] = process.argv.slice(2);
  const config = presetConfig("slowfast_test");
  const model = new SlowFast(config, 5);
  try {
    await train(model, memorySource(config, 2, 2), memorySource(config, 1, 4), {
      epochs: 3,
      optimizer: MMACTION2_SGD,
      warmupEpochs: 1,
      clipNorm: 40,
      seed: 2,
      outDir,
      resume: resume === "1",
      classes: Array.from({ length: config.numClasses }, (_, i) => `class${i}`),
      progressBar: false,
      log: () => undefined,
    });
  } finally {
    model.dispose();
  }
  console.log(`fault points: ${faultPointsPassed()}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
