// Learning rate per step: linear warm-up from `warmupStartFactor * lr` to `lr`, an optional flat
// phase at `lr`, then cosine annealing to `minLr` at the last step (mmaction2: LinearLR warm-up,
// then CosineAnnealingLR, no flat phase). The flat phase is for short runs from scratch: the loss
// sits at ln K until the first useful features form, and a cosine that starts at once has already
// lowered the rate when they do. A function of the step alone, so a resumed run gets the same rate
// as an uninterrupted one.

export interface ScheduleConfig {
  lr: number;
  totalSteps: number;
  warmupSteps: number;
  /** Steps at the peak rate after the warm-up, before the cosine starts (0 = mmaction2's). */
  holdSteps?: number;
  /** Fraction of lr the warm-up starts at (mmaction2: 0.1). */
  warmupStartFactor: number;
  minLr: number;
}

export function learningRateAt(step: number, s: ScheduleConfig): number {
  if (step < s.warmupSteps) {
    const f = s.warmupStartFactor + (1 - s.warmupStartFactor) * (step / s.warmupSteps);
    return s.lr * f;
  }
  const decayStart = s.warmupSteps + (s.holdSteps ?? 0);
  if (step < decayStart) return s.lr;
  const span = Math.max(1, s.totalSteps - decayStart);
  const progress = Math.min(1, (step - decayStart) / span);
  return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * progress));
}
