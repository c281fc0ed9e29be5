import type express from 'express';
import { createS2SRouter, type S2SServerDeps } from '../s2s/middleware.js';
import type { SiteContext } from './context.js';
import { mountPeerProtocol } from './peer-protocol.js';

export function s2sDepsFor(ctx: SiteContext): S2SServerDeps {
  return {
    selfId: ctx.config.siteId,
    peers: ctx.peers,
    replay: ctx.replay,
    keyring: ctx.keyring,
    metrics: ctx.metrics,
    logger: ctx.logger,
    bodyLimitBytes: ctx.config.s2sBodyLimitBytes,
  };
}

/** The authenticated /s2s router with the routes every site answers (hello, hello-back, key announcement). */
export function createPeerRouter(ctx: SiteContext): { router: express.Router; deps: S2SServerDeps } {
  const deps = s2sDepsFor(ctx);
  const router = createS2SRouter(deps);
  mountPeerProtocol(router, ctx, deps);
  return { router, deps };
}
