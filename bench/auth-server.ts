// Child process of bench/auth.ts: one main site whose /s2s/hello is the real
// authenticated route, plus /plain/hello answering the same handler without auth.
import express from 'express';
import { loadNetworkConfig } from '../cli/network-config.js';
import { createBaseApp, finishApp } from '../common/http/base-app.js';
import { createSiteContext } from '../common/site/context.js';
import { helloAnswer } from '../common/site/peer-protocol.js';
import { createPeerRouter } from '../common/site/s2s-setup.js';
import { runSite } from '../common/site/runner.js';
import { MAIN_SITE } from '../main-site/server.js';
import { siteMigrations } from '../common/site/host.js';

const ctx = await createSiteContext(loadNetworkConfig('main'), { migrations: siteMigrations(MAIN_SITE).slice(1), defaultMetrics: false });
const app = createBaseApp(ctx);
app.use('/s2s', createPeerRouter(ctx).router);
// Same body parsing and the same answer, minus token checks and response signing.
app.post('/plain/hello', express.raw({ type: () => true, limit: ctx.config.s2sBodyLimitBytes }), (req, res) => {
  if (Buffer.isBuffer(req.body) && req.body.length) JSON.parse(req.body.toString('utf8'));
  res.json(helloAnswer(ctx, 'north', 'none'));
});
finishApp(app, ctx);
const site = await runSite(ctx, app);
process.send?.({ url: site.url });
// CPU time of the whole process (every thread), so the bench can show what one request costs each side.
process.on('message', (m) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpu: u.user + u.system });
  }
});
process.on('SIGTERM', () => void site.close().then(() => process.exit(0)));
