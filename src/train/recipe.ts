// The small-scale run's settings, in one place: `npm start`, `slowfast train`'s defaults and
// notebook 08 all read them from here.
import { SYNTH_CLIPS_PER_CLASS } from "../data/synth";
import { DEFAULT_OPTIMIZER } from "./optimizer";
import type { RunOptions } from "./run";

/** The run settings `npm start` fixes (the data root, output and pathways come from the caller). */
export type SmallRun = Pick<RunOptions, "preset" | "epochs" | "batchSize" | "optimizer" | "warmupEpochs" | "holdEpochs" | "frameInterval" | "testClips" | "seed"> & {
  /** Clips per class of the synthetic set it trains on. */
  clipsPerClass: number;
};

/**
 * Sized for under 5 minutes on the native backend of a 2-core machine: 480 training clips (576 less
 * the validation groups) x 16 epochs = 960 steps, plus making, checking and decoding the data set;
 * `npm run study` measures the whole run (README "What `npm start` measured here").
 * Schedule: 1 epoch of warm-up, 6 flat at the peak, then cosine (schedule.ts says why the flat
 * phase). frameInterval 2 is part of the data set's design: the fast pathway's frames are 2 apart,
 * the slow pathway's 8, longer than a synth-motion dot lives (src/data/synth_render.ts).
 */
export const SMALL_RUN: SmallRun = {
  preset: "slowfast_tiny",
  clipsPerClass: SYNTH_CLIPS_PER_CLASS,
  epochs: 16,
  batchSize: 8,
  optimizer: DEFAULT_OPTIMIZER,
  warmupEpochs: 1,
  holdEpochs: 6,
  frameInterval: 2,
  testClips: 3,
  seed: 1,
};
