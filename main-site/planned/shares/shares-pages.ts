import express from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import { expectNoOptions } from '../../../common/http/bodies.js';
import { formatMoney } from '../../../common/money.js';
import { partyId, utcTime } from '../../../common/planned/shares/contract.js';
import type { PortalSection } from '../../portal/index.js';
import { sharesErrors } from './errors.js';
import type { SharesService } from './shares-service.js';

const money = (a: number, c: string) => formatMoney({ amount: a, currency: c });
const q = (req: Request, k: string): string | undefined => (typeof req.query[k] === 'string' ? req.query[k].slice(0, 100) : undefined);

const plannerParam = (v: unknown): string => {
  const p = partyId.safeParse(v);
  if (!p.success) throw sharesErrors.not_a_planner(`"${String(v).slice(0, 40)}" is not a party id`);
  return p.data;
};
const accountParam = (v: unknown): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw sharesErrors.statement_not_found();
  return n;
};
/** A new contract version: the terms are checked by plannerTerms in the service, strictly. */
const contractBody = z.strictObject({ terms: z.unknown(), effectiveFrom: utcTime.optional() });

/** Statements of an account, as JSON: every closed one with its lines, and with ?open=1 the running period too. */
function statementsOf(shares: SharesService, id: number, open: boolean) {
  const account = shares.account(id);
  if (!account) throw sharesErrors.statement_not_found();
  return { account, statements: shares.statements(id, { open }) };
}

/** /admin/api/planned/shares/...: contracts, accounts, statements, closing, and the evidence an auditor recomputes from. */
export function sharesApi(shares: SharesService): express.Router {
  const r = express.Router();
  r.get('/planned/shares/contracts/:planner', (req, res) => {
    res.json({ contracts: shares.contracts(plannerParam(req.params.planner)) });
  });
  r.post('/planned/shares/contracts/:planner', (req, res) => {
    const planner = plannerParam(req.params.planner);
    const body = contractBody.safeParse(req.body);
    if (!body.success) throw sharesErrors.invalid_terms(body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    res.status(201).json({ contract: shares.setContract(planner, body.data.terms, body.data.effectiveFrom ? { effectiveFrom: body.data.effectiveFrom } : {}) });
  });
  r.get('/planned/shares/accounts', (req, res) => {
    const planner = q(req, 'planner');
    const party = q(req, 'party');
    if (planner) return void res.json({ accounts: shares.accountsOfPlanner(plannerParam(planner)) });
    // A party id (planner, contributor) or a site id (the main site, a partner): accounts hold both.
    if (party) return void res.json({ accounts: /^[a-z][a-z0-9-]{0,31}$/.test(party) && !party.startsWith('p-') ? shares.accountsOf(party) : shares.accountsOf(plannerParam(party)) });
    res.json({ planners: shares.planners().map((p) => ({ planner: p, contract: shares.contracts(p).at(-1) ?? null, accounts: shares.accountsOfPlanner(p) })) });
  });
  r.get('/planned/shares/statements/:account', (req, res) => {
    res.json(statementsOf(shares, accountParam(req.params.account), q(req, 'open') === '1'));
  });
  r.post('/planned/shares/close', (req, res) => {
    expectNoOptions(req.body);
    res.json(shares.closeCycles());
  });
  r.get('/planned/shares/evidence/:planner', (req, res) => {
    const planner = plannerParam(req.params.planner);
    res.set('Content-Disposition', `attachment; filename="shares-evidence-${planner}.json"`).json(shares.evidence(planner));
  });
  return r;
}

/** /admin/planned/shares: every planner's contract and accounts; an account's statements line by line. */
export function sharesConsolePages(shares: SharesService): express.Router {
  const r = express.Router();
  r.get('/planned/shares', (_req, res) => {
    const planners = shares.planners().map((p) => ({
      planner: p,
      contracts: shares.contracts(p),
      accounts: shares.accountsOfPlanner(p).map((a) => ({ ...a, last: shares.statements(a.id, { open: true }).at(-1) ?? null })),
    }));
    res.render('main-planned-shares', { title: 'Planned shares', planners, money, name: (id: string) => shares.partyName(id) });
  });
  r.get('/planned/shares/accounts/:account', (req, res) => {
    const { account, statements } = statementsOf(shares, accountParam(req.params.account), true);
    const name = (id: string) => shares.partyName(id);
    res.render('main-planned-shares-account', { title: `Statements: ${account.role} ${name(account.party)}`, account, statements, money, name, base: '/admin/planned/shares' });
  });
  return r;
}

/**
 * The portal's "Shares" section for planners and contributors: the signed-in
 * party's own accounts and statements, every line with its formula. The
 * party comes from the session; an account id in the URL is only looked up
 * among that party's own accounts (another's answers 404).
 */
export function sharesSection(shares: SharesService): PortalSection {
  return {
    id: 'shares',
    title: 'Shares and statements',
    kinds: ['planner', 'contributor'],
    mount(router, tools) {
      router.get('/', (req, res) => {
        const me = tools.party(req);
        const accounts = shares.accountsOf(me.id).filter((a) => a.role === 'planner' || a.role === 'contributor');
        const wanted = q(req, 'account');
        const chosen = wanted ? accounts.find((a) => String(a.id) === wanted) : accounts[0];
        if (wanted && !chosen) {
          res.status(404).render('portal-message', { title: 'Not found', message: 'There is no such statement among yours.' });
          return;
        }
        const statements = chosen ? shares.statements(chosen.id, { open: true }) : [];
        if (q(req, 'format') === 'json') return void res.json({ account: chosen ?? null, statements });
        res.render('portal-shares', { title: 'Shares and statements', accounts, chosen: chosen ?? null, statements, money, name: (id: string) => shares.partyName(id) });
      });
    },
  };
}
