// A minimal RAR 4 writer for tests (no rar tool exists to make one): "stored" entries only
// (method 0x30, no compression), names with backslashes and a Windows host, as in UCF101.rar.
// Layout per the RAR 1.5-4.x technote: marker block, main header, one file header (+ data) per
// entry, end-of-archive block; each header starts with the low 16 bits of its CRC32.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function block(body: Buffer): Buffer {
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc32(body) & 0xffff);
  return Buffer.concat([crc, body]);
}

/** Entries in order; `data` undefined makes a directory. */
export function rar4(entries: { name: string; data?: Buffer }[]): Buffer {
  const parts = [Buffer.from("Rar!\x1a\x07\x00", "latin1")];
  const main = Buffer.alloc(11);
  main[0] = 0x73;
  main.writeUInt16LE(13, 3);
  parts.push(block(main));
  for (const e of entries) {
    const name = Buffer.from(e.name.replace(/\//g, "\\"), "latin1");
    const data = e.data ?? Buffer.alloc(0);
    const dir = e.data === undefined;
    const h = Buffer.alloc(30 + name.length);
    h[0] = 0x74; // file header
    h.writeUInt16LE(0x8000 | (dir ? 0x00e0 : 0), 1); // data size present; directory
    h.writeUInt16LE(32 + name.length, 3);
    h.writeUInt32LE(data.length, 5); // packed size
    h.writeUInt32LE(data.length, 9); // unpacked size
    h[13] = 2; // host OS: Win32
    h.writeUInt32LE(crc32(data), 14);
    h.writeUInt32LE(((2012 - 1980) << 25) | (1 << 21) | (1 << 16), 18); // DOS time 2012-01-01
    h[22] = 20; // version needed: 2.0
    h[23] = 0x30; // method: store
    h.writeUInt16LE(name.length, 24);
    h.writeUInt32LE(dir ? 0x10 : 0x20, 26); // DOS attributes
    name.copy(h, 30);
    parts.push(block(h), data);
  }
  const end = Buffer.alloc(5);
  end[0] = 0x7b;
  end.writeUInt16LE(0x4000, 1);
  end.writeUInt16LE(7, 3);
  parts.push(block(end));
  return Buffer.concat(parts);
}

/** `dir` under `base` as a RAR whose entries start with `dir`'s name (as `rar a x.rar dir` makes). */
export function rarOfDir(base: string, dir: string): Buffer {
  const entries: { name: string; data?: Buffer }[] = [];
  const walk = (abs: string): void => {
    const name = relative(base, abs).split(sep).join("/");
    if (statSync(abs).isDirectory()) {
      entries.push({ name });
      for (const child of readdirSync(abs).sort()) walk(join(abs, child));
    } else {
      entries.push({ name, data: readFileSync(abs) });
    }
  };
  walk(join(base, dir));
  return rar4(entries);
}
