import type express from 'express';
import { apiNotFound, createBaseApp, finishApp } from '../common/http/base-app.js';
import { createS2SRouter } from '../common/s2s/middleware.js';
import type { SiteContext } from '../common/site/context.js';
import { createConsole } from '../common/site/console-routes.js';
import { mountPeerProtocol } from '../common/site/peer-protocol.js';
import { mainApi } from './console/main-api.js';

export function createPartnerApp(ctx: SiteContext): express.Express {
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
    basePath: '/manage',
    title: 'Partner console',
    peersTitle: 'Main site',
    enrolHint: 'Enrol it with "tieup main set" or PUT /manage/api/main.',
    canSuspend: false,
  });
  consoleSetup.api.use('/main', mainApi(ctx));
  app.use('/manage/api', consoleSetup.api, apiNotFound);
  app.use('/manage', consoleSetup.pages);
  app.get('/', (_req, res) => {
    res.type('text/plain').send(`Tieup partner site "${ctx.config.siteId}". Console: /manage\n`);
  });
  finishApp(app, ctx);
  return app;
}
