// `slowfast train`: a training run on any data set in UCF101's layout (real UCF101, or the kit's
// synthetic one). The run's files go to --out: last.ckpt, best.ckpt, metrics.jsonl, eval.json, report.html.
import { Command, Option } from "commander";
import { PRESET_NAMES, type PathwayMode } from "../model";
import { MMACTION2_SGD, DEFAULT_OPTIMIZER, optimizerDefaults, type OptimizerKind } from "../train/optimizer";
import { SMALL_RUN } from "../train/recipe";
import { runTraining, type RunOptions, type RunResult } from "../train/run";
import { weightsPreset } from "../train/weights";
import { nonNegativeNumber, positiveInt, positiveNumber } from "./parse";

/** Kept for the commands that import them from here; the parsers live in parse.ts. */

export interface TrainCliOptions {
  data: string;
  split: number;
  classes?: number;
  preset: string;
  pathways: PathwayMode;
  epochs: number;
  batch: number;
  optimizer: OptimizerKind;
  lr?: number;
  weightDecay?: number;
  warmup: number;
  hold: number;
  frameInterval: number;
  testClips: number;
  seed: number;
  out: string;
  resume?: boolean;
  overwrite?: boolean;
  init?: string;
}

/** The options `train` and `start` share, with their defaults. */
export function addRunOptions(cmd: Command, defaults: { epochs: number; out: string }): Command {
  return cmd
    .option("--split <n>", "official split 1, 2 or 3", positiveInt, 1)
    .option("--classes <K>", "use only the first K classes of classInd.txt", positiveInt)
    .option("--preset <name>", `model preset: ${PRESET_NAMES.join(", ")}`, SMALL_RUN.preset)
    .addOption(new Option("--pathways <mode>", "ablation: both pathways, or one alone").choices(["slowfast", "slow_only", "fast_only"]).default("slowfast"))
    .option("--epochs <n>", "training epochs", positiveInt, defaults.epochs)
    .option("--batch <n>", "clips per batch", positiveInt, SMALL_RUN.batchSize)
    .addOption(new Option("--optimizer <kind>", "AdamW, or SGD with momentum as mmaction2 trains").choices(["adamw", "sgd"]).default(DEFAULT_OPTIMIZER.kind))
    .option("--lr <x>", `peak learning rate (default: adamw ${DEFAULT_OPTIMIZER.lr}, sgd ${MMACTION2_SGD.lr})`, positiveNumber)
    .option("--weight-decay <x>", `weight decay (default: adamw ${DEFAULT_OPTIMIZER.weightDecay}, decoupled, conv/fc weights only; sgd ${MMACTION2_SGD.weightDecay}, every parameter)`, nonNegativeNumber)
    .option("--warmup <epochs>", "linear warm-up epochs before the cosine decay", nonNegativeNumber, SMALL_RUN.warmupEpochs)
    .option("--hold <epochs>", "epochs at the peak learning rate between warm-up and cosine decay", nonNegativeNumber, SMALL_RUN.holdEpochs)
    .option("--frame-interval <n>", "frames between sampled frames (mmaction2's frame_interval)", positiveInt, SMALL_RUN.frameInterval)
    .option("--test-clips <n>", "clips per test video, scores averaged", positiveInt, SMALL_RUN.testClips)
    .option("--seed <n>", "seed for initialisation, data order, augmentation and dropout", positiveInt, SMALL_RUN.seed)
    .option("--out <dir>", "where checkpoints, metrics and the report go", defaults.out)
    .option("--resume", "continue the run in <out> from its last.ckpt (same options)")
    .option("--overwrite", "replace the run <out> already holds (without it, such an --out is refused)");
}

export function runOptionsFrom(o: TrainCliOptions): RunOptions {
  const base = optimizerDefaults(o.optimizer);
  return {
    data: o.data,
    split: o.split,
    classes: o.classes,
    preset: o.preset,
    pathways: o.pathways,
    epochs: o.epochs,
    batchSize: o.batch,
    optimizer: { ...base, lr: o.lr ?? base.lr, weightDecay: o.weightDecay ?? base.weightDecay },
    warmupEpochs: o.warmup,
    holdEpochs: o.hold,
    frameInterval: o.frameInterval,
    testClips: o.testClips,
    seed: o.seed,
    out: o.out,
    resume: o.resume ?? false,
    existing: o.overwrite ? "replace" : "refuse",
    ...(o.init !== undefined && { init: o.init }),
  };
}

export function finalLine(r: RunResult): string {
  return `test top-1 ${(100 * r.test.top1).toFixed(1)}% (chance ${(100 * r.chance).toFixed(1)}%) on ${r.test.videos} test videos; report: ${r.reportFile}`;
}

export function trainCommand(): Command {
  const cmd = new Command("train").description("train a SlowFast preset on a data set in UCF101's layout, then test it and write a report");
  cmd.requiredOption("--data <dir>", "data set root (holds UCF-101/ and ucfTrainTestlist/)");
  cmd.option("--init <weights>", "start from these weights (.pth from mmaction2 or .ckpt), a new classifier for the data set's classes; --preset defaults to theirs");
  return addRunOptions(cmd, { epochs: 20, out: "runs/train" }).action(async (o: TrainCliOptions) => {
    if (o.init && cmd.getOptionValueSource("preset") === "default") o.preset = await weightsPreset(o.init);
    const r = await runTraining(runOptionsFrom(o));
    r.model.dispose();
    console.log(finalLine(r));
  });
}
