// Conv3d -> BatchNorm -> ReLU, each after the first optional: mmcv's ConvModule, which mmaction2
// builds every stem, block conv and downsample from.
import { tf } from "../../backend";
import type { Shape5 } from "../shape";
import type { ParamScope } from "../params";
import { BatchNorm, type BatchNormOptions } from "./batchnorm";
import { Conv3d, type Conv3dSpec } from "./conv3d";
import { relu } from "./relu";

export interface ConvModuleSpec extends Conv3dSpec {
  /** Batch-norm settings, or null for a bare conv (the lateral connections). */
  norm: BatchNormOptions | null;
  relu: boolean;
}

export class ConvModule {
  readonly conv: Conv3d;
  readonly bn: BatchNorm | null;
  readonly relu: boolean;

  constructor(scope: ParamScope, spec: ConvModuleSpec) {
    this.conv = new Conv3d(scope.child("conv"), spec);
    this.bn = spec.norm ? new BatchNorm(scope.child("bn"), spec.cout, spec.norm) : null;
    this.relu = spec.relu;
  }

  outShape(x: Shape5): Shape5 {
    return this.conv.outShape(x);
  }

  macs(x: Shape5): number {
    return this.conv.macs(x);
  }

  /** BN and ReLU run on the conv's frames-folded output [N*T', H', W', C], reshaped to 5D once at the end. */
  apply(x: tf.Tensor5D, training: boolean): tf.Tensor5D {
    return tf.tidy(() => {
      let y: tf.Tensor = this.conv.applyFramesFolded(x);
      if (this.bn) y = this.bn.apply(y, training);
      if (this.relu) y = relu(y);
      return tf.reshape(y, this.outShape(x.shape));
    });
  }
}
