// A whole training run on a data set in UCF101's layout: check the clips, hold out a validation
// split by group, build the loaders, train (the best epoch picked on validation), test the best
// weights once with several clips per video, write the report. What `slowfast train`, `npm start`
// and notebook 08 call.
//
//   out --openRunDir--> a locked, checked run folder (rundir.ts), before anything slow
//   data root --loadUcf101--> entries --preflight--> readable entries --holdOutGroups--> train / val
//   batches --train()--> checkpoints + metrics.jsonl --best.ckpt--evaluate(test, numClips views)--> eval.json + report.html
import { join } from "node:path";
import { backendInfo, describeBackend } from "../backend";
import { ClipLoader, countBad, describeBad, holdOutGroups, loadUcf101, preflight, type BadClip, type ClipEntry, type VideoDataset } from "../data";
import { presetConfig, SlowFast, type PathwayMode, type SlowFastConfig } from "../model";
import { writeFileAtomic } from "./atomic";
import { loadCheckpoint, restoreModel } from "./checkpoint";
import { openRunDir, type RunDir } from "./rundir";
import { evaluate, type EvalResult } from "./evaluate";
import type { OptimizerConfig } from "./optimizer";
import { writeReport } from "./report";
import { train, type TrainOptions, type TrainResult } from "./trainer";
import { initFromWeights } from "./weights";

export interface RunOptions {
  /** Root of a data set in UCF101's layout (UCF-101/ and ucfTrainTestlist/). */
  data: string;
  split: number;
  /** Use only the first K classes of classInd.txt (all when undefined). */
  classes?: number;
  preset: string;
  pathways: PathwayMode;
  /** Changes to the preset's model config (e.g. { alpha: 2 }, a lateral kind); numClasses and pathways come from the data and `pathways`. */
  configOverrides?: Partial<SlowFastConfig>;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  warmupEpochs: number;
  /** Epochs at the peak learning rate between warm-up and cosine decay. */
  holdEpochs: number;
  /** Frames between the sampled frames of a clip (mmaction2's frame_interval). */
  frameInterval: number;
  /** Clips per test video whose scores are averaged (mmaction2's num_clips at test time). */
  testClips: number;
  seed: number;
  out: string;
  resume: boolean;
  /** When `out` holds a run and resume is off: "replace" it (default) or "refuse" (the CLI, without --overwrite). */
  existing?: "replace" | "refuse";
  /**
   * Weights to start from (.pth or .ckpt), mmaction2's fine-tuning recipe: every backbone tensor
   * loaded, the classifier new for the data set's classes unless the file has the same ones (weights.ts).
   */
  init?: string;
  progressBar?: boolean;
  log?: (line: string) => void;
  onStep?: TrainOptions["onStep"];
  onEpoch?: TrainOptions["onEpoch"];
}

export interface RunResult {
  dataset: VideoDataset;
  model: SlowFast;
  training: TrainResult;
  test: EvalResult;
  chance: number;
  reportFile: string;
  skipped: BadClip[];
}

/** Checks every clip first: bad ones are skipped with a count (and named), never found half-way through an epoch. */
export async function readableClips(entries: ClipEntry[], what: string, clip: { clipLen: number; frameInterval: number }, log: (l: string) => void) {
  const { ok, bad } = await preflight(entries, clip);
  if (bad.length > 0) log(`${what}: ${describeBad(bad, entries.length)}`);
  if (ok.length === 0) throw new Error(`${what}: none of the ${entries.length} clips is readable (first problem: ${bad[0]?.error ?? "no clips listed"})`);
  return { ok, bad };
}

/** " (13310 missing, 2 unreadable; skipped)" for the report, or "" when every clip was readable. */
function skippedNote(bad: BadClip[]): string {
  if (bad.length === 0) return "";
  const { missing, unreadable } = countBad(bad);
  return ` (${[missing > 0 && `${missing} missing`, unreadable > 0 && `${unreadable} unreadable`].filter(Boolean).join(", ")}; skipped)`;
}

/** The caller disposes result.model. */
export async function runTraining(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  // The output folder first: a wrong --out is said in a second, not after every clip was probed.
  const runDir = await openRunDir(o.out, { resume: o.resume, existing: o.existing ?? "replace", log });
  try {
    return await trainInFolder(o, runDir, log);
  } finally {
    runDir.release();
  }
}

async function trainInFolder(o: RunOptions, runDir: RunDir, log: (l: string) => void): Promise<RunResult> {
  const dataset = await loadUcf101(o.data, { split: o.split, ...(o.classes !== undefined && { classes: o.classes }) });
  const config = presetConfig(o.preset, { ...o.configOverrides, numClasses: dataset.classes.length, pathways: o.pathways });
  log(describeBackend());
  log(`data: ${dataset.root} split ${dataset.split}: ${dataset.classes.length} classes, ${dataset.train.length} train / ${dataset.test.length} test clips`);
  const clip = { clipLen: config.frames, frameInterval: o.frameInterval };
  const train_ = await readableClips(dataset.train, "train split", clip, log);
  const test_ = await readableClips(dataset.test, "test split", clip, log);
  const split = holdOutGroups(train_.ok);
  log(`validation: groups ${split.valGroups.join(", ")} of the training list held out (${split.val.length} clips); ${split.train.length} clips to train on`);
  const common = { clipLen: config.frames, frameInterval: o.frameInterval, size: config.size, seed: o.seed, ...dataset.augment };
  const trainLoader = new ClipLoader(split.train, { ...common, batchSize: o.batchSize, numClips: 1, mode: "train" });
  const valLoader = new ClipLoader(split.val, { ...common, batchSize: o.batchSize, numClips: 1, mode: "test" });
  const testLoader = new ClipLoader(test_.ok, { ...common, batchSize: Math.max(1, Math.floor(o.batchSize / o.testClips)), numClips: o.testClips, mode: "test" });

  const model = new SlowFast(config, o.seed);
  try {
    if (o.init) log(await initFromWeights(model, o.init, dataset.classes));
    log(`model: ${config.name} (${config.pathways}), ${model.paramCounts().total.toLocaleString("en-US")} parameters, input ${model.inputShape(o.batchSize).join("x")} (NDHWC)`);
    const training = await train(model, trainLoader, valLoader, {
      epochs: o.epochs,
      optimizer: o.optimizer,
      warmupEpochs: o.warmupEpochs,
      holdEpochs: o.holdEpochs,
      clipNorm: 40,
      seed: o.seed,
      outDir: o.out,
      resume: o.resume,
      runDir,
      sameOnResume: { batchSize: o.batchSize, frameInterval: o.frameInterval, split: dataset.split },
      classes: dataset.classes,
      progressBar: o.progressBar,
      log,
      onStep: o.onStep,
      onEpoch: o.onEpoch,
      meta: { data: dataset.root, split: dataset.split, frameInterval: o.frameInterval, testClips: o.testClips, ...(o.init && { init: o.init }) },
    });
    // The test split is used once: on the weights of the epoch that validation picked.
    if (training.bestEpoch !== training.metrics[training.metrics.length - 1]?.epoch) {
      restoreModel(model, (await loadCheckpoint(training.bestCheckpoint)).model, training.bestCheckpoint);
      log(`testing the best epoch's weights (epoch ${training.bestEpoch}, val top-1 ${(100 * training.bestValTop1).toFixed(1)}%)`);
    }
    const test = await evaluate(model, testLoader);
    const chance = 1 / dataset.classes.length;
    const reportFile = join(o.out, "report.html");
    await writeFileAtomic(join(o.out, "eval.json"), JSON.stringify({ backend: backendInfo().kind, preset: config.name, pathways: config.pathways, testClips: o.testClips, bestEpoch: training.bestEpoch, ...test, chance, classes: dataset.classes }, null, 1));
    await writeReport(reportFile, {
      title: `SlowFast training run: ${config.name} (${config.pathways}) on ${dataset.root}`,
      facts: [
        describeBackend(),
        `${dataset.classes.length} classes, split ${dataset.split}: ${split.train.length} train / ${split.val.length} validation (groups ${split.valGroups.join(", ")}) / ${test_.ok.length} test clips` + skippedNote([...train_.bad, ...test_.bad]),
        `tested once, on the weights of epoch ${training.bestEpoch} (best validation top-1)`,
        `${o.epochs} epochs, batch ${o.batchSize}, ${o.optimizer.kind} lr ${o.optimizer.lr}, warm-up ${o.warmupEpochs} epoch(s), ${o.holdEpochs} flat, then cosine; clip ${config.frames} frames every ${o.frameInterval}, ${config.size}x${config.size}`,
        `test: average of ${o.testClips} clip(s) per video; loader ${trainLoader.clipsPerSecond().toFixed(1)} clips/s`,
      ],
      metrics: training.metrics,
      test,
      classes: dataset.classes,
    });
    return { dataset, model, training, test, chance, reportFile, skipped: [...train_.bad, ...test_.bad] };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
