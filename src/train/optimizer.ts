// The optimiser: mmaction2's SGD (momentum 0.9, weight decay 1e-4) or Adam, with the learning rate
// set per step by the schedule (schedule.ts).
//
// tfjs's MomentumOptimizer updates v = m*v + g; w -= lr*v, which is PyTorch's SGD with momentum
// (dampening 0, no Nesterov). Weight decay is added to the gradient in trainStep (g += wd * w), as
// PyTorch's SGD does, rather than as a loss term.
import { tf } from "../backend";

export type OptimizerKind = "sgd" | "adam";

export interface OptimizerConfig {
  kind: OptimizerKind;
  /** Peak learning rate (after warm-up). */
  lr: number;
  /** SGD momentum (ignored by Adam). */
  momentum: number;
  weightDecay: number;
}

/**
 * mmaction2's SlowFast recipe (SGD, momentum 0.9, weight decay 1e-4), its learning rate scaled
 * linearly from 0.1 at batch 64 down to batch 8 and up for a small model.
 */
export const MMACTION2_SGD: OptimizerConfig = { kind: "sgd", lr: 0.05, momentum: 0.9, weightDecay: 1e-4 };
/**
 * The kit's default: Adam at 3e-3. Measured on the synthetic motion set with slowfast_tiny from
 * scratch: Adam left the ln(K) plateau within ~200 steps; SGD at 0.05 first raised the loss and
 * was still at chance after 12 epochs (notebook 08 shows both).
 */
export const DEFAULT_OPTIMIZER: OptimizerConfig = { kind: "adam", lr: 3e-3, momentum: 0, weightDecay: 1e-4 };

/** The default settings of an optimiser kind. */
export function optimizerDefaults(kind: OptimizerKind): OptimizerConfig {
  return kind === "sgd" ? MMACTION2_SGD : DEFAULT_OPTIMIZER;
}

export function makeOptimizer(config: OptimizerConfig): tf.Optimizer {
  if (config.kind === "sgd") return tf.train.momentum(config.lr, config.momentum);
  if (config.kind === "adam") return tf.train.adam(config.lr);
  throw new Error(`unknown optimizer "${String(config.kind)}"; choose sgd or adam`);
}

/** Sets the learning rate the next applyGradients uses. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const name = optimizer.getClassName();
  if (name === "SGD" || name === "Momentum") (optimizer as tf.SGDOptimizer).setLearningRate(lr);
  else if (name === "Adam") (optimizer as unknown as { learningRate: number }).learningRate = lr; // read at every update
  else throw new Error(`setLearningRate: unsupported optimizer ${name}`);
}

/**
 * Frees the optimiser's state. tfjs 4.22's MomentumOptimizer.dispose() frees its accumulators and
 * momentum scalar but not the learning-rate scalar its parent SGDOptimizer keeps (`c`), which
 * would leak one tensor per optimiser; freed here.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  if (optimizer.getClassName() === "Momentum") {
    const c = (optimizer as unknown as { c?: tf.Tensor }).c;
    if (c && !c.isDisposed) c.dispose();
  }
}
