import { request } from 'undici';
import type { EntryFields } from '../../common/logchain/entry.js';
import type { SiteContext } from '../../common/site/context.js';
import { TEST_TOKEN } from './network.js';

let seq = 0;
export function fakeView(site: string, i = seq++): EntryFields {
  return {
    time: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
    site,
    type: 'page',
    path: ['/', '/about', '/products', '/local-news'][i % 4]!,
    kind: i % 4 === 3 ? 'original' : 'tie-up',
    release: 1,
    status: 200,
    bytes: 1000 + (i % 500),
    user: null,
    session: null,
    client: `10.0.${i % 256}.0/24`,
    ua: 'browser',
    order: null,
  };
}

export function appendViews(ctx: SiteContext, n: number): void {
  for (let i = 0; i < n; i++) ctx.log.append(fakeView(ctx.config.siteId));
  ctx.log.flush();
}

export async function fetchBundle(mainUrl: string, site: string, query = ''): Promise<string> {
  const res = await request(`${mainUrl}/admin/api/logs/${site}/bundle${query}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`bundle export failed: ${res.statusCode} ${text}`);
  return text;
}
