import supertest from 'supertest';
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
