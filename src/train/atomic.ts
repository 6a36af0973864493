// Files that are either the old version or the new one, never half of each: write a temporary
// file next to the target, flush it to disk, then rename over the target (atomic on POSIX).
import { randomBytes } from "node:crypto";
import { copyFile, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

function tempNameFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempNameFor(file);
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
}

/** Copies `from` to `to` through a temporary file, so `to` is never a partial copy. */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  const tmp = tempNameFor(to);
  await copyFile(from, tmp);
  await rename(tmp, to);
}
