// Runs the canary for conv3d.ts's pointwise-conv workaround (scripts/probe-pointwise-conv.ts) and
// prints what it found. It passes whether TensorFlow still crashes or not: the point is the line in
// the test log that says when the workaround can go. Skipped where there is no native backend.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

const ROOT = join(__dirname, "..");

test("pointwise-conv probe reports whether TensorFlow's 1x1 conv still crashes", (t) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "probe-pointwise-conv.ts")], { cwd: ROOT, encoding: "utf8", timeout: 180_000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("pointwise-conv probe:")) ?? "";
  t.diagnostic(line || `no probe line; stderr: ${r.stderr.trim().split("\n").pop()}`);
  if (r.status === 2 && line.startsWith("pointwise-conv probe: unavailable")) {
    t.skip("no native backend to probe");
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  assert.match(line, /^pointwise-conv probe: (crashes|works) \(/);
});
