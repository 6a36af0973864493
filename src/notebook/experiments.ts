// The "what if" runs of notebook 10: the kit's small run (slowfast_tiny, SMALL_RUN's recipe),
// shortened as the training canary shortens it (test/learning.test.ts: 4 classes, 6 epochs, about a
// minute on the native backend), and variants that each change one knob of the model. Data, split,
// seed, recipe and number of steps are the same for every run, so a difference in accuracy comes
// from the knob, or from run-to-run noise: the baseline's second seed measures that.
import { join } from "node:path";
import { holdOutGroups } from "../data/holdout";
import { fastWidth, pathwayFrames, presetConfig, type LateralKind, type PathwayMode, type SlowFastConfig } from "../model";
import { SMALL_RUN } from "../train/recipe";
import { runTraining } from "../train/run";
import { barChart } from "./bars";
import { showTable } from "./display";
import { lineChart } from "./plot";

export type Knob = "baseline" | "alpha" | "beta" | "lateral" | "pathways";

export interface Experiment {
  /** Unique; also the run folder's name ("alpha-2"). */
  id: string;
  knob: Knob;
  /** The knob's value as the tables show it ("alpha 2"). */
  label: string;
  pathways: PathwayMode;
  /** Changes to slowfast_tiny's config (runTraining's configOverrides). */
  overrides: Partial<SlowFastConfig>;
  seed: number;
}

export interface ExperimentBudget {
  /** The first K classes of the data set (MoveLeft, MoveRight, MoveUp, MoveDown for 4). */
  classes: number;
  epochs: number;
  warmupEpochs: number;
  holdEpochs: number;
  /** Clips per class of the synth-motion set. */
  clipsPerClass: number;
}

/** The training canary's reduced npm start (test/learning.test.ts): a minute or two per run on two cores. */
export const EXPERIMENT_BUDGET: ExperimentBudget = { classes: 4, epochs: 6, warmupEpochs: 1, holdEpochs: 3, clipsPerClass: SMALL_RUN.clipsPerClass };

/** The notebook runner's short mode: one batch of one epoch per run, so every cell runs; the numbers mean nothing. */
export const SHORT_BUDGET: ExperimentBudget = { classes: 4, epochs: 1, warmupEpochs: 0, holdEpochs: 0, clipsPerClass: 4 };

const base = { pathways: "slowfast" as PathwayMode, overrides: {}, seed: SMALL_RUN.seed };
const lateral = (kind: LateralKind): Partial<SlowFastConfig> => ({ lateral: { kind, kernelT: presetConfig(SMALL_RUN.preset).lateral.kernelT } });

/** Every run of the notebook; the baseline (seed 1) is each knob's reference value. */
export const EXPERIMENTS: readonly Experiment[] = [
  { ...base, id: "baseline", knob: "baseline", label: "baseline" },
  { ...base, id: "baseline-seed2", knob: "baseline", label: "baseline, seed 2", seed: SMALL_RUN.seed + 1 },
  { ...base, id: "alpha-1", knob: "alpha", label: "alpha 1", overrides: { alpha: 1 } },
  { ...base, id: "alpha-2", knob: "alpha", label: "alpha 2", overrides: { alpha: 2 } },
  { ...base, id: "beta-1_4", knob: "beta", label: "beta 1/4", overrides: { betaInv: 4 } },
  { ...base, id: "beta-1_8", knob: "beta", label: "beta 1/8", overrides: { betaInv: 8 } },
  { ...base, id: "lateral-time_to_channel", knob: "lateral", label: "time_to_channel", overrides: lateral("time_to_channel") },
  { ...base, id: "lateral-time_strided_sample", knob: "lateral", label: "time_strided_sample", overrides: lateral("time_strided_sample") },
  { ...base, id: "lateral-none", knob: "lateral", label: "none", overrides: lateral("none") },
  { ...base, id: "pathways-slow_only", knob: "pathways", label: "slow_only", pathways: "slow_only" },
  { ...base, id: "pathways-fast_only", knob: "pathways", label: "fast_only", pathways: "fast_only" },
];

/** The runs that vary `knob`, the baseline first. */
export function experimentsOf(knob: Exclude<Knob, "baseline">): Experiment[] {
  return [EXPERIMENTS[0], ...EXPERIMENTS.filter((e) => e.knob === knob)];
}

/** The config an experiment trains (numClasses from the budget). */
export function experimentConfig(e: Experiment, budget: ExperimentBudget): SlowFastConfig {
  return presetConfig(SMALL_RUN.preset, { ...e.overrides, numClasses: budget.classes, pathways: e.pathways });
}

/** The knob values of a config as one line: "alpha 4 (fast 16 frames), beta 1/2 (fast width 8), time_strided_conv, slowfast". */
export function describeExperimentConfig(c: SlowFastConfig): string {
  return `alpha ${c.alpha} (fast ${pathwayFrames(c).fast} frames), beta 1/${c.betaInv} (fast width ${fastWidth(c)}), lateral ${c.lateral.kind}, ${c.pathways}`;
}

export interface ExperimentResult {
  experiment: Experiment;
  config: SlowFastConfig;
  params: number;
  /** Multiply-adds of one clip's forward pass (plan()). */
  macs: number;
  /** Validation top-1 after each epoch. */
  valTop1: number[];
  bestValTop1: number;
  /** On the weights of the best validation epoch, each test video as SMALL_RUN.testClips clips. */
  testTop1: number;
  testVideos: number;
  chance: number;
  /** Optimiser steps taken, and clips in the training split (validation groups held out): equal for every run of a budget. */
  steps: number;
  trainClips: number;
  /** Wall time of the whole run (noisy on a shared machine). */
  seconds: number;
}

export interface ExperimentSetup {
  /** The synth-motion root (UCF101 layout). */
  data: string;
  /** Each run writes into <outRoot>/<id>/ (checkpoints, metrics, report.html). */
  outRoot: string;
  budget: ExperimentBudget;
}

/** Trains one experiment with the budget and returns what the tables need; the model is disposed. */
export async function runExperiment(e: Experiment, setup: ExperimentSetup): Promise<ExperimentResult> {
  const started = performance.now();
  const b = setup.budget;
  const r = await runTraining({
    ...SMALL_RUN,
    classes: b.classes,
    epochs: b.epochs,
    warmupEpochs: b.warmupEpochs,
    holdEpochs: b.holdEpochs,
    seed: e.seed,
    pathways: e.pathways,
    configOverrides: e.overrides,
    data: setup.data,
    split: 1,
    out: join(setup.outRoot, e.id),
    resume: false,
    progressBar: false,
    log: () => undefined,
  });
  try {
    const m = r.training.metrics;
    return {
      experiment: e,
      config: r.model.config,
      params: r.model.paramCounts().total,
      macs: r.model.plan(1).reduce((a, s) => a + s.macs, 0),
      valTop1: m.map((x) => x.valTop1 ?? NaN),
      bestValTop1: r.training.bestValTop1,
      testTop1: r.test.top1,
      testVideos: r.test.videos,
      chance: r.chance,
      steps: m[m.length - 1]?.step ?? 0,
      trainClips: holdOutGroups(r.dataset.train).train.length,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    r.model.dispose();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** One line per finished run, for the cell's log. */
export function describeResult(r: ExperimentResult): string {
  return `${r.experiment.label}: test top-1 ${pct(r.testTop1)} (chance ${pct(r.chance)}), best val top-1 ${pct(r.bestValTop1)}, ${r.params.toLocaleString("en-US")} parameters, ${r.seconds.toFixed(0)} s`;
}

/** The table of results (in the given order) and a bar chart of test and best validation top-1. */
export function showResults(results: readonly ExperimentResult[], title: string): void {
  showTable(
    ["run", "config", "parameters", "MMACs / clip", "val top-1 per epoch", "best val top-1", "test top-1", "seconds"],
    results.map((r) => [r.experiment.label, describeExperimentConfig(r.config), r.params, Math.round(r.macs / 1e6), r.valTop1.map((v) => (100 * v).toFixed(0)).join(" "), pct(r.bestValTop1), pct(r.testTop1), Math.round(r.seconds)]),
  );
  const labels = results.map((r) => r.experiment.label);
  barChart(
    [...labels, "chance"],
    [
      { name: "test top-1", y: [...results.map((r) => r.testTop1), results[0]?.chance ?? 0] },
      { name: "best val top-1", y: [...results.map((r) => r.bestValTop1), results[0]?.chance ?? 0] },
    ],
    { title, yTitle: "top-1", height: 320 },
  );
}

/** Validation top-1 per epoch, one line per run. */
export function showCurves(results: readonly ExperimentResult[], title: string): void {
  lineChart(
    results.map((r) => ({ name: r.experiment.label, x: r.valTop1.map((_, i) => i + 1), y: r.valTop1 })),
    { title, xTitle: "epoch", yTitle: "val top-1", height: 320 },
  );
}

/** Throws unless every run took the same steps on the same clips and was tested on the same videos. */
export function assertSameBudget(results: readonly ExperimentResult[]): void {
  const first = results[0];
  for (const r of results) {
    if (r.steps !== first.steps || r.trainClips !== first.trainClips || r.testVideos !== first.testVideos) {
      throw new Error(
        `experiments: "${r.experiment.label}" ran ${r.steps} steps on ${r.trainClips} clips per epoch and was tested on ${r.testVideos} videos, ` +
          `"${first.experiment.label}" ${first.steps} / ${first.trainClips} / ${first.testVideos}: the comparison is not fair`,
      );
    }
  }
}

/**
 * One line per run after the first: its test top-1 minus the first run's (the baseline), in points,
 * set against `noise`, the gap between two seeds of the baseline (one pair: a rough yardstick).
 */
export function gapLines(results: readonly ExperimentResult[], noise: number): string[] {
  const [base, ...rest] = results;
  return rest.map((r) => {
    const gap = r.testTop1 - base.testTop1;
    const verdict = Math.abs(gap) <= noise ? "within the seed-to-seed gap: this run cannot tell" : gap > 0 ? "better, by more than the seed-to-seed gap" : "worse, by more than the seed-to-seed gap";
    return `${r.experiment.label}: ${gap >= 0 ? "+" : ""}${(100 * gap).toFixed(1)} points vs ${base.experiment.label} (seed gap ${(100 * noise).toFixed(1)}): ${verdict}`;
  });
}
