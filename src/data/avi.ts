// A few bytes of the AVI (RIFF) header, read without ffmpeg: enough to tell a truncated file.
//
// An AVI file is one RIFF chunk: "RIFF" <u32 little-endian size> "AVI " ..., and the main header
// ("avih", 56 bytes) holds dwTotalFrames at byte 16 of its payload. A file cut short (an interrupted
// download or copy) still starts with a valid header, and ffmpeg then decodes the frames that are
// left with few or no complaints; comparing the declared RIFF size with the file size catches it.
import { open } from "node:fs/promises";

export interface AviHeader {
  /** Bytes the RIFF header declares for the whole file (RIFF size + 8). */
  declaredBytes: number;
  /** Frames the main header declares (dwTotalFrames); 0 when the writer left it empty. */
  totalFrames: number;
}

/** Parses the start of an AVI file; undefined when the file is not a RIFF/AVI file. */
export async function readAviHeader(path: string): Promise<AviHeader | undefined> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(2048);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead < 12 || buf.toString("latin1", 0, 4) !== "RIFF" || buf.toString("latin1", 8, 12) !== "AVI ") return undefined;
    const declaredBytes = buf.readUInt32LE(4) + 8;
    const at = buf.indexOf("avih", 12, "latin1");
    const totalFrames = at >= 0 && at + 8 + 20 <= bytesRead ? buf.readUInt32LE(at + 8 + 16) : 0;
    return { declaredBytes, totalFrames };
  } finally {
    await fh.close();
  }
}
