// The training loop: epochs of optimiser steps with a warm-up + cosine learning rate, a progress bar,
// validation after every epoch, metrics as JSON lines, atomic checkpoints (last and best), resume.
//
// Determinism: the data order and augmentation depend only on (seed, epoch) (the loader), dropout
// masks only on (seed, step), the learning rate only on the step. So a run resumed from its epoch-e
// checkpoint continues exactly as the uninterrupted run would have (tested).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { tf } from "../backend";
import type { SlowFast } from "../model";
import { copyFileAtomic } from "./atomic";
import { loadCheckpoint, restoreModel, restoreOptimizer, saveCheckpoint, type CheckpointMeta } from "./checkpoint";
import { evaluate, type EvalResult } from "./evaluate";
import { appendMetrics, truncateMetrics, type EpochMetrics } from "./metrics";
import { makeOptimizer, type OptimizerConfig } from "./optimizer";
import { learningRateAt, type ScheduleConfig } from "./schedule";
import type { BatchSource } from "./source";
import { trainStep } from "./step";

export interface TrainOptions {
  epochs: number;
  optimizer: OptimizerConfig;
  /** Epochs of linear warm-up (from 0.1x the learning rate), then cosine to 0 at the last step. */
  warmupEpochs: number;
  /** Epochs at the peak learning rate after the warm-up, before the cosine (default 0). */
  holdEpochs?: number;
  /** Global gradient-norm clipping (mmaction2: 40). */
  clipNorm: number;
  seed: number;
  /** Where last.ckpt, best.ckpt and metrics.jsonl go (created if missing). */
  outDir: string;
  /** Continue from outDir/last.ckpt when it exists. */
  resume?: boolean;
  /** Class names, stored in the checkpoints for eval and reports. */
  classes: string[];
  /** Draw a progress bar on stderr (default: when stderr is a terminal). */
  progressBar?: boolean;
  /** One line per event (epoch summaries, checkpoints); default console.log. */
  log?: (line: string) => void;
  onStep?: (s: { epoch: number; step: number; loss: number; accuracy: number; lr: number }) => void;
  onEpoch?: (m: EpochMetrics, val?: EvalResult) => void;
  /** Stored in the checkpoints' meta (e.g. the data root and split). */
  meta?: Record<string, unknown>;
}

export interface TrainResult {
  metrics: EpochMetrics[];
  bestEpoch: number;
  bestValTop1: number;
  lastCheckpoint: string;
  bestCheckpoint: string;
  /** The evaluation after the last epoch (undefined without a validation source). */
  finalVal?: EvalResult;
}

export class NonFiniteLossError extends Error {}

export async function train(model: SlowFast, trainData: BatchSource, valData: BatchSource | undefined, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  mkdirSync(opts.outDir, { recursive: true });
  const lastFile = join(opts.outDir, "last.ckpt");
  const bestFile = join(opts.outDir, "best.ckpt");
  const metricsFile = join(opts.outDir, "metrics.jsonl");
  const stepsPerEpoch = trainData.batchesPerEpoch;
  if (stepsPerEpoch === 0) throw new Error("train: the training data has no batches (fewer clips than one batch?)");
  const schedule: ScheduleConfig = {
    lr: opts.optimizer.lr,
    totalSteps: opts.epochs * stepsPerEpoch,
    warmupSteps: Math.round(opts.warmupEpochs * stepsPerEpoch),
    holdSteps: Math.round((opts.holdEpochs ?? 0) * stepsPerEpoch),
    warmupStartFactor: 0.1,
    minLr: 0,
  };
  const optimizer = makeOptimizer(opts.optimizer, model.trainableVariables());
  let startEpoch = 0;
  let step = 0;
  let bestValTop1 = -1;
  let bestEpoch = 0;
  let metrics: EpochMetrics[] = [];
  try {
    if (opts.resume && existsSync(lastFile)) {
      const ckpt = await loadCheckpoint(lastFile);
      if (ckpt.meta.config.name !== model.config.name || JSON.stringify(ckpt.meta.config) !== JSON.stringify(model.config)) {
        tf.dispose([...ckpt.model.values(), ...ckpt.optimizer.map((w) => w.tensor)]);
        throw new Error(`--resume: ${lastFile} was saved from another model configuration (${ckpt.meta.config.name}); use another --out or drop --resume`);
      }
      restoreModel(model, ckpt.model, lastFile);
      restoreOptimizer(optimizer, ckpt.optimizer, lastFile);
      startEpoch = ckpt.meta.epoch;
      step = ckpt.meta.step;
      bestValTop1 = Number(ckpt.meta.bestValTop1 ?? -1);
      bestEpoch = Number(ckpt.meta.bestEpoch ?? 0);
      metrics = await truncateMetrics(metricsFile, startEpoch);
      log(`resumed from ${lastFile}: epoch ${startEpoch}/${opts.epochs} done, step ${step}`);
    } else {
      await truncateMetrics(metricsFile, 0);
    }

    let finalVal: EvalResult | undefined;
    for (let epoch = startEpoch; epoch < opts.epochs; epoch++) {
      const t0 = performance.now();
      const bar = (opts.progressBar ?? process.stderr.isTTY) ? newBar(epoch, opts.epochs, stepsPerEpoch) : undefined;
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = 0;
      for await (const batch of trainData.batches(epoch)) {
        lr = learningRateAt(step, schedule);
        optimizer.learningRate = lr;
        const n = batch.labels.shape[0];
        const r = trainStep(model, optimizer, batch.clips, batch.labels, {
          clipNorm: opts.clipNorm,
          // Never 0: tfjs treats a seed of 0 as "no seed" and draws a random one.
          dropoutSeed: opts.seed * 1_000_003 + step + 1,
        });
        tf.dispose([batch.clips, batch.labels]);
        if (!Number.isFinite(r.loss)) {
          bar?.stop();
          throw new NonFiniteLossError(
            `training stopped: the loss became ${r.loss} at epoch ${epoch + 1}, step ${step + 1} (learning rate ${lr.toExponential(2)}); ` +
              `the weights were not updated with it. Lower --lr (now ${opts.optimizer.lr}) or check the data; ` +
              (existsSync(lastFile) ? `the last good checkpoint is ${lastFile}` : "no checkpoint was written yet"),
          );
        }
        step++;
        lossSum += r.loss * n;
        correct += r.correct;
        seen += n;
        const seconds = (performance.now() - t0) / 1000;
        bar?.increment({ loss: (lossSum / seen).toFixed(3), acc: ((100 * correct) / seen).toFixed(1), cps: (seen / seconds).toFixed(1) });
        opts.onStep?.({ epoch: epoch + 1, step, loss: r.loss, accuracy: r.correct / n, lr });
      }
      bar?.stop();
      const trainSeconds = (performance.now() - t0) / 1000;
      const val = valData ? await evaluate(model, valData, 0) : undefined;
      finalVal = val;
      const m: EpochMetrics = {
        epoch: epoch + 1,
        step,
        lr,
        trainLoss: lossSum / Math.max(1, seen),
        trainAccuracy: correct / Math.max(1, seen),
        ...(val && { valLoss: val.loss, valTop1: val.top1, valTop5: val.top5 }),
        clipsPerSecond: seen / trainSeconds,
        seconds: (performance.now() - t0) / 1000,
      };
      metrics.push(m);
      await appendMetrics(metricsFile, m);
      const improved = val !== undefined && val.top1 > bestValTop1;
      if (improved) [bestValTop1, bestEpoch] = [val.top1, epoch + 1];
      const meta: CheckpointMeta = { config: model.config, epoch: epoch + 1, step, classes: opts.classes, bestValTop1, bestEpoch, seed: opts.seed, ...opts.meta };
      await saveCheckpoint(lastFile, meta, model, optimizer);
      if (improved) await copyFileAtomic(lastFile, bestFile);
      log(
        `epoch ${epoch + 1}/${opts.epochs}: loss ${m.trainLoss.toFixed(3)}, train acc ${(100 * m.trainAccuracy).toFixed(1)}%` +
          (val ? `, val top-1 ${(100 * val.top1).toFixed(1)}% (loss ${val.loss.toFixed(3)})` : "") +
          `, ${m.clipsPerSecond.toFixed(1)} clips/s, ${m.seconds.toFixed(1)} s${improved ? ", best so far" : ""}`,
      );
      opts.onEpoch?.(m, val);
    }
    if (!existsSync(bestFile) && existsSync(lastFile)) await copyFileAtomic(lastFile, bestFile);
    return { metrics, bestEpoch, bestValTop1, lastCheckpoint: lastFile, bestCheckpoint: bestFile, finalVal };
  } finally {
    optimizer.dispose();
  }
}

function newBar(epoch: number, epochs: number, total: number): SingleBar {
  const bar = new SingleBar({
    format: `epoch ${epoch + 1}/${epochs} {bar} {value}/{total} batches | loss {loss} | acc {acc}% | {cps} clips/s | ETA {eta_formatted}`,
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 20,
  });
  bar.start(total, 0, { loss: "-", acc: "-", cps: "-" });
  return bar;
}
