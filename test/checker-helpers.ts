// Shared by the exercise-checker tests: run a checker without its printed lines, and assert the
// verdict and the words its message must contain.
import assert from "node:assert/strict";
import type { CheckResult } from "../src/notebook";

const VERDICT_LINE = /^\[exercise ([\w.]+)\] (PASS|FAIL|NOT DONE YET): /;

/**
 * Runs `fn` with console.log silenced. A function that returns a value gives it back. A check
 * returns nothing (see src/notebook/check.ts) and prints its verdict: then the verdict line it
 * printed comes back, parsed, so the tests read exactly what a learner reads.
 */
export function quiet<T>(fn: () => T): [T] extends [void] ? CheckResult : T;
export function quiet(fn: () => unknown): unknown {
  const log = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  let value: unknown;
  try {
    value = fn();
  } finally {
    console.log = log;
  }
  if (value !== undefined) return value;
  const verdicts = lines.filter((l) => VERDICT_LINE.test(l));
  assert.equal(verdicts.length, 1, `expected one verdict line, got:\n${lines.join("\n")}`);
  const [, id, verdict] = VERDICT_LINE.exec(verdicts[0])!;
  return { id, verdict, message: verdicts[0] } as CheckResult;
}

export function expectVerdict(r: CheckResult, verdict: CheckResult["verdict"], ...fragments: string[]): void {
  assert.equal(r.verdict, verdict, r.message);
  for (const f of fragments) assert.ok(r.message.includes(f), `"${r.message}" should mention "${f}"`);
}
