// UCF101 split lists: CRLF, the HandstandPushups spelling, class subsets, and lists that are wrong.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadUcf101, parseClassInd, parseClipName, parseSplitList } from "../src/data/ucf101";
import { tempDir } from "./fixtures-data";

const tmp = tempDir("ucf");
after(tmp.cleanup);

/** Lists only (no video files): loadUcf101 must not need them. */
async function lists(name: string, classInd: string, train: string, test: string, kit?: string): Promise<string> {
  const root = join(tmp.dir, name);
  await mkdir(join(root, "ucfTrainTestlist"), { recursive: true });
  await writeFile(join(root, "ucfTrainTestlist", "classInd.txt"), classInd);
  await writeFile(join(root, "ucfTrainTestlist", "trainlist01.txt"), train);
  await writeFile(join(root, "ucfTrainTestlist", "testlist01.txt"), test);
  if (kit !== undefined) await writeFile(join(root, "ucfTrainTestlist", "kit.json"), kit);
  return root;
}

const CLASSES = "1 ApplyEyeMakeup\r\n2 HandstandPushups\r\n3 PushUps\r\n";

describe("parsers", () => {
  it("read CRLF files with a trailing empty line", () => {
    assert.deepEqual(parseClassInd(CLASSES + "\r\n"), ["ApplyEyeMakeup", "HandstandPushups", "PushUps"]);
    assert.deepEqual(parseSplitList("A/v_A_g08_c01.avi 1\r\nA/v_A_g08_c02.avi 1\r\n", "t"), [
      { no: 1, rel: "A/v_A_g08_c01.avi", label1: 1 },
      { no: 2, rel: "A/v_A_g08_c02.avi", label1: 1 },
    ]);
    assert.deepEqual(parseClipName("v_HandStandPushups_g01_c04.avi"), { group: 1, clip: 4 });
  });

  it("name the file and line of a malformed entry", () => {
    assert.throws(() => parseClassInd("1 A\r\n3 C\r\n", "classInd.txt"), /classInd.txt:2: expected class number 2, got 3/);
    assert.throws(() => parseSplitList("A/v.avi 1 extra\r\n", "trainlist01.txt"), /trainlist01.txt:1/);
  });
});

describe("loadUcf101", () => {
  let root = "";
  before(async () => {
    root = await lists(
      "good",
      CLASSES,
      "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\nHandstandPushups/v_HandStandPushups_g08_c01.avi 2\r\nPushUps/v_PushUps_g09_c01.avi 3\r\n",
      "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\r\nHandstandPushups/v_HandStandPushups_g01_c02.avi\r\nPushUps/v_PushUps_g02_c03.avi\r\n",
    );
    // On disk the folder is spelled as in the file names, not as in classInd.txt.
    await mkdir(join(root, "UCF-101", "HandStandPushups"), { recursive: true });
    await writeFile(join(root, "UCF-101", "HandStandPushups", "v_HandStandPushups_g01_c02.avi"), "");
  });

  it("reads labels (0-based), groups, and the on-disk spelling of HandStandPushups", async () => {
    const ds = await loadUcf101(root);
    assert.equal(ds.split, 1);
    assert.deepEqual(ds.classes, ["ApplyEyeMakeup", "HandstandPushups", "PushUps"]);
    assert.deepEqual(ds.train.map((e) => [e.label, e.group]), [[0, 8], [1, 8], [2, 9]]);
    assert.deepEqual(ds.test.map((e) => e.label), [0, 1, 2]);
    assert.equal(ds.test[1].path, join(root, "UCF-101", "HandStandPushups", "v_HandStandPushups_g01_c02.avi"));
    assert.equal(ds.test[1].className, "HandstandPushups");
    assert.deepEqual(ds.augment, { flip: true, areaRange: [0.08, 1], aspectRange: [3 / 4, 4 / 3] });
  });

  it("keeps only the first k classes with --classes", async () => {
    const ds = await loadUcf101(root, { classes: 2 });
    assert.deepEqual(ds.classes, ["ApplyEyeMakeup", "HandstandPushups"]);
    assert.equal(ds.train.length, 2);
    assert.ok(ds.test.every((e) => e.label < 2));
    await assert.rejects(loadUcf101(root, { classes: 4 }), /classes must be an integer from 1 to 3/);
  });

  it("says which split files exist when the split is absent", async () => {
    await assert.rejects(loadUcf101(root, { split: 2 }), /trainlist02.txt: split 2 not found; .* has testlist01.txt, trainlist01.txt/);
  });

  it("says what a root without lists should contain", async () => {
    await assert.rejects(loadUcf101(join(tmp.dir, "nothing-here")), /ucfTrainTestlist.*split lists not found/);
  });

  it("rejects an unknown class, naming the list file and line", async () => {
    const r = await lists("unknown", CLASSES, "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\nJuggling/v_Juggling_g08_c01.avi 4\r\n", "");
    await assert.rejects(loadUcf101(r), /trainlist01.txt:2: class "Juggling" is not in .*classInd.txt/);
  });

  it("rejects a label that disagrees with the class folder", async () => {
    const r = await lists("label", CLASSES, "PushUps/v_PushUps_g08_c01.avi 1\r\n", "");
    await assert.rejects(loadUcf101(r), /trainlist01.txt:1: label 1 but .* numbers "PushUps" 3/);
  });

  it("rejects a group listed in both train and test (it would leak scenes into the test)", async () => {
    const r = await lists("leak", CLASSES, "PushUps/v_PushUps_g05_c01.avi 3\r\n", "PushUps/v_PushUps_g05_c02.avi\r\n");
    await assert.rejects(loadUcf101(r), /group g05 of class PushUps is in both/);
  });

  it("reads augmentation facts from kit.json, and names a broken one", async () => {
    const r = await lists("kit", CLASSES, "PushUps/v_PushUps_g08_c01.avi 3\r\n", "", '{"flip": false, "areaRange": [0.4, 1]}');
    const ds = await loadUcf101(r);
    assert.deepEqual(ds.augment, { flip: false, areaRange: [0.4, 1], aspectRange: [3 / 4, 4 / 3] });
    const bad = await lists("badkit", CLASSES, "PushUps/v_PushUps_g08_c01.avi 3\r\n", "", "{flip:");
    await assert.rejects(loadUcf101(bad), /kit.json: not valid JSON/);
  });
});

describe("careless lists fail loudly (issue 12)", () => {
  it("a clip path with extra folders is an error, not silently cut to two parts", async () => {
    assert.throws(() => parseSplitList("PushUps/extra/v_PushUps_g08_c01.avi 3\r\n", "trainlist01.txt"), /trainlist01.txt:1: expected "<Class>\/<clip>.avi \[label\]", got "PushUps\/extra\/v_PushUps_g08_c01.avi 3"/);
  });

  it("a clip listed twice is an error naming both lines", async () => {
    const r = await lists("dup", CLASSES, "PushUps/v_PushUps_g08_c01.avi 3\r\nApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\nPushUps/v_PushUps_g08_c01.avi 3\r\n", "");
    await assert.rejects(loadUcf101(r), /trainlist01.txt:3: "PushUps\/v_PushUps_g08_c01.avi" is listed twice \(first on line 1\)/);
  });

  it("kit.json values of the wrong type are errors naming the key", async () => {
    const train = "PushUps/v_PushUps_g08_c01.avi 3\r\n";
    const flip = await lists("kit-flip", CLASSES, train, "", '{"flip": "false"}');
    await assert.rejects(loadUcf101(flip), /kit.json: "flip" must be true or false, got "false"/);
    const area = await lists("kit-area", CLASSES, train, "", '{"areaRange": ["a", 1]}');
    await assert.rejects(loadUcf101(area), /kit.json: "areaRange" must be two numbers 0 < min <= max <= 1, got \["a",1\]/);
    const wide = await lists("kit-wide", CLASSES, train, "", '{"areaRange": [0.5, 2]}');
    await assert.rejects(loadUcf101(wide), /kit.json: "areaRange" must be two numbers/);
    const aspect = await lists("kit-aspect", CLASSES, train, "", '{"aspectRange": [2, 1]}');
    await assert.rejects(loadUcf101(aspect), /kit.json: "aspectRange" must be two numbers 0 < min <= max, got \[2,1\]/);
    const notObject = await lists("kit-array", CLASSES, train, "", "[1, 2]");
    await assert.rejects(loadUcf101(notObject), /kit.json: expected a JSON object/);
  });
});
