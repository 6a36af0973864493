// Residual blocks of ResNet3d (mmaction2's BasicBlock3d and Bottleneck3d, 'pytorch' style: the
// spatial stride sits on the 3x3 conv). "inflate" adds a temporal kernel of 3 to the first conv;
// the slow pathway inflates only res4 and res5, the fast pathway every stage.
//
// Bottleneck (expansion 4), input [N,T,H,W,Cin]:
//   conv1 (3,1,1) if inflate else (1,1,1), Cin -> P     + BN + ReLU
//   conv2 (1,3,3), stride (1,s,s),          P -> P       + BN + ReLU   -> [N,T,H/s,W/s,P]
//   conv3 (1,1,1),                          P -> 4P      + BN (gamma 0 with zero_init_residual)
//   out = ReLU(conv3 + shortcut); shortcut = x, or (1,1,1) conv stride (1,s,s) + BN when the
//   shape changes (the "downsample").
// Basic (expansion 1), mmaction2's BasicBlock3d: inflate makes BOTH convs (3,3,3) (padding 1 on
//   every axis), otherwise both are (1,3,3):
//   conv1 (3,3,3) | (1,3,3), stride (1,s,s), Cin -> P + BN + ReLU
//   conv2 (3,3,3) | (1,3,3),                 P -> P   + BN (gamma 0 with zero_init_residual);
//   same shortcut rule.
import { tf } from "../backend";
import type { BlockKind, Triple } from "./config";
import { chainMacs, type Layer } from "./layer";
import type { BatchNormOptions } from "./layers/batchnorm";
import { ConvModule } from "./layers/conv_module";
import { relu } from "./layers/relu";
import type { ParamScope } from "./params";
import type { Shape5 } from "./shape";

export const EXPANSION: Record<BlockKind, number> = { basic: 1, bottleneck: 4 };

export interface BlockSpec {
  kind: BlockKind;
  inplanes: number;
  planes: number;
  spatialStride: number;
  inflate: boolean;
  norm: BatchNormOptions;
  zeroInitResidual: boolean;
}

export class ResidualBlock implements Layer {
  readonly convs: ConvModule[];
  readonly downsample: ConvModule | null;

  constructor(scope: ParamScope, spec: BlockSpec) {
    const { inplanes: cin, planes: p, spatialStride: s, norm } = spec;
    const last = { ...norm, zeroInit: spec.zeroInitResidual };
    const cout = p * EXPANSION[spec.kind];
    if (spec.kind === "bottleneck") {
      this.convs = [
        new ConvModule(scope.child("conv1"), { cin, cout: p, kernel: spec.inflate ? [3, 1, 1] : [1, 1, 1], norm, relu: true }),
        new ConvModule(scope.child("conv2"), { cin: p, cout: p, kernel: [1, 3, 3], stride: [1, s, s], norm, relu: true }),
        new ConvModule(scope.child("conv3"), { cin: p, cout, kernel: [1, 1, 1], norm: last, relu: false }),
      ];
    } else {
      const kernel: Triple = spec.inflate ? [3, 3, 3] : [1, 3, 3];
      this.convs = [
        new ConvModule(scope.child("conv1"), { cin, cout: p, kernel, stride: [1, s, s], norm, relu: true }),
        new ConvModule(scope.child("conv2"), { cin: p, cout, kernel, norm: last, relu: false }),
      ];
    }
    const needsProjection = s !== 1 || cin !== cout;
    this.downsample = needsProjection
      ? new ConvModule(scope.child("downsample"), { cin, cout, kernel: [1, 1, 1], stride: [1, s, s], norm, relu: false })
      : null;
  }

  outShape(x: Shape5): Shape5 {
    return this.convs.reduce((s, conv) => conv.outShape(s), x);
  }

  macs(x: Shape5): number {
    return chainMacs(this.convs, x) + (this.downsample ? this.downsample.macs(x) : 0);
  }

  apply(x: tf.Tensor5D, training: boolean): tf.Tensor5D {
    return tf.tidy(() => {
      const residual = this.convs.reduce((h, conv) => conv.apply(h, training), x);
      const shortcut = this.downsample ? this.downsample.apply(x, training) : x;
      return relu(tf.add(residual, shortcut)) as tf.Tensor5D;
    });
  }
}

/** One residual stage (res2..res5): the first block strides and projects, the rest keep shape. */
export class ResStage implements Layer {
  readonly blocks: ResidualBlock[];

  constructor(scope: ParamScope, spec: BlockSpec & { blocks: number }) {
    const outChannels = spec.planes * EXPANSION[spec.kind];
    this.blocks = Array.from({ length: spec.blocks }, (_, i) =>
      new ResidualBlock(scope.child(String(i)), i === 0 ? spec : { ...spec, inplanes: outChannels, spatialStride: 1 }),
    );
  }

  outShape(x: Shape5): Shape5 {
    return this.blocks.reduce((s, b) => b.outShape(s), x);
  }

  macs(x: Shape5): number {
    return chainMacs(this.blocks, x);
  }

  apply(x: tf.Tensor5D, training: boolean): tf.Tensor5D {
    return this.blocks.reduce((h, b) => b.apply(h, training), x);
  }
}
