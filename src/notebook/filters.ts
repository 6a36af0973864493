// A 3D conv filter bank over RGB, seen over time (notebook 11: the fast pathway's conv1, kernel
// (5,7,7)): each filter's taps as small images, and the motion its taps encode.
//
// Weights are in tfjs's layout [kT, kH, kW, 3, Cout] (flat, as dataSync returns them). A filter
// whose tap t+1 is its tap t moved by (dy, dx) pixels responds most to a pattern that moves by
// (dy, dx) per frame (the conv correlates tap t with frame t): that shift is its preferred motion.
import { pngDataUrl } from "./png";
import type { ImagePanel } from "./plot";

export interface FilterBank {
  values: ArrayLike<number>;
  /** [kT, kH, kW, 3, Cout] */
  shape: readonly number[];
}

function dims(bank: FilterBank, what: string) {
  const [kt, kh, kw, cin, cout] = bank.shape;
  if (bank.shape.length !== 5 || cin !== 3) throw new Error(`${what}: expected weights [kT, kH, kW, 3, Cout], got [${bank.shape.join(", ")}]`);
  if (bank.values.length !== kt * kh * kw * cin * cout) throw new Error(`${what}: ${bank.values.length} values for shape [${bank.shape.join(", ")}]`);
  const at = (t: number, y: number, x: number, c: number, f: number) => bank.values[(((t * kh + y) * kw + x) * cin + c) * cout + f];
  return { kt, kh, kw, cout, at };
}

/**
 * Panels of the taps of `filters`, filter by filter (kT panels each): grey = 0, each filter scaled by
 * its largest |weight| over all its taps (so the taps of one filter compare), one weight per
 * `zoom` x `zoom` block.
 */
export function filterTapPanels(bank: FilterBank, filters: readonly number[], caption: (f: number, t: number) => string, zoom = 8): ImagePanel[] {
  const { kt, kh, kw, cout, at } = dims(bank, "filter taps");
  const panels: ImagePanel[] = [];
  for (const f of filters) {
    if (!(f >= 0 && f < cout)) throw new Error(`filter taps: filter ${f} does not exist (${cout} filters)`);
    let peak = 1e-12;
    for (let t = 0; t < kt; t++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < 3; c++) peak = Math.max(peak, Math.abs(at(t, y, x, c, f)));
    const [w, h] = [kw * zoom, kh * zoom];
    for (let t = 0; t < kt; t++) {
      const rgb = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = Math.round(127.5 + 127.5 * (at(t, Math.floor(y / zoom), Math.floor(x / zoom), c, f) / peak));
        }
      }
      panels.push({ src: pngDataUrl(rgb, w, h), width: w, height: h, title: caption(f, t) });
    }
  }
  return panels;
}

export interface TapShift {
  /** Pixels per time step, y down, x right. */
  dy: number;
  dx: number;
  /** Correlation of tap t at (y, x) with tap t+1 at (y+dy, x+dx), over all t, the overlap and RGB. */
  correlation: number;
}

/** Correlation of each tap with the next one moved by (dy, dx), over the overlapping pixels. */
export function tapCorrelation(bank: FilterBank, f: number, dy: number, dx: number): number {
  const { kt, kh, kw, at } = dims(bank, "tap correlation");
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let t = 0; t + 1 < kt; t++) {
    for (let y = Math.max(0, -dy); y < kh && y + dy < kh; y++) {
      for (let x = Math.max(0, -dx); x < kw && x + dx < kw; x++) {
        for (let c = 0; c < 3; c++) {
          const a = at(t, y, x, c, f);
          const b = at(t + 1, y + dy, x + dx, c, f);
          [ab, aa, bb] = [ab + a * b, aa + a * a, bb + b * b];
        }
      }
    }
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** Each filter's best shift between consecutive taps within +-maxShift pixels: its preferred motion. */
export function tapShifts(bank: FilterBank, maxShift = 3): TapShift[] {
  const { cout } = dims(bank, "tap shifts");
  return Array.from({ length: cout }, (_, f) => {
    let best: TapShift = { dy: 0, dx: 0, correlation: -Infinity };
    for (let dy = -maxShift; dy <= maxShift; dy++) {
      for (let dx = -maxShift; dx <= maxShift; dx++) {
        const correlation = tapCorrelation(bank, f, dy, dx);
        if (correlation > best.correlation) best = { dy, dx, correlation };
      }
    }
    return best;
  });
}

/** "right", "up-left", ... for a shift (y down); "still" for (0, 0). */
export function motionName(dy: number, dx: number): string {
  const v = dy < 0 ? "up" : dy > 0 ? "down" : "";
  const h = dx < 0 ? "left" : dx > 0 ? "right" : "";
  return [v, h].filter(Boolean).join("-") || "still";
}
