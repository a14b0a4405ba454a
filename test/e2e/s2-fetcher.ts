// The S2 failover client: `ip netns exec CLIENT node s2-fetcher.js URL INTERVAL_MS TIMEOUT_MS`
// starts a GET on a new TCP connection every INTERVAL_MS (not waiting for the previous one) and
// prints one JSON line per request: {start, end, ok, body | error}, times in epoch ms. Runs until
// SIGTERM. Not a test file itself.

import { get } from 'node:http';

const [url, intervalMs, timeoutMs] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];

function fetchOnce(): void {
  const start = Date.now();
  let done = false;
  const finish = (r: { ok: boolean; body?: string; error?: string }): void => {
    if (done) return;
    done = true;
    process.stdout.write(JSON.stringify({ start, end: Date.now(), ...r }) + '\n');
  };
  const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (d: string) => { body += d; });
    res.on('end', () => finish(res.statusCode === 200 ? { ok: true, body: body.trim() } : { ok: false, error: `status ${res.statusCode}` }));
    res.on('error', (e) => finish({ ok: false, error: e.message }));
  });
  req.on('timeout', () => { req.destroy(new Error('timeout')); });
  req.on('error', (e) => finish({ ok: false, error: e.message }));
}

const timer = setInterval(fetchOnce, intervalMs);
process.once('SIGTERM', () => { clearInterval(timer); setTimeout(() => process.exit(0), timeoutMs + 100); });
