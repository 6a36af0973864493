// The contract every SlowFast piece meets, so the model can both run it on tensors and predict
// its output shape and cost without running it (the shape plan that forward() asserts against).
import type { tf } from "../backend";
import type { Shape5 } from "./shape";

export interface Layer {
  /** Output shape for an NDHWC input shape, by convolution arithmetic alone. */
  outShape(x: Shape5): Shape5;
  /** Multiply-adds of conv and fc layers for that input (batch included). */
  macs(x: Shape5): number;
  apply(x: tf.Tensor5D, training: boolean): tf.Tensor5D;
}

/** Multiply-adds of layers applied one after another to an input of shape x. */
export function chainMacs(layers: readonly Pick<Layer, "outShape" | "macs">[], x: Shape5): number {
  let total = 0;
  let shape = x;
  for (const layer of layers) {
    total += layer.macs(shape);
    shape = layer.outShape(shape);
  }
  return total;
}
