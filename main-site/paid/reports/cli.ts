import { API_OPTIONS, apiCall, DEFAULT_URL, tokenOf, urlOf } from '../../../common/cli/api.js';
import { defineCommands, print } from '../../../common/cli/command.js';
import { daySpan } from '../../../common/web/format.js';
import { reportCsv } from './report-pages.js';
import type { SalesReport } from './report-service.js';

/** `tieup paid reports`, against the main site's console API. */
export const reportCli = defineCommands(`Sales reports (against the main site's API, --url default ${DEFAULT_URL}):`, [
  {
    name: 'paid reports',
    usage: '[--cycle daily|weekly|monthly] [--period 2026-11-30|2026-W49|2026-11] [--supplier <party id>] [--item <id>] [--by item|partner] [--csv]',
    summary: 'a sales report (default: last closed month, every item): per item totalled by partner, or per partner totalled by item',
    options: { ...API_OPTIONS, cycle: { type: 'string' }, period: { type: 'string' }, supplier: { type: 'string' }, item: { type: 'string' }, by: { type: 'string' }, csv: { type: 'boolean' } },
    async run(flags, _args, io) {
      const q = new URLSearchParams();
      for (const k of ['cycle', 'period', 'supplier', 'item']) if (typeof flags[k] === 'string') q.set(k, flags[k]);
      const byPartner = flags.by === 'partner';
      const { report: r } = await apiCall<{ report: SalesReport }>(urlOf(flags), tokenOf(flags), 'GET', `/admin/api/paid/reports?${q.toString()}`);
      // The same CSV the console serves, written here from the JSON (the API client reads JSON only).
      if (flags.csv === true) {
        io.out(reportCsv(r, byPartner ? 'partners' : 'items').replace(/\r\n$/, ''));
        return 0;
      }
      print(flags, io, { report: r }, () => {
        io.out(`${r.cycle} ${r.period}: ${daySpan(r.from, r.to)}${r.supplier ? ` supplier ${r.supplier}` : ''}${r.restsOn ? `, rests on checkpoint ${r.restsOn.size}` : ''}`);
        const line = (name: string, l: SalesReport['total']) =>
          `  ${name.padEnd(24)} accesses ${l.accesses} [${l.tenDays.join('/')}]  new ${l.registered}  continuing ${l.continuing}  valid ${l.valid}  growth ${l.growth === null ? 'n/a' : `${l.growth}%`}`;
        if (byPartner) {
          for (const p of r.partners) {
            io.out(`${p.partner}`);
            for (const i of p.items) io.out(line(i.item, i));
            io.out(line('total', p.total));
          }
        } else {
          for (const i of r.items) {
            io.out(`${i.item}  ${i.title}  rank ${i.rank}/${r.rankedItems}, ${i.categoryRank} in ${i.category}`);
            for (const p of i.partners) io.out(line(p.partner, p));
            io.out(line('total', i.total));
          }
        }
        io.out(line('ALL', r.total));
      });
      return 0;
    },
  },
]);
