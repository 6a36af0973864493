// Exercise checkers: immediate, specific feedback, and never an exception that stops the notebook.
//
// A learner's exercise cell defines a function whose body starts as `return todo("1.1")`. The check
// cell after it calls `check("1.1", "what it is", () => { ...expect...(); }, slowIndices)`, which
// prints exactly one verdict line and returns nothing (tslab prints a cell's last value, so a check
// that returned its verdict would print it twice):
//   [exercise 1.1] PASS: slow frame indices
//   [exercise 1.1] FAIL: slow frame indices: for frames=32, tau=8: expected [0, 8, 16, 24], got ...
//   [exercise 1.1] NOT DONE YET: slow frame indices (replace the todo(...) line with your code)
// The runner (scripts/notebooks/run.py) reads these lines: in the solved notebooks every exercise
// must PASS, in the learner notebooks every exercise must be NOT DONE YET.
//
// When the exercise cell fails to compile, tslab keeps the previous definition, and the check would
// silently judge the old code again. So check() remembers the learner's function (or each function
// of an object of them) per exercise: given the very same object as at the last check, it adds a
// line saying so. A cell that compiles defines a new function object every time it runs, so the note
// appears only when the cell was not re-run or did not compile.
import { tf } from "../backend";
import { formatShape } from "../model/shape";

export type Verdict = "PASS" | "FAIL" | "NOT DONE YET";

export interface CheckResult {
  id: string;
  verdict: Verdict;
  /** The verdict line as printed. */
  message: string;
}

/** Thrown by todo(): the exercise has not been attempted. */
export class NotDone extends Error {
  constructor(readonly exercise: string) {
    super(`exercise ${exercise} is not done yet: replace the todo("${exercise}") line with your code`);
    this.name = "NotDone";
  }
}

/** The body of an unsolved exercise: `return todo("1.1");` (type `never`, fits any return type). */
export function todo(exercise: string): never {
  throw new NotDone(exercise);
}

/** Thrown by the expect* helpers with a message that says exactly what differs. */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckFailure";
  }
}

function fail(message: string): never {
  throw new CheckFailure(message);
}

// Numbers as JavaScript prints them (JSON would turn NaN and Infinity into null).
const show = (v: unknown): string => (Array.isArray(v) ? formatShape(v as number[]) : typeof v === "number" ? String(v) : JSON.stringify(v));

/** Runs the checks of one exercise and returns its verdict (prints nothing). Never throws. */
export function checkResult(id: string, title: string, body: () => void): CheckResult {
  let verdict: Verdict;
  let detail = "";
  try {
    body();
    verdict = "PASS";
  } catch (err) {
    if (err instanceof NotDone) {
      verdict = "NOT DONE YET";
      detail = `replace the todo("${err.exercise}") line with your code, run that cell, then this one`;
    } else if (err instanceof CheckFailure) {
      verdict = "FAIL";
      detail = err.message;
    } else {
      verdict = "FAIL";
      const e = err as Error;
      detail = `your code threw ${e?.name ?? "an error"}: ${e?.message ?? String(err)}`;
    }
  }
  return { id, verdict, message: `[exercise ${id}] ${verdict}: ${title}${detail ? ` (${detail})` : ""}` };
}

/** The functions a learner handed to each exercise's last check: the function, or an object's values. */
const lastChecked = new Map<string, unknown[]>();

const functionsOf = (learner: unknown): unknown[] =>
  typeof learner === "function" ? [learner] : typeof learner === "object" && learner !== null ? Object.values(learner).filter((v) => typeof v === "function") : [];

/**
 * "[exercise 1.1] note: ..." when `learner` (a function, or an object of functions) is the same as
 * at the last check of `id`; else null. Remembers `learner` for the next check.
 */
export function unchangedNote(id: string, learner: unknown): string | null {
  const now = functionsOf(learner);
  const before = lastChecked.get(id);
  lastChecked.set(id, now);
  if (now.length === 0 || !before || before.length !== now.length || now.some((f, i) => f !== before[i])) return null;
  const names = now.map((f) => (f as { name?: string }).name || "your function").join(", ");
  return (
    `[exercise ${id}] note: ${names} ${now.length > 1 ? "are" : "is"} the same as at your last check of ${id}. ` +
    "If you changed its cell since, that cell did not compile (see the error under it) and this verdict is the old code's."
  );
}

/**
 * Runs the checks of one exercise and prints its verdict line (and a note when `learner` is the same
 * function as at the last check: see the top of this file). Returns nothing. Never throws.
 */
export function check(id: string, title: string, body: () => void, learner?: unknown): void {
  const note = learner === undefined ? null : unchangedNote(id, learner);
  console.log(checkResult(id, title, body).message);
  if (note) console.log(note);
}

/** Equal numbers (integers, counts). */
export function expectEqual(what: string, expected: number | string | boolean, actual: unknown): void {
  if (actual !== expected) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Equal integer lists (frame indices, shapes): names the first differing position. */
export function expectArray(what: string, expected: readonly number[], actual: unknown): void {
  if (!Array.isArray(actual)) fail(`${what}: expected an array like ${show(expected)}, got ${show(actual)}`);
  const a = actual as unknown[];
  const n = Math.max(expected.length, a.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== expected[i]) {
      const len = a.length !== expected.length ? `; length ${a.length}, expected ${expected.length}` : "";
      fail(`${what}: expected ${show(expected)}, got ${show(a)}: first difference at index ${i} (expected ${show(expected[i])}, got ${show(a[i])})${len}`);
    }
  }
}

const AXES = ["N (batch)", "T (time)", "H (height)", "W (width)", "C (channels)"];

/** NDHWC shapes: names the first differing axis. */
export function expectShape(what: string, expected: readonly number[], actual: unknown): void {
  if (!Array.isArray(actual)) fail(`${what}: expected a shape like ${formatShape(expected)}, got ${show(actual)}`);
  const a = actual as number[];
  if (a.length !== expected.length) fail(`${what}: expected a rank-${expected.length} shape ${formatShape(expected)}, got rank ${a.length}: ${formatShape(a)}`);
  const i = expected.findIndex((v, k) => a[k] !== v);
  if (i >= 0) {
    const axis = expected.length === 5 ? ` (axis ${i}: ${AXES[i]})` : ` (axis ${i})`;
    fail(`${what}: expected shape ${formatShape(expected)}, got ${formatShape(a)}: first difference${axis}, expected ${expected[i]}, got ${a[i]}`);
  }
}

/** Tensors equal within tolerance: checks the shape first, then reports the max error and where. */
export function expectClose(what: string, expected: tf.Tensor, actual: unknown, tol = 1e-4): void {
  const isTensor = (v: unknown): v is tf.Tensor => typeof v === "object" && v !== null && "shape" in v && "dataSync" in v;
  if (!isTensor(actual)) fail(`${what}: expected a tensor of shape ${formatShape(expected.shape)}, got ${show(actual)}`);
  if (actual.isDisposed) fail(`${what}: the tensor you returned was already disposed (return it from tf.tidy, or don't dispose it)`);
  expectShape(`${what} (shape)`, expected.shape, actual.shape);
  const e = expected.dataSync();
  const a = actual.dataSync();
  const { err: worst, at, scale } = maxAbsError(e, a);
  const limit = tol * Math.max(1, scale);
  if (!(worst <= limit)) {
    const index = unravel(at, expected.shape);
    fail(`${what}: max error ${worst.toExponential(2)} > ${limit.toExponential(2)} at index ${formatShape(index)} (expected ${e[at]}, got ${a[at]})`);
  }
}

/** The largest |want - got| over two equal-length arrays, its flat index, and max |want|; NaN counts as the largest. */
export function maxAbsError(want: ArrayLike<number>, got: ArrayLike<number>): { err: number; at: number; scale: number } {
  let err = 0;
  let at = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(want[i] - got[i]);
    scale = Math.max(scale, Math.abs(want[i]));
    if (!(d <= err)) [err, at] = [d, i];
  }
  return { err, at, scale };
}

/** A flat (row-major) index as a multi-index into `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const out: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    out.unshift(flat % shape[k]);
    flat = Math.floor(flat / shape[k]);
  }
  return out;
}

/** Runs a learner function, turning "returned nothing" into a clear failure. */
export function call<T>(what: string, fn: () => T): T {
  const out = fn();
  if (out === undefined) fail(`${what} returned undefined: did you forget a return statement?`);
  return out;
}

/**
 * Runs the learner's tensor function inside tf.tidy and compares its result with `want` (max error
 * 1e-4). Frees `want` and the learner's result, unless the result is one of `keep` (an input the
 * learner returned as it was).
 */
export function expectCloseFrom(what: string, want: tf.Tensor, run: () => unknown, keep: readonly tf.Tensor[] = []): void {
  let got: unknown;
  try {
    got = call("your function", () => tf.tidy(run as () => tf.Tensor));
    expectClose(what, want, got, 1e-4);
  } finally {
    want.dispose();
    if (got instanceof tf.Tensor && !keep.includes(got) && !got.isDisposed) got.dispose();
  }
}
