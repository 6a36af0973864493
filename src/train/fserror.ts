// One line for a failed file operation: which file, what the kit was doing, and what the error
// code means in words ("runs/x/last.ckpt: cannot write (no space left on the device)"), instead of
// Node's "ENOSPC: no space left on device, write".

const MEANING: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder",
  EEXIST: "it already exists",
  EMFILE: "too many open files",
  EIO: "input/output error (a failing disk?)",
  EFBIG: "file too large for this file system",
};

/** "no space left on the device" for an ENOSPC error; the message itself for anything else. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && MEANING[code]) return MEANING[code];
  return err instanceof Error ? err.message : String(err);
}

/** An Error whose message is "<file>: cannot <doing> (<meaning>)"; keeps the code for callers. */
export function fileError(file: string, doing: string, err: unknown): Error & { code?: string } {
  const e: Error & { code?: string } = new Error(`${file}: cannot ${doing} (${describeFsError(err)})`);
  e.code = (err as NodeJS.ErrnoException)?.code;
  return e;
}
