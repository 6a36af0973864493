// Evaluation as mmaction2 tests: every video is seen as `views` clips (clips x crops), the softmax
// scores of its views are averaged (average_clips="prob"), and the average decides the prediction.
import { tf } from "../backend";
import type { SlowFast } from "../model";
import type { BatchSource } from "./source";

export interface EvalResult {
  videos: number;
  top1: number;
  /** Top-5 accuracy (top-k with k = min(5, classes)). */
  top5: number;
  /** Mean cross-entropy of the averaged probabilities. */
  loss: number;
  /** Mean of per-class recall (mmaction2's mean_class_accuracy). */
  meanClassAccuracy: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** Per video: label and predicted class, in source order. */
  predictions: { label: number; predicted: number; confidence: number }[];
}

export async function evaluate(model: SlowFast, source: BatchSource, epoch = 0): Promise<EvalResult> {
  const k = model.config.numClasses;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const predictions: EvalResult["predictions"] = [];
  let top5Hits = 0;
  let lossSum = 0;
  for await (const batch of source.batches(epoch)) {
    const n = batch.labels.shape[0];
    const views = batch.clips.shape[0] / n;
    const [probs, labels] = tf.tidy(() => {
      const logits = model.predict(batch.clips); // [n * views, K]
      return [tf.mean(tf.reshape(tf.softmax(logits), [n, views, k]), 1).arraySync() as number[][], batch.labels.arraySync() as number[]];
    });
    tf.dispose([batch.clips, batch.labels]);
    probs.forEach((p, i) => {
      const label = labels[i];
      const ranked = p.map((v, c) => [v, c]).sort((a, b) => b[0] - a[0]);
      const predicted = ranked[0][1];
      confusion[label][predicted]++;
      predictions.push({ label, predicted, confidence: ranked[0][0] });
      if (ranked.slice(0, Math.min(5, k)).some(([, c]) => c === label)) top5Hits++;
      lossSum += -Math.log(Math.max(p[label], 1e-12));
    });
  }
  const videos = predictions.length;
  if (videos === 0) throw new Error("evaluate: the data source produced no videos");
  const correct = predictions.filter((p) => p.label === p.predicted).length;
  const recalls = confusion.map((row, c) => ({ total: row.reduce((a, b) => a + b, 0), hit: row[c] })).filter((r) => r.total > 0);
  return {
    videos,
    top1: correct / videos,
    top5: top5Hits / videos,
    loss: lossSum / videos,
    meanClassAccuracy: recalls.reduce((a, r) => a + r.hit / r.total, 0) / recalls.length,
    confusion,
    predictions,
  };
}
