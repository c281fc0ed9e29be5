import type express from 'express';
import { apiNotFound, createBaseApp, finishApp } from '../common/http/base-app.js';
import { createS2SRouter } from '../common/s2s/middleware.js';
import type { SiteContext } from '../common/site/context.js';
import { createConsole } from '../common/site/console-routes.js';
import { mountPeerProtocol } from '../common/site/peer-protocol.js';
import { partnersApi } from './console/partners-api.js';

export function createMainApp(ctx: SiteContext): express.Express {
  const app = createBaseApp(ctx);
  const s2sDeps = {
    selfId: ctx.config.siteId,
    peers: ctx.peers,
    replay: ctx.replay,
    keyring: ctx.keyring,
    metrics: ctx.metrics,
    logger: ctx.logger,
    bodyLimitBytes: ctx.config.s2sBodyLimitBytes,
  };
  const s2s = createS2SRouter(s2sDeps);
  mountPeerProtocol(s2s, ctx, s2sDeps);
  app.use('/s2s', s2s);

  const consoleSetup = createConsole(ctx, {
    basePath: '/admin',
    title: 'Main console',
    peersTitle: 'Partners',
    enrolHint: 'Enrol one with "tieup partner add" or POST /admin/api/partners.',
    canSuspend: true,
  });
  consoleSetup.api.use('/partners', partnersApi(ctx));
  app.use('/admin/api', consoleSetup.api, apiNotFound);
  app.use('/admin', consoleSetup.pages);
  app.get('/', (_req, res) => {
    res.type('text/plain').send(`Tieup main site "${ctx.config.siteId}". Console: /admin\n`);
  });
  finishApp(app, ctx);
  return app;
}
