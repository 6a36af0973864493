// The UCF101 download, against a local HTTP server the test starts: resume with Range after an
// interrupted transfer, a server that ignores Range, and download + unpack + load of a whole tree.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { downloadFile, downloadUcf101, unpackArchive } from "../src/data/download";
import { loadUcf101 } from "../src/data/ucf101";
import { tempDir, writeTree } from "./fixtures-data";
import { rar4, rarOfDir } from "./rar-fixture";

const tmp = tempDir("download");
const files = new Map<string, Buffer>();
const requests: { path: string; range?: string }[] = [];
/** Paths whose next response is cut off after this many bytes (then the entry is removed). */
const cutOnce = new Map<string, number>();
let ignoreRange = false;
let server: Server;
let base = "";

before(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push({ path, range: req.headers.range });
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end("not found");
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (m && !ignoreRange) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { "Content-Range": `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { "Content-Length": body.length - start, "Content-Range": `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      res.writeHead(200, { "Content-Length": body.length });
    }
    const cut = cutOnce.get(path);
    if (cut !== undefined) {
      cutOnce.delete(path);
      res.write(body.subarray(start, cut), () => res.destroy()); // connection drops mid-transfer
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  tmp.cleanup();
});

const payload = Buffer.from(Array.from({ length: 300_000 }, (_, k) => (k * 7 + (k >> 9)) % 256));

describe("downloadFile", () => {
  it("resumes an interrupted download with a Range request and ends with the exact bytes", async () => {
    files.set("/big.bin", payload);
    cutOnce.set("/big.bin", 120_000);
    const dest = join(tmp.dir, "big.bin");
    await assert.rejects(downloadFile(`${base}/big.bin`, dest), /interrupted|got \d+ of 300000 bytes/);
    assert.ok(!existsSync(dest), "an incomplete download must not appear under the final name");
    assert.ok(existsSync(`${dest}.part`));
    const partial = (await stat(`${dest}.part`)).size;
    assert.ok(partial <= 120_000);
    const seen: number[] = [];
    const r = await downloadFile(`${base}/big.bin`, dest, { onProgress: (p) => seen.push(p.received) });
    assert.equal(r.resumedFrom, partial, "the second run resumes from what the first one kept");
    if (partial > 0) assert.equal(requests.at(-1)?.range, `bytes=${partial}-`);
    assert.deepEqual(await readFile(dest), payload);
    assert.equal(seen.at(-1), payload.length);
    // Already there: nothing is fetched again.
    const n = requests.length;
    assert.equal((await downloadFile(`${base}/big.bin`, dest)).skipped, true);
    assert.equal(requests.length, n);
  });

  it("sends Range from the size of the .part file", async () => {
    files.set("/resume.bin", payload);
    const dest = join(tmp.dir, "resume.bin");
    await writeFile(`${dest}.part`, payload.subarray(0, 1234));
    const r = await downloadFile(`${base}/resume.bin`, dest);
    assert.equal(r.resumedFrom, 1234);
    assert.equal(requests.at(-1)?.range, "bytes=1234-");
    assert.deepEqual(await readFile(dest), payload);
  });

  it("starts over when the server ignores Range", async () => {
    files.set("/plain.bin", payload);
    const dest = join(tmp.dir, "plain.bin");
    await writeFile(`${dest}.part`, payload.subarray(0, 1000));
    ignoreRange = true;
    try {
      const r = await downloadFile(`${base}/plain.bin`, dest);
      assert.equal(r.resumedFrom, 0);
    } finally {
      ignoreRange = false;
    }
    assert.deepEqual(await readFile(dest), payload);
  });

  it("names the URL on HTTP errors", async () => {
    await assert.rejects(downloadFile(`${base}/nope.rar`, join(tmp.dir, "nope.rar")), /nope.rar: HTTP 404/);
  });
});

describe("downloadUcf101", () => {
  const hasZip = spawnSync("zip", ["-v"], { stdio: "ignore" }).status === 0 && spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0;

  it("downloads, unpacks and leaves a tree that loadUcf101 reads", { skip: hasZip ? false : "needs zip and unzip to build and unpack the test archives" }, async () => {
    // Build a tiny UCF101 tree, zip its two halves as the two official archives would unpack.
    const src = join(tmp.dir, "src");
    await writeTree(src, ["ApplyEyeMakeup", "PushUps"], [
      { cls: 0, group: 8, clip: 1, split: "train" },
      { cls: 1, group: 1, clip: 1, split: "test" },
    ]);
    for (const [zip, dir] of [["videos.zip", "UCF-101"], ["splits.zip", "ucfTrainTestlist"]]) {
      const r = spawnSync("zip", ["-qr", join(tmp.dir, zip), dir], { cwd: src });
      assert.equal(r.status, 0);
      files.set(`/${zip}`, await readFile(join(tmp.dir, zip)));
    }
    cutOnce.set("/videos.zip", 200); // the first attempt is interrupted
    const root = join(tmp.dir, "ucf");
    const opts = { root, videosUrl: `${base}/videos.zip`, splitsUrl: `${base}/splits.zip` };
    await assert.rejects(downloadUcf101(opts), /videos.zip/);
    await downloadUcf101(opts);
    const ds = await loadUcf101(root);
    assert.deepEqual(ds.classes, ["ApplyEyeMakeup", "PushUps"]);
    assert.ok(ds.train.every((e) => existsSync(e.path)) && ds.test.every((e) => existsSync(e.path)));
    // A third run finds everything in place and fetches nothing.
    const n = requests.length;
    await downloadUcf101(opts);
    assert.equal(requests.length, n);
  });
});

describe("RAR archives (UCF101.rar's format) without a system unpacker", () => {
  /** Runs `fn` with a PATH on which no unrar, unar, 7z or bsdtar can be found. */
  async function withoutTools<T>(fn: () => Promise<T>): Promise<T> {
    const path = process.env.PATH;
    process.env.PATH = join(tmp.dir, "no-tools");
    try {
      return await fn();
    } finally {
      process.env.PATH = path;
    }
  }

  it("unpacks with node-unrar-js, and again over an earlier unpack", async () => {
    const rar = join(tmp.dir, "small.rar");
    const clip = Buffer.from(payload.subarray(0, 5000));
    await writeFile(rar, rar4([{ name: "UCF-101" }, { name: "UCF-101/PushUps" }, { name: "UCF-101/PushUps/v_PushUps_g01_c01.avi", data: clip }]));
    const out = join(tmp.dir, "small");
    for (let run = 0; run < 2; run++) {
      assert.equal(await withoutTools(() => unpackArchive(rar, out)), "node-unrar-js");
      assert.deepEqual(await readFile(join(out, "UCF-101", "PushUps", "v_PushUps_g01_c01.avi")), clip);
    }
  });

  it("names the archive and what went wrong when it is damaged", async () => {
    const bytes = rar4([{ name: "a.avi", data: Buffer.from(payload.subarray(0, 2000)) }]);
    bytes[bytes.length - 500] ^= 0xff; // inside the stored data: the CRC no longer matches
    const rar = join(tmp.dir, "damaged.rar");
    await writeFile(rar, bytes);
    await assert.rejects(
      withoutTools(() => unpackArchive(rar, join(tmp.dir, "damaged"))),
      (err: Error) => err.message.startsWith(`${rar}: cannot unpack: tried node-unrar-js (`) && /unar \(not installed\)/.test(err.message),
    );
  });

  it("downloadUcf101 completes with the official archives' RAR format and no unpacker installed", async () => {
    const src = join(tmp.dir, "src-rar");
    await writeTree(src, ["ApplyEyeMakeup", "PushUps"], [
      { cls: 0, group: 8, clip: 1, split: "train" },
      { cls: 1, group: 1, clip: 1, split: "test" },
    ]);
    files.set("/UCF101.rar", rarOfDir(src, "UCF-101"));
    files.set("/UCF101TrainTestSplits.rar", rarOfDir(src, "ucfTrainTestlist"));
    const root = join(tmp.dir, "ucf-rar");
    await withoutTools(() => downloadUcf101({ root, videosUrl: `${base}/UCF101.rar`, splitsUrl: `${base}/UCF101TrainTestSplits.rar` }));
    assert.match(await readFile(join(root, "downloads", "UCF101.rar.unpacked"), "utf8"), /node-unrar-js/);
    const ds = await loadUcf101(root);
    assert.deepEqual(ds.classes, ["ApplyEyeMakeup", "PushUps"]);
    assert.ok(ds.train.length > 0 && ds.test.length > 0);
    assert.ok(ds.train.every((e) => existsSync(e.path)) && ds.test.every((e) => existsSync(e.path)));
  });
});
