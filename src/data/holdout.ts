// A validation split held out from the training list, by group, as UCF101 splits train from test:
// the clips of one group share actor and scene, so a validation clip whose group is also trained
// on would measure memorisation of the scene, not recognition. The best checkpoint is picked on
// this split; the test split is used once, after training.
import type { ClipEntry } from "./ucf101";

/** Share of the training groups held out for validation (3 of UCF101's 18 training groups). */
export const VAL_GROUP_SHARE = 1 / 6;

/**
 * Splits `entries` by group: the highest-numbered ceil(share x groups) groups (at least 1, and at
 * least one group left to train on) become the validation split. Deterministic: the same list
 * always gives the same split, whatever the seed.
 */
export function holdOutGroups(entries: ClipEntry[], share = VAL_GROUP_SHARE): { train: ClipEntry[]; val: ClipEntry[]; valGroups: number[] } {
  const groups = [...new Set(entries.map((e) => e.group))].sort((a, b) => a - b);
  if (groups.length < 2) {
    throw new Error(`validation split: the training list has ${groups.length} group(s); at least 2 are needed to hold one out (clips of a group share a scene)`);
  }
  const n = Math.min(groups.length - 1, Math.max(1, Math.ceil(share * groups.length)));
  const valGroups = groups.slice(groups.length - n);
  const isVal = new Set(valGroups);
  return { train: entries.filter((e) => !isVal.has(e.group)), val: entries.filter((e) => isVal.has(e.group)), valGroups };
}
