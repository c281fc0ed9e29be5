import { formatMoney } from '../../common/money.js';
import { escapeHtml as esc } from '../../common/render/page-renderer.js';
import type { Party } from '../portal/index.js';
import type { SharesService } from './shares/index.js';

/**
 * A party's shares in its portal (issue 16 item 6, via the shares module):
 * the statements of its own accounts, each line with its formula and the log
 * entry it rests on; the period running now is shown as a preview.
 */
export function sharesPanel(shares: SharesService): (party: Party) => string {
  return (party) => {
    const role = party.kind === 'planner' ? 'planner' : 'contributor';
    const accounts = shares.accountsOf(party.id).filter((a) => a.role === role);
    const blocks = accounts.flatMap((a) =>
      shares
        .statements(a.id, { open: true })
        .slice(-3)
        .map((st) => {
          const m = (n: number) => esc(formatMoney({ amount: n, currency: st.currency }));
          const lines = st.lines
            .map(
              (l) =>
                `<tr data-line="${esc(l.ref)}"><td>${esc(l.at.slice(0, 16).replace('T', ' '))}</td><td>${esc(l.kind)}</td><td><code>${esc(l.page)}</code>${l.contribution ? ` / <code>${esc(l.contribution)}</code>` : ''}</td><td class="num" data-amount="${l.amount}">${m(l.amount)}</td><td>${esc(l.formula)}</td><td class="num">${l.entry}</td></tr>`,
            )
            .join('');
          return (
            `<section class="card planned-statement" data-account="${a.id}"><h3>${esc(st.period.from.slice(0, 10))} to ${esc(st.period.to.slice(0, 10))} (${esc(st.period.cycle)}${st.restsOn ? `, closed at checkpoint ${st.restsOn.size}` : ', running'})</h3>` +
            (lines
              ? `<table><thead><tr><th>When</th><th>What</th><th>Item</th><th class="num">Your part</th><th>Formula</th><th class="num">Log entry</th></tr></thead><tbody>${lines}</tbody></table>`
              : '<p>No lines.</p>') +
            `<p>Opening ${m(st.opening)}, credits ${m(st.credits)}, debits ${m(st.debits)}, closing <strong data-closing>${m(st.closing)}</strong>; held ${m(st.held)}, available ${m(st.available)}, paid out ${m(st.payout)}, carried forward ${m(st.carried)} (payout minimum ${m(st.payoutMinimum)}).</p></section>`
          );
        }),
    );
    return `<h2>Your shares</h2>${blocks.join('') || '<p>No shares yet.</p>'}`;
  };
}
