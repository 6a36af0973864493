// Shape arithmetic and shape assertions. Shapes are NDHWC: [batch, time, height, width, channels].
import type { Triple } from "./config";

export type Shape5 = [number, number, number, number, number];

/** Output length of a convolution or pooling window along one axis (PyTorch's formula). */
export function windowOut(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/** [N, T, H, W, Cin] -> [N, T', H', W', cout] for a (kt,kh,kw) window with symmetric padding. */
export function windowShape(x: Shape5, kernel: Triple, stride: Triple, pad: Triple, cout: number): Shape5 {
  return [x[0], windowOut(x[1], kernel[0], stride[0], pad[0]), windowOut(x[2], kernel[1], stride[1], pad[1]), windowOut(x[3], kernel[2], stride[2], pad[2]), cout];
}

/** NDHWC [1,32,224,224,3] printed as PyTorch's C x T x H x W ("3 x 32 x 224 x 224"). */
export function formatCTHW(s: readonly number[]): string {
  return [s[4], s[1], s[2], s[3]].join(" x ");
}

export function formatShape(s: readonly number[]): string {
  return `[${s.join(", ")}]`;
}

export class ShapeError extends Error {
  constructor(readonly stage: string, readonly expected: readonly number[], readonly actual: readonly number[]) {
    super(`shape mismatch at ${stage}: expected ${formatShape(expected)} (NDHWC), got ${formatShape(actual)}`);
    this.name = "ShapeError";
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function assertShape(stage: string, expected: readonly number[], actual: readonly number[]): void {
  if (!sameShape(expected, actual)) throw new ShapeError(stage, expected, actual);
}
