// Shape probes: one line per step, printed and asserted. A probe with an expected shape throws the
// library's ShapeError when the shape differs, so a wrong shape stops the notebook at that step.
import type { tf } from "../backend";
import { assertShape, formatCTHW, formatShape } from "../model/shape";

type ShapeLike = readonly number[] | { shape: readonly number[] };

const shapeOf = (x: ShapeLike): number[] => [...("shape" in x ? x.shape : x)];

/**
 * Prints `label: [N, T, H, W, C]  C x T x H x W = ...` and, when `expected` is given, asserts it
 * and adds "ok". Returns nothing: a probe is often a cell's last line, and tslab would print a
 * returned shape a second time.
 */
export function probe(label: string, x: ShapeLike | tf.Tensor, expected?: readonly number[]): void {
  const s = shapeOf(x as ShapeLike);
  if (expected) assertShape(label, expected, s);
  const cthw = s.length === 5 ? `   (C x T x H x W: ${formatCTHW(s)})` : "";
  console.log(`${label.padEnd(28)} ${formatShape(s)}${cthw}${expected ? "   ok" : ""}`);
}
