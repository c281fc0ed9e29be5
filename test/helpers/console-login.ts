import assert from 'node:assert/strict';
import supertest from 'supertest';
import { request } from 'undici';
import { TEST_PASSWORD } from './network.js';

export type ConsoleAgent = ReturnType<typeof supertest.agent>;

/** The CSRF token of the first form on a page. */
export const csrfFromPage = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

/** Logs in through the console's real login form (CSRF included) and returns the agent holding the session cookie. */
export async function consoleLogin(url: string, base: '/admin' | '/manage', username: string): Promise<ConsoleAgent> {
  const agent = supertest.agent(url);
  const page = await agent.get(`${base}/login`).expect(200);
  await agent
    .post(`${base}/login`)
    .type('form')
    .send({ _csrf: csrfFromPage(page.text), username, password: TEST_PASSWORD })
    .expect(303);
  return agent;
}

/** Logs in through the console's own form (CSRF cookie and field), as a browser does; returns the session cookie. */
export async function consoleSession(base: string, path: string, username: string): Promise<string> {
  const page = await request(`${base}${path}/login`);
  const html = await page.body.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const loginCookie = String(page.headers['set-cookie']).split(';')[0]!;
  const res = await request(`${base}${path}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ _csrf: csrf, username, password: TEST_PASSWORD }).toString(),
  });
  await res.body.text();
  assert.equal(res.statusCode, 303);
  const set = res.headers['set-cookie'];
  const session = (Array.isArray(set) ? set : [set]).find((c) => typeof c === 'string' && c.includes('_console='));
  assert.ok(session, 'the login sets a session cookie');
  return session.split(';')[0]!;
}
