import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import { request } from 'undici';

export interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What a tamper function does with the peer's answer: rewrites it, or drops it ('drop': the connection is cut after the peer has answered, so the peer acted but its answer is lost). */
export type Tamper = (u: Upstream, url: string) => Upstream | 'drop' | Promise<Upstream | 'drop'>;

/**
 * A man in the middle on loopback: forwards each request to the real peer and
 * lets a test rewrite the answer, the way a hostile network or proxy could.
 */
export async function startTamperProxy(
  target: string,
  tamper: Tamper,
  /** Runs before forwarding; answering 'drop' cuts the connection as a crash would. */
  before?: (url: string) => Promise<'drop' | void> | 'drop' | void,
): Promise<{ url: string; close(): Promise<void>; setTamper(f: typeof tamper): void }> {
  let current = tamper;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if ((await before?.(req.url ?? '')) === 'drop') {
          req.socket.destroy();
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
        const up = await request(target + (req.url ?? '/'), { method: req.method as 'POST', headers, body: Buffer.concat(chunks) });
        const body = Buffer.from(await up.body.arrayBuffer());
        const out = await current({ status: up.statusCode, headers: up.headers, body }, req.url ?? '');
        if (out === 'drop') {
          req.socket.destroy();
          return;
        }
        const h: Record<string, string> = { 'content-type': 'application/json' };
        const tok = out.headers['tieup-response-token'];
        if (typeof tok === 'string') h['tieup-response-token'] = tok;
        res.writeHead(out.status, h);
        res.end(out.body);
      })();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    setTamper: (f) => {
      current = f;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
