// Child process of bench/serve.ts: one of the three servers it compares.
//   partner  a real partner site (its product page route, fast path on unless TIEUP_FAST_PATH=false)
//   static   express with express.static over a folder holding the same HTML
//   raw      bare node:http answering the same HTML from memory
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { loadNetworkConfig } from '../cli/network-config.js';
import { startPartnerSite } from '../partner-site/server.js';

const mode = process.argv[2];
const dir = process.env.BENCH_DIR!;
let url: string;
let close: () => Promise<void>;

if (mode === 'partner') {
  const site = await startPartnerSite(loadNetworkConfig('partner'), { defaultMetrics: false });
  const main = JSON.parse(process.env.BENCH_MAIN!) as { id: string; url: string; ackedKid: string; keys: { thumbprint: string; publicJwk: Record<string, unknown> }[] };
  if (!site.ctx.peers.get(main.id)) site.ctx.peers.add({ id: main.id, role: 'main', baseUrl: main.url, ackedKid: site.ctx.keyring().current.kid, keys: main.keys });
  url = site.url;
  close = () => site.close();
} else if (mode === 'static') {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.static(join(dir, 'static')));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  close = () => new Promise((r) => server.close(() => r()));
} else {
  const html = readFileSync(join(dir, 'static', 'page.html'));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': html.length });
    res.end(html);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  close = () => new Promise((r) => server.close(() => r()));
}
process.send?.({ url });
process.on('SIGTERM', () => void close().then(() => process.exit(0)));
