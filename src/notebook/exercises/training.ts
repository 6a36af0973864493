// Checkers for notebook 08 (training), against src/train/schedule.ts and src/train/evaluate.ts's
// definitions, and a line chart that grows while a run trains (one point per epoch).
import { learningRateAt, type ScheduleConfig } from "../../train/schedule";
import { call, check, type CheckResult, CheckFailure } from "../check";
import { showHtml } from "../display";
import { lineChart, type LineChartOptions } from "../plot";

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
  const html = lineChart(names.map((name) => ({ name, x: [], y: [] })), opts);
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
];

const fmt = (s: ScheduleConfig) => `{lr ${s.lr}, totalSteps ${s.totalSteps}, warmupSteps ${s.warmupSteps}, warmupStartFactor ${s.warmupStartFactor}, minLr ${s.minLr}}`;

/** 8.1: linear warm-up from warmupStartFactor * lr, then cosine down to minLr at the last step. */
export function checkLearningRate(fn: (step: number, s: ScheduleConfig) => number): CheckResult {
  return check("8.1", "learning rate: linear warm-up, then cosine", () => {
    for (const s of SCHEDULES) {
      for (let step = 0; step <= s.totalSteps; step++) {
        const want = learningRateAt(step, s);
        const got = call(`learningRate(${step}, ...)`, () => fn(step, { ...s }));
        if (typeof got !== "number" || !(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)))) {
          throw new CheckFailure(`learningRate(step ${step}, ${fmt(s)}): expected ${want}, got ${String(got)} (first differing step of this schedule)`);
        }
      }
    }
  });
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
export function checkTop1(fn: (confusion: number[][]) => number): CheckResult {
  return check("8.2", "top-1 accuracy from a confusion matrix", () => {
    for (const m of CONFUSIONS) {
      const want = top1FromConfusion(m);
      const what = `top1(${JSON.stringify(m)})`;
      const got = call(what, () => fn(m.map((r) => [...r])));
      if (typeof got !== "number" || !(Math.abs(got - want) <= 1e-12)) throw new CheckFailure(`${what}: expected ${want}, got ${String(got)}`);
    }
  });
}
