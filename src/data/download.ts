// Getting UCF101 for users with internet: download (resumable), unpack, check.
//
//   downloadFile(url, dest)      HTTP(S) GET into dest + ".part", resuming an earlier partial
//                                download with a Range request; renamed to dest when complete
//   unpackArchive(file, dir)     .rar with node-unrar-js (the official unrar built to WebAssembly, so
//                                no system tool is needed), else whichever of unrar, unar, 7z, bsdtar
//                                exists; .zip with unzip
//   downloadUcf101({ root })     both official archives into <root>/downloads, unpacked into <root>
//
// The URLs are overridable (options, or SLOWFAST_UCF101_VIDEOS_URL / SLOWFAST_UCF101_SPLITS_URL),
// which is also how the tests run all of this against a local server.
import { spawnCollect } from "../util/spawn";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, rename, stat, truncate, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { once } from "node:events";
import { createExtractorFromFile } from "node-unrar-js";
import { LIST_DIR, VIDEO_DIR } from "./ucf101";

export const UCF101_URLS = {
  /** 6.5 GB, RAR (unpacks to UCF-101/<Class>/*.avi). */
  videos: "https://www.crcv.ucf.edu/data/UCF101/UCF101.rar",
  /** The official splits (unpacks to ucfTrainTestlist/). */
  splits: "https://www.crcv.ucf.edu/data/UCF101/UCF101TrainTestSplits-RecognitionTask.zip",
};

export interface DownloadProgress {
  url: string;
  received: number;
  /** Total bytes when the server says, else undefined. */
  total?: number;
  /** Bytes that were already on disk from an earlier run. */
  resumedFrom: number;
}

/**
 * Downloads `url` to `dest`, resuming `dest + ".part"` when a previous run left one (HTTP Range).
 * A server that ignores the Range header (200 instead of 206) is handled by starting over.
 * Returns immediately when `dest` already exists.
 */
export async function downloadFile(
  url: string,
  dest: string,
  opts: { onProgress?: (p: DownloadProgress) => void; signal?: AbortSignal } = {},
): Promise<{ path: string; bytes: number; resumedFrom: number; skipped: boolean }> {
  if (existsSync(dest)) return { path: dest, bytes: (await stat(dest)).size, resumedFrom: 0, skipped: true };
  const part = `${dest}.part`;
  let have = (await stat(part).catch(() => undefined))?.size ?? 0;
  const res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal: opts.signal, redirect: "follow" }).catch((err: unknown) => {
    throw new Error(`${url}: download failed (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message})`);
  });
  if (res.status === 416 && have > 0) {
    // Nothing left to send: the part file is already whole.
    await res.body?.cancel();
    await rename(part, dest);
    return { path: dest, bytes: have, resumedFrom: have, skipped: false };
  }
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  let total: number | undefined;
  if (res.status === 206) {
    const m = /bytes (\d+)-\d+\/(\d+|\*)/.exec(res.headers.get("content-range") ?? "");
    if (!m || Number(m[1]) !== have) {
      await res.body.cancel();
      throw new Error(`${url}: server answered a resume from byte ${have} with "${res.headers.get("content-range")}"; delete ${part} to start over`);
    }
    total = m[2] === "*" ? undefined : Number(m[2]);
  } else {
    // 200: the whole file (the server ignored or did not get a Range request).
    if (have > 0) await truncate(part, 0);
    have = 0;
    const len = res.headers.get("content-length");
    total = len ? Number(len) : undefined;
  }
  const resumedFrom = have;
  let received = have;
  const progress = () => opts.onProgress?.({ url, received, total, resumedFrom });
  progress();
  // Written chunk by chunk (not stream.pipeline, which would throw away buffered writes on an
  // error): whatever arrived before a connection drops stays in the .part file for the resume.
  const body = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
  const ws = createWriteStream(part, { flags: have > 0 ? "a" : "w" });
  let failure: Error | undefined;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      received += chunk.length;
      progress();
      if (!ws.write(chunk)) await once(ws, "drain");
    }
  } catch (err) {
    failure = err as Error;
  }
  await new Promise<void>((resolveP, rejectP) => ws.end((err?: Error | null) => (err ? rejectP(err) : resolveP())));
  if (failure) {
    throw new Error(`${url}: download interrupted at ${received} bytes (${failure.message}); run the same command again to resume`);
  }
  if (total !== undefined && received !== total) {
    throw new Error(`${url}: got ${received} of ${total} bytes; run the same command again to resume`);
  }
  await rename(part, dest);
  return { path: dest, bytes: received, resumedFrom, skipped: false };
}

/** Runs an unpacker; one that cannot be started reads as { code: null, stderr: "not found" }. */
function run(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return spawnCollect(cmd, args).catch(() => ({ code: null, stderr: "not found" }));
}

/** Unpacks a RAR with node-unrar-js: streams from the file to `dir` (no archive-sized buffers). */
async function unrarJs(file: string, dir: string): Promise<void> {
  const extractor = await createExtractorFromFile({ filepath: file, targetPath: dir });
  // extract() is lazy: each file is written (and its CRC checked) as the generator reaches it.
  for (const entry of extractor.extract().files) void entry;
}

/** Unpacks `file` into `dir`: a RAR in-process, otherwise with a system tool chosen by the file's extension. */
export async function unpackArchive(file: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const jsTried: string[] = [];
  if (file.toLowerCase().endsWith(".rar")) {
    try {
      await unrarJs(file, dir);
      return "node-unrar-js";
    } catch (err) {
      jsTried.push(`node-unrar-js (${String((err as Error)?.message ?? err).split("\n")[0]})`);
    }
  }
  const tools: [string, string[]][] = file.toLowerCase().endsWith(".zip")
    ? [["unzip", ["-q", "-o", file, "-d", dir]], ["bsdtar", ["-xf", file, "-C", dir]], ["7z", ["x", "-y", `-o${dir}`, file]]]
    : file.toLowerCase().endsWith(".rar")
      ? [["unrar", ["x", "-o+", "-idq", file, `${dir}/`]], ["unar", ["-f", "-q", "-o", dir, file]], ["7z", ["x", "-y", `-o${dir}`, file]], ["bsdtar", ["-xf", file, "-C", dir]]]
      : [["tar", ["-xf", file, "-C", dir]]];
  const tried: string[] = [...jsTried];
  for (const [cmd, args] of tools) {
    const r = await run(cmd, args);
    if (r.code === 0) return cmd;
    tried.push(r.code === null ? `${cmd} (not installed)` : `${cmd} (exit ${r.code}: ${r.stderr.trim().split("\n")[0]})`);
  }
  throw new Error(
    `${file}: cannot unpack: tried ${tried.join(", ")}. Install one of them (Debian/Ubuntu: \`apt-get install unar\` or \`apt-get install libarchive-tools\` for RAR, \`unzip\` for ZIP; macOS: \`brew install unar\`) and run the command again`,
  );
}

export interface DownloadUcf101Options {
  root: string;
  videosUrl?: string;
  splitsUrl?: string;
  onProgress?: (p: DownloadProgress & { name: string }) => void;
  onStep?: (message: string) => void;
}

/**
 * Downloads the official archives into <root>/downloads and unpacks them into <root>, so that
 * <root>/UCF-101 and <root>/ucfTrainTestlist exist. Resumable: run it again after an interruption.
 * An archive is unpacked again only if its marker file (<root>/downloads/<name>.unpacked) is absent.
 */
export async function downloadUcf101(opts: DownloadUcf101Options): Promise<{ root: string; archives: string[] }> {
  const urls = [
    { url: opts.splitsUrl ?? process.env.SLOWFAST_UCF101_SPLITS_URL ?? UCF101_URLS.splits, expect: LIST_DIR },
    { url: opts.videosUrl ?? process.env.SLOWFAST_UCF101_VIDEOS_URL ?? UCF101_URLS.videos, expect: VIDEO_DIR },
  ];
  const dl = join(opts.root, "downloads");
  await mkdir(dl, { recursive: true });
  const archives: string[] = [];
  for (const { url, expect } of urls) {
    const name = basename(new URL(url).pathname) || "download";
    const dest = join(dl, name);
    const marker = `${dest}.unpacked`;
    if (existsSync(marker) && existsSync(join(opts.root, expect))) {
      opts.onStep?.(`${name}: already downloaded and unpacked`);
      archives.push(dest);
      continue;
    }
    opts.onStep?.(`${name}: downloading ${url}`);
    await downloadFile(url, dest, { onProgress: (p) => opts.onProgress?.({ ...p, name }) });
    opts.onStep?.(`${name}: unpacking into ${opts.root}`);
    const tool = await unpackArchive(dest, opts.root);
    if (!existsSync(join(opts.root, expect))) {
      throw new Error(`${dest}: unpacked with ${tool} but ${join(opts.root, expect)} did not appear; is this the right archive?`);
    }
    await writeFile(marker, `${new Date().toISOString()} ${tool}\n`);
    archives.push(dest);
  }
  return { root: opts.root, archives };
}
