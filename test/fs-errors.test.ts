// Full disks and read-only file systems (issue 12, defect 10): each is one line naming the file or
// folder and saying what is wrong in words, and a failed write leaves no temporary file. Needs a
// small tmpfs of its own (root with mount rights); skipped elsewhere.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { writeFileAtomic } from "../src/train/atomic";
import { openRunDir } from "../src/train/rundir";

const base = mkdtempSync(join(tmpdir(), "slowfast-fs-"));
const mounted: string[] = [];

/** A fresh tmpfs of `size` (e.g. "64k") mounted with `options`; undefined when mounting is not allowed here. */
function tmpfs(name: string, options: string): string | undefined {
  const dir = join(base, name);
  mkdirSync(dir);
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  mounted.push(dir);
  return dir;
}

after(() => {
  for (const d of mounted) spawnSync("umount", [d]);
  rmSync(base, { recursive: true, force: true });
});

const canMount = tmpfs("probe", "size=16k") !== undefined;

test("a full disk: the file, 'no space left on the device', and no temporary file left", { skip: !canMount && "cannot mount a tmpfs here" }, async () => {
  const full = tmpfs("full", "size=64k")!;
  await assert.rejects(writeFileAtomic(join(full, "last.ckpt"), Buffer.alloc(256 * 1024)), {
    message: `${join(full, "last.ckpt")}: cannot write (no space left on the device)`,
  });
  assert.deepEqual(readdirSync(full), []);
});

test("a read-only file system: the run folder, 'read-only file system', before anything is written", { skip: !canMount && "cannot mount a tmpfs here" }, async () => {
  const ro = tmpfs("ro", "size=16k,ro")!;
  await assert.rejects(openRunDir(join(ro, "run"), { resume: false }), { message: `${join(ro, "run")}: cannot create the run folder (read-only file system)` });
  await assert.rejects(openRunDir(ro, { resume: false }), { message: `${ro}: cannot write in the run folder (read-only file system)` });
});
