// Checkers for notebook 08 (training), against src/train/'s definitions (schedule.ts, step.ts,
// evaluate.ts), a line chart that grows while a run trains, and the reader of `npm run study`'s
// docs/study/study.json (the ablation table).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tf } from "../../backend";
import { presetConfig, SlowFast, type PathwayMode } from "../../model";
import { DEFAULT_OPTIMIZER, makeOptimizer, MMACTION2_SGD, type FlatOptimizer, type OptimizerConfig } from "../../train/optimizer";
import { learningRateAt, type ScheduleConfig } from "../../train/schedule";
import { trainStep } from "../../train/step";
import { call, check, CheckFailure, maxAbsError } from "../check";
import { showHtml } from "../display";
import { lineChartHtml, showPlot, type LineChartOptions } from "../plot";
import { REPO_ROOT } from "../setup";

export interface LiveChart {
  /** Appends one point to every series (same x; NaN or undefined leaves that series out). */
  add(x: number, ys: readonly (number | undefined)[]): void;
  /** The points added so far, per series. */
  readonly series: { name: string; x: number[]; y: number[] }[];
}

/**
 * An empty line chart that later cells (or callbacks) extend: each add() sends a small script that
 * calls Plotly.extendTraces on the chart, so the curve grows while the cell runs. In an HTML export
 * the scripts run in order and the final chart is complete.
 */
export function liveLineChart(names: readonly string[], opts: LineChartOptions = {}): LiveChart {
  const html = lineChartHtml(names.map((name) => ({ name, x: [], y: [] })), opts);
  showPlot(html);
  const id = /id="([^"]+)"/.exec(html)?.[1] ?? "";
  const series = names.map((name) => ({ name, x: [] as number[], y: [] as number[] }));
  return {
    series,
    add(x, ys) {
      const idx: number[] = [];
      const xs: number[][] = [];
      const vs: number[][] = [];
      ys.forEach((y, k) => {
        if (y === undefined || !Number.isFinite(y) || k >= series.length) return;
        series[k].x.push(x);
        series[k].y.push(y);
        idx.push(k);
        xs.push([x]);
        vs.push([y]);
      });
      if (idx.length === 0) return;
      const json = JSON.stringify({ x: xs, y: vs });
      showHtml(`<script type="text/javascript">(function () { var el = document.getElementById(${JSON.stringify(id)}); if (window.Plotly && el && el.data) window.Plotly.extendTraces(el, ${json}, ${JSON.stringify(idx)}); })();</script>`);
    },
  };
}

const SCHEDULES: ScheduleConfig[] = [
  { lr: 0.05, totalSteps: 96, warmupSteps: 8, warmupStartFactor: 0.1, minLr: 0 },
  { lr: 1, totalSteps: 40, warmupSteps: 0, warmupStartFactor: 0.1, minLr: 0.01 },
  { lr: 0.2, totalSteps: 30, warmupSteps: 10, warmupStartFactor: 0.5, minLr: 0.001 },
  // npm start's shape: warm-up, a flat phase at the peak, then the cosine.
  { lr: 0.003, totalSteps: 64, warmupSteps: 4, holdSteps: 24, warmupStartFactor: 0.1, minLr: 0 },
];

const fmt = (s: ScheduleConfig) =>
  `{lr ${s.lr}, totalSteps ${s.totalSteps}, warmupSteps ${s.warmupSteps}, warmupStartFactor ${s.warmupStartFactor}, minLr ${s.minLr}${s.holdSteps !== undefined ? `, holdSteps ${s.holdSteps}` : ""}}`;

/** 8.1: linear warm-up from warmupStartFactor * lr, a flat phase of holdSteps (0 when undefined), then cosine down to minLr at the last step. */
export function checkLearningRate(fn: (step: number, s: ScheduleConfig) => number): void {
  return check("8.1", "learning rate: linear warm-up, hold, then cosine", () => {
    for (const s of SCHEDULES) {
      for (let step = 0; step <= s.totalSteps; step++) {
        const want = learningRateAt(step, s);
        const got = call(`learningRate(${step}, ...)`, () => fn(step, { ...s }));
        if (typeof got !== "number" || !(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)))) {
          throw new CheckFailure(`learningRate(step ${step}, ${fmt(s)}): expected ${want}, got ${String(got)} (first differing step of this schedule)`);
        }
      }
    }
  }, fn);
}

// confusion[true][predicted]; the second and third have unequal class sizes, where top-1 and the
// mean of per-class accuracies differ.
const CONFUSIONS: number[][][] = [
  [
    [3, 1],
    [0, 4],
  ],
  [
    [10, 0, 0],
    [1, 1, 0],
    [2, 0, 0],
  ],
  [
    [5, 2, 1, 0],
    [0, 0, 3, 1],
    [0, 0, 7, 0],
    [1, 0, 0, 0],
  ],
];

/** The reference: correct predictions (the diagonal) over all videos (evaluate()'s top1). */
export function top1FromConfusion(confusion: readonly (readonly number[])[]): number {
  let hit = 0;
  let all = 0;
  confusion.forEach((row, t) => row.forEach((n, p) => ((all += n), (hit += t === p ? n : 0))));
  return hit / all;
}

/** 8.2: top-1 accuracy from a confusion matrix. */
export function checkTop1(fn: (confusion: number[][]) => number): void {
  return check("8.2", "top-1 accuracy from a confusion matrix", () => {
    for (const m of CONFUSIONS) {
      const want = top1FromConfusion(m);
      const what = `top1(${JSON.stringify(m)})`;
      const got = call(what, () => fn(m.map((r) => [...r])));
      if (typeof got !== "number" || !(Math.abs(got - want) <= 1e-12)) throw new CheckFailure(`${what}: expected ${want}, got ${String(got)}`);
    }
  }, fn);
}

// ---------------------------------------------------------------------------------------------
// 8.3 and 8.4: one training step (src/train/step.ts).

/**
 * PyTorch's clip_grad_norm_ (and step.ts): when the global norm exceeds maxNorm, every gradient is
 * multiplied by maxNorm / (norm + 1e-6); otherwise it is left as it is.
 */
export function pytorchClipScale(gradNorm: number, maxNorm: number): number {
  return gradNorm > maxNorm ? maxNorm / (gradNorm + 1e-6) : 1;
}

const CLIP_CASES: [number, number][] = [
  [80, 40],
  [3.5, 40],
  [40, 40],
  [4.25, 1],
  [0, 1],
  [2e-6, 1e-6],
];

/** 8.3: the clip scale of PyTorch's clip_grad_norm_. */
export function checkClipScale(fn: (gradNorm: number, maxNorm: number) => number): void {
  return check("8.3", "gradient clipping: the scale of clip_grad_norm_", () => {
    for (const [norm, max] of CLIP_CASES) {
      const what = `clipScale(gradNorm ${norm}, maxNorm ${max})`;
      const want = pytorchClipScale(norm, max);
      const got = call(what, () => fn(norm, max));
      if (typeof got !== "number" || !(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)))) {
        const hint =
          got === max / norm
            ? ": that is maxNorm / gradNorm; PyTorch divides by gradNorm + 1e-6"
            : norm <= max && got !== 1
              ? ": a norm that does not exceed maxNorm is left alone (scale 1)"
              : "";
        throw new CheckFailure(`${what}: expected ${want}, got ${String(got)}${hint}`);
      }
    }
  }, fn);
}

/** What the learner writes in 8.4: one optimisation step, returning the loss and the raw gradients' global norm. */
export type TrainStepFn = (model: SlowFast, opt: FlatOptimizer, clips: tf.Tensor5D, labels: tf.Tensor1D, clipNorm: number) => { loss: number; gradNorm: number };

interface StepCase {
  what: string;
  optimizer: OptimizerConfig;
  clipNorm: number;
}

// Weight decay 100x mmaction2's, so that decay applied in the wrong place (folded into the
// gradient before clipping, or twice) changes the result well beyond the tolerance.
const STEP_SGD: OptimizerConfig = { ...MMACTION2_SGD, lr: 0.1, weightDecay: 0.01 };
const STEP_CASES: StepCase[] = [
  { what: `SGD (momentum ${STEP_SGD.momentum}, weight decay ${STEP_SGD.weightDecay}, lr ${STEP_SGD.lr}), clipNorm 1 (the gradients get clipped)`, optimizer: STEP_SGD, clipNorm: 1 },
  { what: `SGD (momentum ${STEP_SGD.momentum}, weight decay ${STEP_SGD.weightDecay}, lr ${STEP_SGD.lr}), clipNorm 100 (no clipping)`, optimizer: STEP_SGD, clipNorm: 100 },
  { what: `AdamW (the kit's default: lr ${DEFAULT_OPTIMIZER.lr}, weight decay ${DEFAULT_OPTIMIZER.weightDecay}), clipNorm 1`, optimizer: DEFAULT_OPTIMIZER, clipNorm: 1 },
];
const STEP_TOL = 1e-5;
/** The models of the 8.4 check: slowfast_test without dropout (so no random masks), the same seed. */
const STEP_PRESET = "slowfast_test";

const close = (want: number, got: number) => Math.abs(want - got) <= STEP_TOL * Math.max(1, Math.abs(want));

/**
 * 8.4: the learner's training step against the library's trainStep: two identical models (same
 * seed, dropout 0), the same fixed batch, two steps per case; the loss, the gradient norm and every
 * parameter after each update (batch-norm running statistics included) must agree within 1e-5.
 */
export function checkTrainStep(fn: TrainStepFn): void {
  return check("8.4", "one training step: forward, loss, gradients, clipping, update", () => {
    const config = presetConfig(STEP_PRESET, { dropout: 0 });
    const clips = tf.randomNormal([4, config.frames, config.size, config.size, 3], 0, 1, "float32", 7) as tf.Tensor5D;
    const labels = tf.tensor1d([0, 3, 1, 4], "int32");
    try {
      for (const c of STEP_CASES) {
        const mine = new SlowFast(config, 5);
        const lib = new SlowFast(config, 5);
        const myOpt = makeOptimizer(c.optimizer, mine.trainableVariables());
        const libOpt = makeOptimizer(c.optimizer, lib.trainableVariables());
        try {
          for (let step = 1; step <= 2; step++) {
            const where = `step ${step} of ${c.what}`;
            const libBefore = tf.memory().numTensors;
            const want = trainStep(lib, libOpt, clips, labels, { clipNorm: c.clipNorm });
            const libLeak = tf.memory().numTensors - libBefore;
            const before = tf.memory().numTensors;
            const got = call("myTrainStep(...)", () => fn(mine, myOpt, clips, labels, c.clipNorm));
            const leaked = tf.memory().numTensors - before - libLeak;
            if (typeof got !== "object" || got === null || typeof got.loss !== "number" || typeof got.gradNorm !== "number") {
              throw new CheckFailure(`${where}: return { loss, gradNorm } as two numbers (read them with dataSync()[0]), got ${JSON.stringify(got)}`);
            }
            if (!close(want.loss, got.loss)) {
              throw new CheckFailure(
                `${where}: loss expected ${want.loss}, got ${got.loss}` +
                  (step === 1 ? " (the forward pass must run in training mode, model.forward(clips, { training: true }): batch norm then uses the batch's statistics; the loss is crossEntropy(logits, labels))" : " (step 1's loss matched: the first update changed the weights differently)"),
              );
            }
            if (!close(want.gradNorm, got.gradNorm)) {
              throw new CheckFailure(`${where}: gradNorm expected ${want.gradNorm}, got ${got.gradNorm} (the global L2 norm of the raw gradients, all parameters together, before clipping: sqrt of the sum of every gradient value squared; weight decay is opt.update's job, not part of the gradient)`);
            }
            if (leaked > 0) {
              throw new CheckFailure(`${where}: your step left ${leaked} tensor(s) in memory (the gradients, the loss, the flat vector...); a run of hundreds of steps would run out of memory: wrap the step in tf.tidy(() => { ... }) or dispose them`);
            }
            const mineEntries = [...mine.params.entries];
            const libEntries = [...lib.params.entries];
            for (let i = 0; i < libEntries.length; i++) {
              const [name, e] = libEntries[i];
              const wantW = e.variable.dataSync();
              const gotW = mineEntries[i][1].variable.dataSync();
              const { err, at, scale } = maxAbsError(wantW, gotW);
              if (!(err <= STEP_TOL * Math.max(1, scale))) {
                throw new CheckFailure(
                  `after ${where}: parameter "${name}" ${formatShapeOf(e.variable.shape)} differs from the library's: max error ${err.toExponential(2)} at flat index ${at} (expected ${wantW[at]}, got ${gotW[at]}); ` +
                    (i === 0 ? "it is the first parameter. " : `the ${i} parameter(s) before it match. `) +
                    `Loss and gradNorm matched, so look at what reaches opt.update: the clip scale (PyTorch: maxNorm / (norm + 1e-6), only when norm > maxNorm) and the flat gradient of the raw gradients`,
                );
              }
            }
          }
        } finally {
          myOpt.dispose();
          libOpt.dispose();
          mine.dispose();
          lib.dispose();
        }
      }
    } finally {
      tf.dispose([clips, labels]);
    }
  }, fn);
}

const formatShapeOf = (shape: readonly number[]) => `[${shape.join(", ")}]`;

// ---------------------------------------------------------------------------------------------
// The ablation: docs/study/study.json, written by `npm run study` (src/cli/study.ts).

/** One run of the study: `npm start -- --seed N --pathways P`. */
export interface StudyRunRecord {
  pathways: PathwayMode;
  seed: number;
  testTop1: number;
  valTop1?: number;
  bestEpoch?: number;
  seconds?: number;
  /** Recall of each class on the test split, in `classes` order. */
  perClassRecall?: number[];
  classes?: string[];
}

export interface StudyFile {
  command: string;
  createdAt: string;
  backend: string;
  recipe: Record<string, unknown>;
  runs: StudyRunRecord[];
}

export type StudyLoad = { status: "missing"; path: string } | { status: "invalid"; path: string; reason: string } | { status: "ok"; path: string; study: StudyFile };

/** Where the study is read from: $SLOWFAST_STUDY_JSON (tests) or docs/study/study.json. */
export function studyPath(): string {
  return process.env.SLOWFAST_STUDY_JSON || join(REPO_ROOT, "docs", "study", "study.json");
}

const PATHWAY_ORDER: PathwayMode[] = ["slowfast", "slow_only", "fast_only"];

/** Reads and checks the study file; never throws (a missing or malformed file is a status). */
export function loadStudy(path = studyPath()): StudyLoad {
  if (!existsSync(path)) return { status: "missing", path };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    return { status: "invalid", path, reason: `not JSON (${(err as Error).message})` };
  }
  const s = raw as Partial<StudyFile>;
  if (typeof s !== "object" || s === null || !Array.isArray(s.runs)) return { status: "invalid", path, reason: "no runs array" };
  if (s.runs.length === 0) return { status: "invalid", path, reason: "the runs array is empty" };
  for (const [i, r] of s.runs.entries()) {
    const bad = (field: string) => ({ status: "invalid" as const, path, reason: `runs[${i}].${field} is missing or of the wrong type` });
    if (!PATHWAY_ORDER.includes(r?.pathways as PathwayMode)) return bad("pathways");
    if (typeof r.seed !== "number") return bad("seed");
    if (typeof r.testTop1 !== "number" || !(r.testTop1 >= 0 && r.testTop1 <= 1)) return bad("testTop1");
    if (r.valTop1 !== undefined && typeof r.valTop1 !== "number") return bad("valTop1");
    if (r.perClassRecall !== undefined && (!Array.isArray(r.perClassRecall) || !Array.isArray(r.classes) || r.perClassRecall.length !== r.classes.length)) return bad("perClassRecall (one value per entry of classes)");
  }
  return {
    status: "ok",
    path,
    study: { command: String(s.command ?? "?"), createdAt: String(s.createdAt ?? "?"), backend: String(s.backend ?? "?"), recipe: (s.recipe ?? {}) as Record<string, unknown>, runs: s.runs },
  };
}

export interface PathwaySummary {
  pathways: PathwayMode;
  /** Seeds in ascending order, and each seed's test top-1 (and val top-1 where recorded). */
  seeds: number[];
  testTop1: number[];
  valTop1: (number | undefined)[];
  meanTestTop1: number;
  /** Mean over the seeds of each class's recall (undefined when a run lacks it). */
  meanRecall?: number[];
  classes?: string[];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Groups the runs by pathway mode (SlowFast, Slow-only, Fast-only order): each seed and the mean. */
export function summarizeStudy(study: StudyFile): PathwaySummary[] {
  return PATHWAY_ORDER.flatMap((pathways) => {
    const runs = study.runs.filter((r) => r.pathways === pathways).sort((a, b) => a.seed - b.seed);
    if (runs.length === 0) return [];
    const withRecall = runs.every((r) => r.perClassRecall && r.classes && r.classes.join() === runs[0].classes!.join());
    return [
      {
        pathways,
        seeds: runs.map((r) => r.seed),
        testTop1: runs.map((r) => r.testTop1),
        valTop1: runs.map((r) => r.valTop1),
        meanTestTop1: mean(runs.map((r) => r.testTop1)),
        ...(withRecall && { meanRecall: runs[0].perClassRecall!.map((_, c) => mean(runs.map((r) => r.perClassRecall![c]))), classes: runs[0].classes }),
      },
    ];
  });
}

/** The top-level keys whose values differ between two recipes (JSON comparison), as "key: a vs b". */
export function recipeDifferences(ran: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(ran), ...Object.keys(now)])];
  return keys.filter((k) => JSON.stringify(ran[k]) !== JSON.stringify(now[k])).map((k) => `${k}: ${JSON.stringify(ran[k])} in the study vs ${JSON.stringify(now[k])} now`);
}
