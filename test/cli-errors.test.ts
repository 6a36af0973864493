// One clear line for every mistake (issue 12): numeric options, the output folder, the backend
// variable, an input too large to run. Each runs the real `slowfast` command and looks at all it
// printed (TensorFlow's own start-up log lines aside).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { nonNegativeNumber, positiveInt, positiveIntList, positiveNumber } from "../src/cli/parse";

const ROOT = join(__dirname, "..");
const CLI = join(ROOT, "bin", "slowfast.js");

/** Runs the CLI; `lines` is everything it printed, minus TensorFlow's C++ start-up log. */
function slowfast(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, CLI, ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } });
  const lines = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.trim() !== "" && !/oneDNN custom operations|absl::InitializeLog/.test(l));
  return { code: r.status, lines, err: r.stderr };
}

test("defect 7: every numeric option refuses what is not a plain decimal number, the same way", () => {
  for (const bad of ["abc", "", " ", "0x10", "1e400", "Infinity", "-5", "1,5"]) {
    assert.throws(() => nonNegativeNumber(bad), { message: `expected a number >= 0, got "${bad}"` });
  }
  assert.equal(nonNegativeNumber("0"), 0);
  assert.equal(positiveNumber("3e-3"), 0.003);
  assert.throws(() => positiveNumber("0"), /expected a positive number, got "0"/);
  for (const bad of ["1.5", "1e3", "0", "", "99999999999999999999"]) assert.throws(() => positiveInt(bad), /expected a positive integer/);
  assert.deepEqual(positiveIntList("1,2,3"), [1, 2, 3]);
  assert.throws(() => positiveIntList("1,,3"), /expected positive integers separated by commas/);
  const r = slowfast(["train", "--data", "/nonexistent", "--warmup", " "]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.lines, [`error: option '--warmup <epochs>' argument ' ' is invalid. expected a number >= 0, got " "`]);
});

test("defect 10: a bad --out is one line naming the folder, said before the data is even read", () => {
  const dir = mkdtempSync(join(tmpdir(), "slowfast-out-"));
  writeFileSync(join(dir, "a-file"), "");
  const underFile = slowfast(["train", "--data", "/nonexistent", "--out", join(dir, "a-file", "run")]);
  assert.equal(underFile.code, 1);
  assert.deepEqual(underFile.lines, [`slowfast: ${join(dir, "a-file", "run")}: cannot use it as the run folder (${join(dir, "a-file")} is a file, not a folder)`]);
  // /proc takes no new folders (mkdir says ENOENT there, and Node's recursive mkdir never returns).
  rmSync(dir, { recursive: true, force: true });
  const proc = slowfast(["train", "--data", "/nonexistent", "--out", "/proc/slowfast-run/x"]);
  assert.equal(proc.code, 1);
  assert.deepEqual(proc.lines, ["slowfast: /proc/slowfast-run/x: cannot create the run folder (/proc does not accept new folders)"]);
});

test("defect 11: SLOWFAST_BACKEND mistakes are one line; the fallback is said in one line", () => {
  const bogus = slowfast(["summary", "--preset", "slowfast_test"], { SLOWFAST_BACKEND: "bogus" });
  assert.equal(bogus.code, 1);
  assert.deepEqual(bogus.lines, [`slowfast: SLOWFAST_BACKEND=bogus is not a backend: use "native" or "cpu" (or leave it unset)`]);
  const noNative = ["--require", join(__dirname, "no-native.cjs")];
  const native = slowfast(["summary", "--preset", "slowfast_test"], { SLOWFAST_BACKEND: "native" }, noNative);
  assert.equal(native.code, 1);
  assert.equal(native.lines.length, 1, native.lines.join("\n"));
  assert.match(native.lines[0], /^slowfast: SLOWFAST_BACKEND=native but the native backend failed to load: Cannot find module '@tensorflow\/tfjs-node'.*; run `npm run native`/);
  const fallback = slowfast(["summary", "--preset", "slowfast_test"], { SLOWFAST_BACKEND: "" }, noNative);
  assert.equal(fallback.code, 0, fallback.err);
  const about = fallback.lines.filter((l) => /native|pure-JS/.test(l));
  assert.equal(about.length, 1, about.join("\n"));
  assert.match(about[0], /^backend: pure-JS cpu, ~80-100x slower \(tfjs [\d.]+; native backend unavailable: Cannot find module/);
});

test("defect 12: summary --size 100000 says the input is too large, in one line", () => {
  const r = slowfast(["summary", "--size", "100000"]);
  assert.equal(r.code, 1);
  assert.equal(r.lines.length, 1, r.lines.join("\n"));
  assert.match(r.lines[0], /^slowfast: slowfast_r50_4x16x1: an input of 3 x 32 x 100000 x 100000 is too large to run: .*use a smaller size or fewer frames$/);
});
