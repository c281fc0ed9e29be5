import supertest from 'supertest';

export const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
export const keyOf = (html: string): string => /name="key" value="([^"]+)"/.exec(html)![1]!;
/** The total a checkout page shows and its form carries (minor units). */
export const totalOf = (html: string): string => /name="total" value="([^"]+)"/.exec(html)![1]!;

export const ADDRESS = { name: 'Ada Shopper', street: '1 Harbour Road', postcode: '12345', city: 'Porthaven', country: 'Germany' };

/** A shopper with a browser-like cookie jar on one site, going through the real pages and forms. */
export class Shopper {
  readonly agent: ReturnType<typeof supertest.agent>;
  constructor(readonly url: string) {
    this.agent = supertest.agent(url);
  }

  async register(email: string, password: string, name = 'Ada Shopper') {
    const form = await this.agent.get('/account/register').expect(200);
    return this.agent
      .post('/account/register')
      .type('form')
      .send({ _csrf: csrfOf(form.text), email, name, password });
  }

  async login(email: string, password: string) {
    const form = await this.agent.get('/account/login').expect(200);
    return this.agent
      .post('/account/login')
      .type('form')
      .send({ _csrf: csrfOf(form.text), email, password });
  }

  async logout() {
    const page = await this.agent.get('/account').expect(200);
    return this.agent
      .post('/account/logout')
      .type('form')
      .send({ _csrf: csrfOf(page.text) });
  }

  async add(productId: string, qty = 1) {
    const page = await this.agent.get(`/shop/product/${productId}`).expect(200);
    return this.agent
      .post('/cart/add')
      .type('form')
      .send({ _csrf: csrfOf(page.text), product: productId, qty: String(qty) });
  }

  /** Opens the checkout page of a cart group; returns its form token and idempotency key. */
  async openCheckout(group: string) {
    const page = await this.agent.get(`/checkout?group=${group}`);
    if (page.status !== 200) throw new Error(`checkout page answered ${page.status}: ${page.text.slice(0, 300)}`);
    return { csrf: csrfOf(page.text), key: keyOf(page.text), total: totalOf(page.text), html: page.text };
  }

  async placeOrder(group: string, settlement = 'pay_on_delivery', extra: Record<string, string> = {}) {
    const f = await this.openCheckout(group);
    return this.agent
      .post('/checkout')
      .type('form')
      .send({ _csrf: f.csrf, group, key: f.key, total: f.total, settlement, ...ADDRESS, ...extra });
  }
}

export const orderNumberOf = (res: { status: number; headers: Record<string, unknown>; text: string }): string => {
  if (res.status !== 303) throw new Error(`expected a redirect to the order, got ${res.status}: ${res.text.slice(0, 400)}`);
  return decodeURIComponent(/\/orders\/([^?]+)/.exec(String(res.headers.location))![1]!);
};
