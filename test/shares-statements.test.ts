import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { startMailbox, type Mailbox } from '../cli/demo-mailbox.js';
import type { SaleInput } from '../common/planned/shares/index.js';
import { hashPassword } from '../common/web/password.js';
import { plannedSharesModule, type SharesService } from '../main-site/planned/index.js';
import type { PartyKind } from '../main-site/portal/index.js';
import { startNetwork, type TestNetwork } from './helpers/network.js';
import { TERMS } from './helpers/shares-terms.js';

const FAST = { noticeRetryBaseMs: 30, noticeRetryMaxMs: 200, noticePollMs: 20 };

/** Asserts that `f` throws an AppError with `code`. */
function refuses(f: () => unknown, code: string): void {
  assert.throws(f, (e: { code?: string }) => e.code === code, `refused with ${code}`);
}

describe('planned shares: contracts, statements, refunds after payout, holding and payout minimum', () => {
  let net: TestNetwork;
  let mb: Mailbox;
  let shares: SharesService;
  let n = 0;
  before(async () => {
    mb = await startMailbox();
    net = await startNetwork(['north'], { ...FAST, smtpHost: '127.0.0.1', smtpPort: mb.port });
    shares = net.main.use(plannedSharesModule);
  });
  after(async () => {
    await net.close();
    await mb.close();
  });
  const at = (t: string) => {
    shares.now = () => new Date(t);
    return t;
  };
  async function party(kind: PartyKind, name: string): Promise<string> {
    n++;
    const { party: p } = net.main.portal.invite({ email: `${kind}${n}@parties.test`, kind, displayName: name }, 'test');
    net.main.portal.store.activate(p.id, await hashPassword('a long password 123'), new Date().toISOString());
    return p.id;
  }
  const sale = (over: Partial<SaleInput> & Pick<SaleInput, 'saleId' | 'time' | 'planner' | 'contributions'>): SaleInput => ({
    page: 'field-notes',
    kind: over.contributions.length === 1 ? 'contribution' : 'page',
    amount: 1999,
    currency: 'EUR',
    site: 'north',
    orderRef: `order-${over.saleId}`,
    ...over,
  });
  const accountOf = (planner: string, party: string) => shares.accountsOf(party).find((a) => a.planner === planner)!;

  it('a contract change applies only to sales after its effective date', async () => {
    const planner = await party('planner', 'Field Notes');
    const c = await party('contributor', 'Ann');
    at('2027-01-03T10:00:00.000Z');
    const v1 = shares.setContract(planner, TERMS);
    assert.equal(v1.version, 1);
    // The change is agreed on the 5th, in force from the 10th.
    at('2027-01-05T09:00:00.000Z');
    const v2 = shares.setContract(planner, { ...TERMS, plannerShareBps: 4000 }, { effectiveFrom: '2027-01-10T00:00:00.000Z' });
    assert.equal(v2.version, 2);
    assert.equal(shares.contractAt(planner, '2027-01-09T23:59:59.999Z')?.version, 1);
    assert.equal(shares.contractAt(planner, '2027-01-10T00:00:00.000Z')?.version, 2);
    const mk = (id: string, t: string) => shares.recordSale(sale({ saleId: id, time: at(t), planner, contributions: [{ contribution: 'c-ann-1', contributor: c }] }));
    const before = mk('cc-1', '2027-01-09T23:59:59.999Z');
    const after = mk('cc-2', '2027-01-10T00:00:00.000Z');
    assert.equal(before.contract.version, 1);
    assert.equal(after.contract.version, 2);
    const plannerPart = (r: typeof before) => r.parts.find((p) => p.role === 'planner')!.amount;
    assert.equal(plannerPart(before), 600); // 30% of 1999 = 599.7
    // 40% of 1999 = 799.6, but the three leftover units go to larger remainders (partner .9, contributor .8, main .7).
    assert.equal(plannerPart(after), 799);
    // No version reaches back: not before now, not before the version it follows.
    refuses(() => shares.setContract(planner, { ...TERMS, plannerShareBps: 1000 }, { effectiveFrom: '2027-01-09T00:00:00.000Z' }), 'contract_backdated');
    refuses(() => shares.setContract(planner, { ...TERMS, currency: 'USD' }), 'currency_change');
    refuses(() => shares.setContract(planner, { ...TERMS, plannerShareBps: 9500 }), 'invalid_terms');
    refuses(() => shares.setContract(c, TERMS), 'not_a_planner');
    assert.equal(shares.contracts(planner).length, 2, 'nothing refused was recorded');
    // The statement's lines say which version each sale was split by.
    const lines = shares.statements(accountOf(planner, planner).id, { open: true })[0]!.lines;
    assert.deepEqual(
      lines.map((l) => [l.ref, l.contractVersion, l.amount]),
      [
        ['cc-1', 1, 600],
        ['cc-2', 2, 799],
      ],
    );
    assert.match(lines[0]!.formula, /contract v1: 30\.00% planner share: 1999 x 3\/10 = 599\.7000 -> 600/);
  });

  it('records sales once, and refuses what it cannot split, writing nothing', async () => {
    const planner = await party('planner', 'Refusals');
    const c = await party('contributor', 'Bo');
    at('2027-02-01T10:00:00.000Z');
    const s = sale({ saleId: 'rf-1', time: '2027-02-01T10:00:00.000Z', planner, contributions: [{ contribution: 'c-bo', contributor: c }] });
    refuses(() => shares.recordSale(s), 'no_contract');
    shares.setContract(planner, TERMS);
    const size = net.main.ctx.log.size + net.main.ctx.log.pendingCount;
    refuses(() => shares.recordSale({ ...s, currency: 'USD' }), 'currency_mismatch');
    refuses(() => shares.recordSale({ ...s, site: 'nowhere' }), 'unknown_site');
    refuses(() => shares.recordSale({ ...s, time: '2027-02-02T10:00:00.000Z' }), 'invalid_time');
    refuses(() => shares.recordSale({ ...s, amount: 12.5 }), 'invalid_sale');
    refuses(() => shares.recordSale({ ...s, kind: 'contribution', contributions: [] }), 'invalid_sale');
    refuses(() => shares.recordSale({ ...s, planner: 'p-nothex' }), 'invalid_sale');
    assert.equal(net.main.ctx.log.size + net.main.ctx.log.pendingCount, size, 'no entry was logged for a refused sale');
    const first = shares.recordSale(s);
    const again = shares.recordSale(s);
    assert.equal(again.duplicate, true);
    assert.equal(again.entryIndex, first.entryIndex);
    refuses(() => shares.recordSale({ ...s, amount: 2999 }), 'sale_conflict');
    refuses(() => shares.recordRefund({ refundId: 'rf-r1', saleId: 'rf-1', time: '2027-02-01T10:00:00.000Z', kind: 'refund', amount: 2000, currency: 'EUR', reason: 'x' }), 'refund_exceeds_sale');
    refuses(() => shares.recordRefund({ refundId: 'rf-r1', saleId: 'nope', time: '2027-02-01T10:00:00.000Z', kind: 'refund', amount: 1, currency: 'EUR', reason: 'x' }), 'sale_not_found');
    assert.equal(shares.statements(accountOf(planner, planner).id, { open: true })[0]!.lines.length, 1);
  });

  it('a refund after payout reverses every party’s part in the next statement', async () => {
    const planner = await party('planner', 'Payout Then Refund');
    const cs = [await party('contributor', 'C1'), await party('contributor', 'C2'), await party('contributor', 'C3')];
    at('2027-03-02T08:00:00.000Z');
    shares.setContract(planner, TERMS);
    at('2027-03-15T12:00:00.000Z');
    shares.recordSale(sale({ saleId: 'pr-1', time: '2027-03-15T12:00:00.000Z', planner, kind: 'page', amount: 4999, contributions: cs.map((c, i) => ({ contribution: `pr-c${i}`, contributor: c })) }));
    // March closes on April 1st: every part is paid out (no holding, no minimum).
    at('2027-04-01T00:10:00.000Z');
    shares.closeCycles();
    const accounts = shares.accountsOfPlanner(planner);
    assert.deepEqual(accounts.map((a) => a.role).sort(), ['contributor', 'contributor', 'contributor', 'main', 'partner', 'planner']);
    const march = new Map(accounts.map((a) => [a.id, shares.statements(a.id).find((s) => s.period.from.startsWith('2027-03'))!]));
    for (const s of march.values()) assert.equal(s.payout, s.closing, `${s.account.role} paid out in March`);
    assert.equal(
      [...march.values()].reduce((t, s) => t + s.closing, 0),
      4999,
      'the parts add up to the sale',
    );
    // Refunded on April 5th, after the payout.
    at('2027-04-05T09:00:00.000Z');
    refuses(() => shares.recordSale(sale({ saleId: 'pr-late', time: '2027-03-31T23:00:00.000Z', planner, contributions: [{ contribution: 'pr-c0', contributor: cs[0]! }] })), 'period_closed');
    shares.recordRefund({ refundId: 'pr-r1', saleId: 'pr-1', time: '2027-04-05T09:00:00.000Z', kind: 'refund', amount: 4999, currency: 'EUR', reason: 'not as described' });
    at('2027-05-01T00:10:00.000Z');
    shares.closeCycles();
    for (const a of accounts) {
      const april = shares.statements(a.id).find((s) => s.period.from.startsWith('2027-04'))!;
      const m = march.get(a.id)!;
      assert.equal(april.opening, 0, `${a.role}: March was paid out`);
      assert.deepEqual(
        april.lines.map((l) => [l.kind, l.ref, l.amount]),
        m.lines.map((l) => ['refund', 'pr-r1', -l.amount]),
        `${a.role}: every part reversed`,
      );
      assert.equal(april.closing, -m.closing);
      assert.equal(april.payout, 0);
      assert.equal(april.carried, -m.closing, `${a.role}: the reversal is carried forward against future earnings`);
      assert.ok(april.restsOn && april.restsOn.size > Math.max(...april.lines.map((l) => l.entry)), 'the statement rests on a checkpoint covering its lines');
    }
  });

  it('holding period and payout minimum carry balances forward', async () => {
    const planner = await party('planner', 'Held');
    const c = await party('contributor', 'Dee');
    at('2027-06-01T08:00:00.000Z');
    shares.setContract(planner, { ...TERMS, holdingDays: 10, payoutMinimum: 1000 });
    const one = (id: string, t: string) => shares.recordSale(sale({ saleId: id, time: at(t), planner, amount: 2000, contributions: [{ contribution: 'h-c', contributor: c }] }));
    one('h-1', '2027-06-25T12:00:00.000Z'); // held until July 5th
    at('2027-07-01T00:10:00.000Z');
    shares.closeCycles();
    one('h-2', '2027-07-20T12:00:00.000Z'); // held until July 30th
    at('2027-08-01T00:10:00.000Z');
    shares.closeCycles();
    one('h-3', '2027-08-03T12:00:00.000Z');
    at('2027-09-01T00:10:00.000Z');
    shares.closeCycles();
    const planners = shares.statements(accountOf(planner, planner).id);
    const view = planners.map((s) => [s.period.from.slice(0, 7), s.opening, s.closing, s.held, s.payout, s.carried]);
    assert.deepEqual(view, [
      // June: 600 earned, all of it still held at the month's end.
      ['2027-06', 0, 600, 600, 0, 600],
      // July: 1200, nothing held, but 1200 is above the minimum of 1000: paid.
      ['2027-07', 600, 1200, 0, 1200, 0],
      // August: 600 available, below the minimum: carried.
      ['2027-08', 0, 600, 0, 0, 600],
    ]);
    const contributor = shares.statements(accountOf(planner, c).id).map((s) => [s.period.from.slice(0, 7), s.opening, s.closing, s.held, s.payout, s.carried]);
    // The contributor's 20% (400 a sale) never reaches the minimum within these months.
    assert.deepEqual(contributor, [
      ['2027-06', 0, 400, 400, 0, 400],
      ['2027-07', 400, 800, 0, 0, 800],
      ['2027-08', 800, 1200, 0, 1200, 0],
    ]);
  });

  it('a fixed fee per accepted contribution moves from the planner’s balance to the contributor’s; other bases owe nothing on acceptance', async () => {
    const planner = await party('planner', 'Fees');
    const c = await party('contributor', 'Eve');
    at('2027-09-02T08:00:00.000Z');
    shares.setContract(planner, { ...TERMS, contributorPay: { basis: 'fixed_fee', fee: 1500 }, plannerShareBps: 6000 });
    const acc = { contribution: 'fee-c1', contributor: c, planner, page: 'field-notes', time: at('2027-09-03T08:00:00.000Z') };
    const first = shares.recordAcceptance(acc)!;
    assert.equal(first.fee, 1500);
    assert.equal(shares.recordAcceptance(acc)!.duplicate, true);
    refuses(() => shares.recordAcceptance({ ...acc, contributor: 'nobody' }), 'invalid_acceptance');
    // A sale under fixed_fee gives the contributors nothing: main 30%, north 10%, the planner 60%.
    const sold = shares.recordSale(sale({ saleId: 'fee-s1', time: at('2027-09-04T08:00:00.000Z'), planner, amount: 1000, contributions: [{ contribution: 'fee-c1', contributor: c }] }));
    assert.deepEqual(
      sold.parts.map((p) => [p.role, p.amount]),
      [
        ['main', 300],
        ['partner', 100],
        ['planner', 600],
      ],
    );
    const lines = (party: string) => shares.statements(accountOf(planner, party).id, { open: true })[0]!.lines.map((l) => [l.kind, l.amount]);
    assert.deepEqual(lines(c), [['fee', 1500]]);
    assert.deepEqual(lines(planner), [
      ['fee', -1500],
      ['sale', 600],
    ]);
    // Under a share basis an acceptance owes nothing and records nothing.
    const other = await party('planner', 'No Fees');
    shares.setContract(other, TERMS);
    assert.equal(shares.recordAcceptance({ ...acc, contribution: 'fee-c2', planner: other, time: '2027-09-04T08:00:00.000Z' }), null);
  });

  it('closing adds up the same totals in SQL as the statements list line by line, and sends each party its statement once per cycle over SMTP', async () => {
    const rows = (id: number) =>
      net.main.ctx.db.prepare('SELECT period_from AS f, closing, payout, statement FROM planned_share_statements WHERE account = ? ORDER BY period_from').all(id) as {
        f: string;
        closing: number;
        payout: number;
        statement: string;
      }[];
    let compared = 0;
    for (const planner of shares.planners()) {
      for (const a of shares.accountsOfPlanner(planner)) {
        const chain = shares.statements(a.id);
        const stored = rows(a.id);
        assert.deepEqual(
          stored.map((r) => [r.f, r.closing, r.payout]),
          chain.map((s) => [s.period.from, s.closing, s.payout]),
          `account ${a.id} (${a.role})`,
        );
        for (const [i, r] of stored.entries()) {
          const s = JSON.parse(r.statement) as { held: number; opening: number; lineCount: number };
          assert.deepEqual([s.opening, s.held, s.lineCount], [chain[i]!.opening, chain[i]!.held, chain[i]!.lines.length]);
          compared++;
        }
      }
    }
    assert.ok(compared >= 20, `${compared} statements compared`);
    // Closing again changes nothing and sends nothing more.
    const noticesBefore = net.main.notices.list({ kind: 'planned_statement' }).length;
    assert.deepEqual(shares.closeCycles(), { windows: 0, statements: 0, payouts: 0, notices: 0 });
    assert.equal(net.main.notices.list({ kind: 'planned_statement' }).length, noticesBefore);
    const mail = await mb.waitFor((m) => /Your contributor statement for 2027-07-01 to 2027-08-01/.test(m.subject) && /carried forward\s+8\.00 EUR/.test(m.text));
    assert.match(mail.text, /Every line with its formula: http:\/\/127\.0\.0\.1:\d+\/portal\/shares\//);
    // Each party's statement for each period arrives exactly once.
    await new Promise((r) => setTimeout(r, 300));
    const subjects = mb.messages.filter((m) => /statement for/.test(m.subject)).map((m) => `${m.to.join(',')} ${m.subject}`);
    assert.equal(new Set(subjects).size, subjects.length, 'no statement mailed twice');
  });
});
