// Fault injection for the crash test (test/faults.test.ts): the places where a kill would leave a
// file half-written are numbered as the run passes them, and SLOWFAST_KILL_AT=N makes the N-th one
// kill this process on the spot (SIGKILL: no cleanup, no exit handlers), as a power cut or the
// OOM killer would. Unset, a fault point costs one comparison.

const killAt = Number(process.env.SLOWFAST_KILL_AT ?? 0);
let passed = 0;

/** Marks a place where a kill must leave nothing half-written behind (`where` helps when debugging). */
export function faultPoint(where: string): void {
  passed++;
  if (killAt > 0 && passed === killAt) {
    process.stderr.write(`[faults] killed at point ${passed} (${where})\n`);
    process.kill(process.pid, "SIGKILL");
  }
}

/** Fault points passed so far in this process. */
export function faultPointsPassed(): number {
  return passed;
}
