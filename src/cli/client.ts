// What tsvsadm and tsip do: send their argv to the daemon's control socket and print the answer
// (errors on stderr, non-zero exit). TSVS_SOCKET overrides the socket path.

import { DEFAULT_SOCKET } from '../control/config-file.js';
import { type ControlRequest, controlRequest } from '../control/socket.js';
import { programOf } from './parse/program.js';

/** tsvsadm -R / --restore: rules come on stdin (ipvsadm-save lines need the program name in front). */
function restoreBatch(stdin: string, program: string): string {
  return stdin.split('\n').map((l) => {
    const first = l.trim().split(/\s+/)[0] ?? '';
    return first === '' || first.startsWith('#') || programOf(first) !== undefined ? l : `${program} ${l}`;
  }).join('\n');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function runClient(program: 'tsvsadm' | 'tsip' | 'tsvs', argv: readonly string[]): Promise<number> {
  const socket = process.env.TSVS_SOCKET || DEFAULT_SOCKET;
  const restore = program === 'tsvsadm' && (argv.includes('-R') || argv.includes('--restore'));
  const req: ControlRequest = restore
    ? { id: 1, batch: restoreBatch(await readStdin(), program) }
    : { id: 1, argv: [program, ...argv] };
  try {
    const res = await controlRequest(socket, req);
    if (!res.ok) {
      process.stderr.write(`${program}: ${res.error ?? 'failed'}\n`);
      return 1;
    }
    if (res.output) process.stdout.write(res.output.endsWith('\n') ? res.output : res.output + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`${program}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}
