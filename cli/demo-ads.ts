import type { Db } from '../common/store/sqlite.js';
import { hashPassword } from '../common/web/password.js';
import { PartyStore } from '../main-site/portal/index.js';

/** The demo's advertiser at the main site's portal (password set, as if it had accepted its invitation). */
export const DEMO_ADVERTISER = { id: 'p-0000000000a1', kind: 'advertiser' as const, displayName: 'Trail Gear Ltd', email: 'ads@demo.test', password: 'tieup-demo-advertiser' };

/** Two ads: on the products page of every site a small paid count that runs out quickly (stop), on the about page a grace-variant ad with an image creative. */
export const DEMO_ADS = [
  {
    advertiser: DEMO_ADVERTISER.id,
    ad: {
      id: 'ad-tents',
      title: 'Trail tents, 20% off',
      text: 'Two-person tents under 1.5 kg, this month only.',
      url: 'https://trailgear.example/tents',
      creative: { kind: 'html', html: '<p style="font:14px sans-serif;margin:0">Trail tents <b>-20%</b> at Trail Gear</p>' },
      keywords: ['tent', 'trail', 'shelter'],
      target: { pages: ['/products'] },
      points: 25,
    },
    paidCount: 20,
    price: { amount: 2000, currency: 'EUR' },
    variant: 'stop',
  },
  {
    advertiser: DEMO_ADVERTISER.id,
    ad: {
      id: 'ad-stoves',
      title: 'Gas stoves for the trail',
      text: 'Boil a litre in three minutes.',
      url: 'https://trailgear.example/stoves',
      creative: { kind: 'image', src: '/assets/products/stove-gas.svg', alt: 'A gas stove' },
      keywords: ['stove', 'cooking', 'gas'],
      target: { pages: ['/about'] },
      points: 10,
      frequencyCap: { count: 5, hours: 1 },
    },
    paidCount: 500,
    price: { amount: 15000, currency: 'EUR' },
    variant: 'grace',
    graceSeconds: 120,
  },
] as const;

/** The advertiser's portal account, created once in the main site's database before it starts. */
export async function prepareDemoAdvertiser(db: Db): Promise<void> {
  const parties = new PartyStore(db);
  if (parties.get(DEMO_ADVERTISER.id)) return;
  const now = new Date().toISOString();
  const { password: _p, ...party } = DEMO_ADVERTISER;
  parties.create({ ...party, webhookUrl: null, createdAt: now, createdBy: 'demo' });
  parties.activate(DEMO_ADVERTISER.id, await hashPassword(DEMO_ADVERTISER.password), now);
}

/**
 * Commissions the demo's two ads through the main site's console API (so the
 * payment requests go out through the outbox to the demo mailbox) and records
 * their first payments, once; returns the banner's lines.
 */
export async function setupDemoAds(mainUrl: string, token: string): Promise<string[]> {
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${mainUrl}/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as { ad?: { state: string } } };
  };
  for (const a of DEMO_ADS) {
    if ((await call('GET', `/ads/${a.ad.id}`)).status === 404) {
      const made = await call('POST', '/ads', a);
      if (made.status !== 201) throw new Error(`demo ad ${a.ad.id}: ${JSON.stringify(made.body)}`);
      await call('POST', `/ads/${a.ad.id}/payments`, { payment: `demo-${a.ad.id}-1`, amount: a.price.amount, currency: a.price.currency });
    }
  }
  return [
    `  ads    ${(mainUrl + '/portal').padEnd(24)} login ${DEMO_ADVERTISER.email} / ${DEMO_ADVERTISER.password}   (${DEMO_ADVERTISER.displayName}, advertiser ${DEMO_ADVERTISER.id}: ad-tents, ad-stoves)`,
    `         ad-tents on /products of every site (paid for 20 deliveries), ad-stoves on /about. Ads: ${mainUrl}/admin/ads   tieup ads | leases | points --user <id>`,
  ];
}
