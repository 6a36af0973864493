// A 3D convolution with PyTorch's symmetric padding, dispatched to the cheapest equivalent tfjs op.
//
// Weights are stored as tfjs's conv3d filter [kt, kh, kw, cin, cout] (PyTorch: [cout, cin, kt, kh, kw]).
// Dispatch (measured on tfjs-node: folding cuts a training step by ~15%; `npm run bench --
// --profile` shows where a step's time goes; test/layers.test.ts checks every path against conv3d):
//   (1,kh,kw) kernels  -> conv2d over [N*T, H, W, C]    (time folded into the batch)
//   (kt,1,1)  kernels  -> conv2d over [N, T, H*W, C]    (space folded into one axis)
//   1x1x1              -> every stride-th position (subsample), then matMul over [N*T*H*W, C] (see below)
//   anything else      -> conv3d
// Why pointwise convs avoid conv3d/conv2d: TF 2.21's oneDNN "brgemm 1x1" convolution divides by the
// CPU's cache size while choosing its blocking, and on machines whose CPU reports no cache sizes
// (some VMs and sandboxes, including the ones this kit is built on) that is a division by zero:
// SIGFPE kills the process, e.g. for [4,14,14,256] -> 1024 channels (R50's res4). matMul takes a
// different code path and gives the same numbers and gradients (test/layers.test.ts).
// Canary: scripts/probe-pointwise-conv.ts (run by test/probe-pointwise-conv.test.ts) tries the 1x1
// conv3d/conv2d in a child process and says whether TensorFlow still crashes on the machine at hand.
// Padding: tfjs offers only "same"/"valid" on the native gradient kernels, and TF's "same" pads
// asymmetrically when the stride is 2 (0 before, 1 after), unlike PyTorch. So a strided conv pads
// explicitly with tf.pad and runs "valid"; a stride-1 conv with pad (k-1)/2 uses "same" (identical).
import { tf } from "../../backend";
import type { Triple } from "../config";
import { kaimingNormal, type ParamScope } from "../params";
import { type Shape5, windowShape } from "../shape";

export interface Conv3dSpec {
  cin: number;
  cout: number;
  kernel: Triple;
  /** Default (1,1,1). */
  stride?: Triple;
  /** Symmetric padding per axis; default (k-1)/2, floored, as mmaction2's ConvModule. */
  padding?: Triple;
}

type PadMode = "same" | "valid" | "explicit";

function padMode(kernel: readonly number[], stride: readonly number[], pad: readonly number[]): PadMode {
  if (pad.every((p) => p === 0)) return "valid";
  if (kernel.every((k, i) => stride[i] === 1 && 2 * pad[i] === k - 1)) return "same";
  return "explicit";
}

/** Pads the middle axes of an NDHWC (rank 5) or NHWC (rank 4) tensor symmetrically. */
function padMiddle<T extends tf.Tensor>(x: T, pad: readonly number[]): T {
  return tf.pad(x, [[0, 0], ...pad.map((p): [number, number] => [p, p]), [0, 0]]) as T;
}

/** conv2d with PyTorch padding semantics. x: [N, A, B, C]; filter: [ka, kb, cin, cout]. */
function conv2dTorch(x: tf.Tensor4D, filter: tf.Tensor4D, stride: [number, number], pad: [number, number]): tf.Tensor4D {
  const mode = padMode([filter.shape[0], filter.shape[1]], stride, pad);
  const input = mode === "explicit" ? padMiddle(x, pad) : x;
  return tf.conv2d(input, filter, stride, mode === "same" ? "same" : "valid");
}

/** Plain conv3d with PyTorch padding semantics: the reference every folded path must match. */
export function conv3dTorch(x: tf.Tensor5D, filter: tf.Tensor5D, stride: Triple, pad: Triple): tf.Tensor5D {
  const kernel = filter.shape.slice(0, 3);
  const mode = padMode(kernel, stride, pad);
  const input = mode === "explicit" ? padMiddle(x, pad) : x;
  return tf.conv3d(input, filter, stride as [number, number, number], mode === "same" ? "same" : "valid");
}

/**
 * Positions 0, s, 2s, ... of each middle axis: what a kernel-1 conv with stride s visits.
 * x: [N, T, H, W, C] -> [N, T', H', W', C], T' = ceil(T/st) and so on. Viewed as
 * [N*T', st, H', sh, W', sw*C] (rank 6, TF's limit for the gradient's Pad), one slice keeps offset
 * 0 of every stride group (the first C values of each sw*C run are offset 0): one Slice forward and
 * one Pad backward, where a gather per axis costs ~5 kernels each way on tfjs-node. An axis whose
 * size is not a multiple of its stride is padded up to one first; the padding is never picked.
 */
function subsample(x: tf.Tensor5D, stride: Triple): tf.Tensor5D {
  const [n, , , , c] = x.shape;
  const [t, h, w] = [1, 2, 3].map((axis, i) => ({ size: x.shape[axis], s: stride[i], out: Math.ceil(x.shape[axis] / stride[i]) }));
  const ragged = [t, h, w].some((a) => a.out * a.s !== a.size);
  const input = ragged ? tf.pad(x, [[0, 0], ...[t, h, w].map((a): [number, number] => [0, a.out * a.s - a.size]), [0, 0]]) : x;
  const grouped = tf.reshape(input, [n * t.out, t.s, h.out, h.s, w.out, w.s * c]);
  const picked = tf.slice(grouped, [0, 0, 0, 0, 0, 0], [n * t.out, 1, h.out, 1, w.out, c]);
  return tf.reshape(picked, [n, t.out, h.out, w.out, c]) as tf.Tensor5D;
}

/**
 * The dispatcher above as a pure function, so tests can compare it with conv3dTorch.
 * x: [N, T, H, W, cin]; filter: [kt, kh, kw, cin, cout] -> [N, T', H', W', cout].
 */
export function conv3dFolded(x: tf.Tensor5D, filter: tf.Tensor5D, stride: Triple, pad: Triple): tf.Tensor5D {
  const [kt, kh, kw, , cout] = filter.shape;
  return tf.reshape(conv3dFramesFolded(x, filter, stride, pad), windowShape(x.shape, [kt, kh, kw], stride, pad, cout));
}

/**
 * The same convolution with the output's frames folded into its batch: [N*T', H', W', cout], the
 * layout the conv2d paths produce and batch norm and ReLU work in (conv_module.ts), so a
 * conv + BN + ReLU reshapes once, not at every step (each reshape is a kernel launch on tfjs-node).
 */
export function conv3dFramesFolded(x: tf.Tensor5D, filter: tf.Tensor5D, stride: Triple, pad: Triple): tf.Tensor4D {
  const [n, t, h, w, cin] = x.shape;
  const [kt, kh, kw, , cout] = filter.shape;
  const [, tOut, hOut, wOut] = windowShape(x.shape, [kt, kh, kw], stride, pad, cout);
  const folded: [number, number, number, number] = [n * tOut, hOut, wOut, cout];
  const spatialOnly = kt === 1 && stride[0] === 1 && pad[0] === 0 && (kh > 1 || kw > 1);
  const pointwise = kt === 1 && kh === 1 && kw === 1 && pad.every((p) => p === 0);
  if (pointwise) {
    const picked = stride.every((s) => s === 1) ? x : subsample(x, stride);
    const y = tf.matMul(picked.reshape([-1, cin]) as tf.Tensor2D, filter.reshape([cin, cout]) as tf.Tensor2D);
    return y.reshape(folded);
  }
  const temporalOnly = kh === 1 && kw === 1 && kt > 1 && stride[1] === 1 && stride[2] === 1 && pad[1] === 0 && pad[2] === 0;
  if (spatialOnly) {
    return conv2dTorch(x.reshape([n * t, h, w, cin]), filter.reshape([kh, kw, cin, cout]), [stride[1], stride[2]], [pad[1], pad[2]]);
  }
  if (temporalOnly) {
    const y = conv2dTorch(x.reshape([n, t, h * w, cin]), filter.reshape([kt, 1, cin, cout]), [stride[0], 1], [pad[0], 0]);
    return y.reshape(folded);
  }
  return conv3dTorch(x, filter, stride, pad).reshape(folded);
}

export class Conv3d {
  readonly cin: number;
  readonly cout: number;
  readonly kernel: Triple;
  readonly stride: Triple;
  readonly padding: Triple;
  /** [kt, kh, kw, cin, cout] */
  readonly weight: tf.Variable;

  constructor(scope: ParamScope, spec: Conv3dSpec) {
    this.cin = spec.cin;
    this.cout = spec.cout;
    this.kernel = spec.kernel;
    this.stride = spec.stride ?? [1, 1, 1];
    this.padding = spec.padding ?? (spec.kernel.map((k) => Math.floor((k - 1) / 2)) as unknown as Triple);
    const [kt, kh, kw] = this.kernel;
    this.weight = scope.add("weight", kaimingNormal(scope, [kt, kh, kw, this.cin, this.cout], this.cout * kt * kh * kw));
  }

  outShape(x: Shape5): Shape5 {
    return windowShape(x, this.kernel, this.stride, this.padding, this.cout);
  }

  /** Multiply-adds: one per output element per kernel tap per input channel. */
  macs(x: Shape5): number {
    const [n, t, h, w, c] = this.outShape(x);
    return n * t * h * w * c * this.kernel[0] * this.kernel[1] * this.kernel[2] * this.cin;
  }

  /** Safe to call outside tf.tidy: the intermediates of the folded paths are freed here. */
  apply(x: tf.Tensor5D): tf.Tensor5D {
    return tf.tidy(() => conv3dFolded(x, this.weight as tf.Tensor as tf.Tensor5D, this.stride, this.padding));
  }

  /** x: [N, T, H, W, cin] -> [N*T', H', W', cout] (conv3dFramesFolded). Call inside tf.tidy. */
  applyFramesFolded(x: tf.Tensor5D): tf.Tensor4D {
    return conv3dFramesFolded(x, this.weight as tf.Tensor as tf.Tensor5D, this.stride, this.padding);
  }
}
