// Shared by the exercise-checker tests: run a checker without its printed verdict line, and assert
// the verdict and the words its message must contain.
import assert from "node:assert/strict";
import type { CheckResult } from "../src/notebook";

export const quiet = <T>(fn: () => T): T => {
  const log = console.log;
  console.log = () => {};
  try {
    return fn();
  } finally {
    console.log = log;
  }
};

export function expectVerdict(r: CheckResult, verdict: CheckResult["verdict"], ...fragments: string[]): void {
  assert.equal(r.verdict, verdict, r.message);
  for (const f of fragments) assert.ok(r.message.includes(f), `"${r.message}" should mention "${f}"`);
}
