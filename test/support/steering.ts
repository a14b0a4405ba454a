// The afpacket steering hash written out from its description in fanout-program.ts (not from the
// program): which worker owns a connection whose client side is (address, port). Tests use it as the oracle.

/** IPv4 dotted quad or IPv6 text to the program's 32-bit words (network order, word 0 first). */
export function addrWords(a: string): number[] {
  if (!a.includes(':')) return [a.split('.').reduce((w, b) => w * 256 + Number(b), 0) >>> 0];
  const [head, tail = ''] = a.split('::');
  const h = head ? head.split(':') : [], t = tail ? tail.split(':') : [];
  const g = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((x) => parseInt(x, 16));
  return [0, 1, 2, 3].map((i) => ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0);
}

/** The worker (before the members table) of client side (addr, port); IPv6 enters as its words' xor. */
export function expectedWorker(addr: string, port: number, workers: number): number {
  const a = addrWords(addr).reduce((x, w) => (x ^ w) >>> 0, 0);
  let h = (Math.imul(a, 0x9e3779b1) ^ port) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) % workers;
}
