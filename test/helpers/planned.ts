import assert from 'node:assert/strict';
import supertest from 'supertest';
import type { Mailbox } from '../../cli/demo-mailbox.js';

export const PARTY_PASSWORD = 'party password 123';
export const csrfIn = (html: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'the page has a form with a CSRF token');
  return m[1]!;
};

/** Follows the e-mailed invitation link, sets the password and logs in to the portal; returns the signed-in agent. */
export async function portalAgent(url: string, mb: Mailbox, email: string): Promise<ReturnType<typeof supertest.agent>> {
  const mail = await mb.waitFor((m) => m.to.includes(email) && /\/portal\/invite\//.test(m.text));
  const link = new URL(/(http:\/\/\S+\/portal\/invite\/[A-Za-z0-9_-]+)/.exec(mail.text)![1]!);
  const agent = supertest.agent(url);
  const form = await agent.get(link.pathname).expect(200);
  await agent
    .post(link.pathname)
    .type('form')
    .send({ _csrf: csrfIn(form.text), password: PARTY_PASSWORD, confirm: PARTY_PASSWORD })
    .expect(303);
  const login = await agent.get('/portal/login').expect(200);
  await agent
    .post('/portal/login')
    .type('form')
    .send({ _csrf: csrfIn(login.text), email, password: PARTY_PASSWORD })
    .expect(303);
  return agent;
}

/** A minimal PNG (1x1), recognised by its bytes. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
export const HTML_WITH_SCRIPT = Buffer.from('<!doctype html><html><body><h1>Hello</h1><script>document.title = "pwned"; fetch("/portal/account");</script></body></html>');
export const SVG_WITH_SCRIPT = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>');
