// Which ffmpeg the kit runs (src/data/ffmpeg.ts): SLOWFAST_FFMPEG, then the bundled static
// @ffmpeg-installer binary (it starts ~15x faster than a dynamically linked one), then the system
// `ffmpeg` on PATH. Each case runs in a child process (the choice is cached per process) with a PATH
// that holds only what the case needs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const ROOT = join(__dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "slowfast-ffmpeg-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A folder holding a fake `ffmpeg` that answers `-version` (enough for the kit's check). */
function fakeFfmpegDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "ffmpeg"), "#!/bin/sh\necho ffmpeg version fake\n");
  chmodSync(join(d, "ffmpeg"), 0o755);
  return d;
}

function choose(env: Record<string, string | undefined>): { path: string; source: string } {
  const code = 'const { ffmpegBinary } = require("./src/data/ffmpeg.ts"); console.log(JSON.stringify(ffmpegBinary()));';
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { cwd: ROOT, env: childEnv, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
}

test("SLOWFAST_FFMPEG comes first", () => {
  const system = fakeFfmpegDir("system");
  const chosen = join(fakeFfmpegDir("chosen"), "ffmpeg");
  assert.deepEqual(choose({ SLOWFAST_FFMPEG: chosen, PATH: system }), { path: chosen, source: "env" });
});

test("the bundled binary comes before the system one; SLOWFAST_FFMPEG=ffmpeg picks the system one", () => {
  const system = fakeFfmpegDir("system");
  const got = choose({ SLOWFAST_FFMPEG: undefined, PATH: system });
  assert.equal(got.source, "@ffmpeg-installer/ffmpeg");
  assert.match(got.path, /@ffmpeg-installer/);
  assert.deepEqual(choose({ SLOWFAST_FFMPEG: "ffmpeg", PATH: system }), { path: "ffmpeg", source: "env" });
  // A SLOWFAST_FFMPEG that does not run falls through to the bundled one.
  assert.equal(choose({ SLOWFAST_FFMPEG: join(dir, "nonexistent"), PATH: system }).source, "@ffmpeg-installer/ffmpeg");
});
