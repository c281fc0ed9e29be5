import express from 'express';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../common/logger.js';
import { createS2SRouter, finishS2SRouter, type S2SServerDeps } from '../../common/s2s/middleware.js';
import type { RunningSite } from '../../common/site/runner.js';
import { s2sDepsFor } from '../../common/site/s2s-setup.js';

/** A logger whose JSON lines are kept for assertions. */
export function captureLogger(site: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(site, 'debug', stream), lines };
}

export interface FakePeer {
  url: string;
  close(): Promise<void>;
}

/**
 * Another /s2s server speaking as `site` (its keys, its peers, its replay
 * cache) through the real authenticating and signing middleware, with only
 * the routes `mount` gives it: a peer that answers whatever a test wants.
 * Point a caller at it with peers.setBaseUrl(site id, fake.url).
 */
export async function startFakePeer(site: RunningSite, mount: (router: express.Router, deps: S2SServerDeps) => void, logger?: Logger): Promise<FakePeer> {
  const deps = { ...s2sDepsFor(site.ctx), ...(logger ? { logger } : {}) };
  const router = createS2SRouter(deps);
  mount(router, deps);
  finishS2SRouter(router, deps);
  const app = express();
  app.use('/s2s', router);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Kept-alive connections of the callers' agents would hold close() open.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
