// Wall-clock medians: run `fn` a few times untimed (kernel selection, oneDNN primitive caches),
// then `runs` times timed, and report the median in milliseconds.
import { performance } from "node:perf_hooks";

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median and minimum of measured times (ms). */
export function summarize(times: readonly number[]): Timing {
  return { medianMs: median(times), minMs: Math.min(...times), runs: times.length };
}

/** Times `n` calls of `fn`, one wall-clock time (ms) each. */
export function timeRuns(fn: () => void, n: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export function timeIt(fn: () => void, runs: number, warmup = 1): Timing {
  for (let i = 0; i < warmup; i++) fn();
  return summarize(timeRuns(fn, runs));
}
