// Files that are either the old version or the new one, never half of each: write a temporary
// file next to the target, flush it to disk, then rename over the target (atomic on POSIX).
// A kill leaves at most a temporary file, ".<name>.<pid>.<random>.tmp", which removeTempFiles()
// clears when the next run opens the folder (rundir.ts). Failures name the file (fserror.ts), and
// the places where a kill could strike are fault points (faults.ts, test/faults.test.ts).
import { randomBytes } from "node:crypto";
import { copyFile, open, readdir, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { faultPoint } from "./faults";
import { fileError } from "./fserror";

const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

function tempNameFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempNameFor(file);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  try {
    const fh = await open(tmp, "w");
    try {
      // In two halves, so that the crash test can kill the process with half a file written.
      const half = Math.floor(bytes.length / 2);
      await fh.writeFile(bytes.subarray(0, half));
      faultPoint(`${basename(file)}: half written`);
      await fh.writeFile(bytes.subarray(half));
      await fh.sync();
      faultPoint(`${basename(file)}: written, not renamed`);
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw fileError(file, "write", err);
  }
  faultPoint(`${basename(file)}: renamed`);
}

/** Copies `from` to `to` through a temporary file, so `to` is never a partial copy. */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  const tmp = tempNameFor(to);
  try {
    await copyFile(from, tmp);
    faultPoint(`${basename(to)}: copied, not flushed`);
    const fh = await open(tmp, "r+");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, to);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw fileError(to, `write a copy of ${from}`, err);
  }
  faultPoint(`${basename(to)}: renamed`);
}

/**
 * Removes the temporary files that killed writes left in `dir`; returns their names. Only for a
 * folder this process has locked (rundir.ts): then no other writer can own one of them.
 */
export async function removeTempFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => TEMP_NAME.test(n));
  for (const n of names) await unlink(join(dir, n)).catch(() => undefined);
  return names;
}
