// What a synth-motion clip shows: a field of short-lived dots drifting in one of eight directions.
//
//   MoveLeft / MoveRight      MoveUp / MoveDown      MoveUpLeft / MoveDownRight      MoveUpRight / MoveDownLeft
//
// In each pair the second class is the first one played backwards (in distribution: the dots' lives
// are not mirrored frame for frame). Three facts make it a data set about the fast pathway:
// - One frame says nothing. Every clip is defined by its dots at the middle frame, drawn from
//   (seed, group, clip) only, so clip cNN of group gNN has a pixel-identical middle frame in all
//   eight classes (test/data-synth.test.ts checks it); every other frame is a uniform dot field too.
// - Dots live a few frames only (DOT_LIFE_FRAMES), then reappear somewhere else. Two frames that
//   far apart share no dot, so nothing tells which way the dots went between them. The training
//   recipe samples every 2nd frame (frame interval 2): the fast pathway's neighbouring frames are 2
//   apart and share most dots, while the slow pathway's (tau = 4 of those, 8 frames apart) share
//   none. Slow-only is left with four unrelated dot fields, i.e. chance.
// - Nothing but the motion differs between classes: the scene (background, dot colour, size and
//   density) comes from the group, speed and lifetimes from the clip.
//
// Version 2 of this set had objects that moved, grew, sped up or spun. Measured with slowfast_tiny in
// the five-minute budget: it learned its direction pairs only, and once the motions were made large
// enough to learn fast (version 3's objects), Slow-only learned them too from its 4 frames (88% test
// top-1, seed 1), so the set no longer showed what the fast pathway is for.
import type { Frames } from "./pipeline";
import { Rng } from "./rng";

export const SYNTH_CLASSES = [
  "MoveLeft",
  "MoveRight",
  "MoveUp",
  "MoveDown",
  "MoveUpLeft",
  "MoveDownRight",
  "MoveUpRight",
  "MoveDownLeft",
] as const;
/** Unit direction of each class, image coordinates (y points down). */
const D = Math.SQRT1_2;
const DIRECTIONS: readonly [number, number][] = [[-1, 0], [1, 0], [0, -1], [0, 1], [-D, -D], [D, D], [D, -D], [-D, D]];
export const SYNTH_SIZE = 80;
export const SYNTH_FPS = 25;
export const SYNTH_FRAMES: readonly [number, number] = [36, 48];
/** A dot's life in frames: under 8, the slow pathway's frame spacing in the training recipe. */
export const DOT_LIFE_FRAMES: readonly [number, number] = [5, 7];
/** Drift speed in pixels per frame: 3-4 px between the fast pathway's frames (1.8-2.4 px at 48x48). */
export const DOT_SPEED: readonly [number, number] = [1.5, 2.0];

type Rgb = [number, number, number];

function hsv(h: number, s: number, v: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/** What all clips of one group share. */
interface Scene {
  background: Uint8Array; // [S, S, 3]: a soft two-colour gradient
  color: Rgb; // the dots', contrasting with the background
  radius: number; // px
  dots: number;
}

function makeScene(seed: number, group: number): Scene {
  const rng = Rng.derive(seed, 1, group);
  const S = SYNTH_SIZE;
  const dark = rng.chance(0.5);
  const bgV = () => (dark ? rng.uniform(0.1, 0.35) : rng.uniform(0.65, 0.9));
  const [c1, c2] = [hsv(rng.next(), rng.uniform(0.1, 0.6), bgV()), hsv(rng.next(), rng.uniform(0.1, 0.6), bgV())];
  const dir = rng.uniform(0, 2 * Math.PI);
  const [dx, dy] = [Math.cos(dir), Math.sin(dir)];
  const background = new Uint8Array(S * S * 3);
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      const t = Math.min(1, Math.max(0, 0.5 + ((j - S / 2) * dx + (i - S / 2) * dy) / S));
      for (let c = 0; c < 3; c++) background[(i * S + j) * 3 + c] = Math.round(c1[c] + (c2[c] - c1[c]) * t);
    }
  }
  const color = hsv(rng.next(), rng.uniform(0.5, 1), dark ? rng.uniform(0.8, 1) : rng.uniform(0.05, 0.3));
  // 1.5-2.5 dots per 100 px^2 of radius 1.5-2 px (~1 px at the 48x48 input): ~15% of the pixels covered.
  return { background, color, radius: rng.uniform(1.5, 2), dots: Math.round((rng.uniform(1.5, 2.5) * S * S) / 100) };
}

/** Per dot: its life length, where in its life it is at the middle frame, and its current life's anchor. */
interface Dot {
  life: number;
  phase: number;
  n: number;
  ax: number;
  ay: number;
}

/** Blends a dot of radius r centred at (x, y) into frame `out` (anti-aliased by distance). */
function drawDot(out: Uint8Array, x: number, y: number, r: number, color: Rgb): void {
  const S = SYNTH_SIZE;
  for (let i = Math.max(0, Math.floor(y - r - 1)); i <= Math.min(S - 1, Math.ceil(y + r)); i++) {
    for (let j = Math.max(0, Math.floor(x - r - 1)); j <= Math.min(S - 1, Math.ceil(x + r)); j++) {
      const a = Math.min(1, Math.max(0, r + 0.5 - Math.hypot(j + 0.5 - x, i + 0.5 - y)));
      if (a === 0) continue;
      const o = (i * S + j) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(out[o + c] * (1 - a) + color[c] * a);
    }
  }
}

/**
 * Renders clip `clip` of group `group` of class `cls` (0-based, SYNTH_CLASSES order):
 * [frames, 80, 80, 3] RGB. Pure: the same arguments always give the same bytes.
 *
 * Dot k at frame t (s = t - middle) is in life n = floor((s + phase_k) / life_k); each life has its
 * own anchor a(k, n), uniform over the frame, and the dot sits at a + v s (wrapped around the
 * edges). At s = 0 the position is the anchor of the life holding the middle frame, whatever v is.
 */
export function renderSynthClip(seed: number, cls: number, group: number, clip: number): Frames & { middle: number } {
  if (!Number.isInteger(cls) || cls < 0 || cls >= SYNTH_CLASSES.length) throw new Error(`class must be 0..${SYNTH_CLASSES.length - 1}, got ${cls}`);
  const S = SYNTH_SIZE;
  const scene = makeScene(seed, group);
  const rng = Rng.derive(seed, 2, group, clip);
  const frames = rng.intIn(SYNTH_FRAMES[0], SYNTH_FRAMES[1]);
  const speed = rng.uniform(DOT_SPEED[0], DOT_SPEED[1]);
  const [vx, vy] = DIRECTIONS[cls].map((d) => d * speed);
  const dots: Dot[] = Array.from({ length: scene.dots }, () => {
    const life = rng.intIn(DOT_LIFE_FRAMES[0], DOT_LIFE_FRAMES[1]);
    return { life, phase: rng.intIn(0, life - 1), n: NaN, ax: 0, ay: 0 };
  });
  const fb = S * S * 3;
  const data = new Uint8Array(frames * fb);
  const middle = Math.floor(frames / 2);
  const wrap = (p: number) => ((p % S) + S) % S;
  for (let t = 0; t < frames; t++) {
    const out = data.subarray(t * fb, (t + 1) * fb);
    out.set(scene.background);
    const s = t - middle;
    dots.forEach((d, k) => {
      const n = Math.floor((s + d.phase) / d.life);
      if (n !== d.n) {
        const anchor = Rng.derive(seed, 3, group, clip, k, n + 1000); // n + 1000 >= 0: keys are unsigned
        [d.n, d.ax, d.ay] = [n, anchor.uniform(0, S), anchor.uniform(0, S)];
      }
      drawDot(out, wrap(d.ax + vx * s), wrap(d.ay + vy * s), scene.radius, scene.color);
    });
  }
  return { data, frames, height: S, width: S, middle };
}
