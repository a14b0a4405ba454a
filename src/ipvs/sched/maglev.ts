// Maglev lookup-table population (NSDI'16 §3.4, Pseudocode 1) with the kernel's weighted turns
// (ip_vs_mh_populate). Pure functions over typed arrays; they run at update time only.

/** One backend's permutation: it prefers slots offset, offset+skip, offset+2*skip, ... (mod M). */
export interface MaglevPerm {
  offset: number;
  skip: number;
}

/**
 * Fills `table` (length M, M prime so every skip is coprime with it) with backend indices.
 * Backends take turns in order; in its turn backend i claims `turns[i]` slots, each the next
 * free slot along its permutation. turns[i] = 0 leaves a backend out. With every turn 1 this is
 * the paper's POPULATE; weights change only "the relative frequency of the backends' turns".
 * Slots stay -1 when no backend has a turn.
 *
 *   perm(i):  offset ─skip─► ─skip─► ...   each turn: walk perm(i) past taken slots, claim one
 *   table:    [ 1 | 0 | 1 | 0 | 2 | 2 | 0 ]  (the paper's M = 7 example)
 */
export function maglevFill(
  table: Int32Array,
  offsets: ArrayLike<number>,
  skips: ArrayLike<number>,
  turns: ArrayLike<number>,
): Int32Array {
  const m = table.length;
  const n = offsets.length;
  table.fill(-1);
  let anyTurn = false;
  for (let i = 0; i < n; i++) if (turns[i] >= 1) anyTurn = true;
  if (!anyTurn) return table;
  const taken = new Uint8Array(m);
  const next = Int32Array.from(offsets); // the kernel's ds->perm: next slot to try
  let filled = 0;
  for (;;) {
    for (let i = 0; i < n; ) {
      if (turns[i] < 1) {
        i++;
        continue;
      }
      for (let t = 0; t < turns[i]; t++) {
        let c = next[i];
        while (taken[c] !== 0) {
          c += skips[i];
          if (c >= m) c -= m;
        }
        next[i] = c;
        taken[c] = 1;
        table[c] = i;
        if (++filled === m) return table;
      }
      i++;
    }
  }
}

/** The paper's Pseudocode 1, unweighted: returns entry[] with the backend index of each slot. */
export function maglevPopulate(m: number, perms: readonly MaglevPerm[]): Int32Array {
  return maglevFill(
    new Int32Array(m),
    perms.map((p) => p.offset),
    perms.map((p) => p.skip),
    perms.map(() => 1),
  );
}
