import cron from 'node-cron';
import { defineModule } from '../../../common/module.js';
import { fromRoot } from '../../../common/paths.js';
import { noticesModule } from '../../notices/index.js';
import { portalModule } from '../../portal/index.js';
import { paidModule } from '../index.js';
import { reportCli } from './cli.js';
import { reportErrors } from './errors.js';
import { reportApi, reportConsolePages, reportSection } from './report-pages.js';
import { ReportService } from './report-service.js';
import { ReportStore } from './report-store.js';

/**
 * Sales reports for suppliers (issue 14 item 5), a module of its own inside
 * the paid capability: it reads paid's records (its tables: migration
 * paid/002), adds the suppliers' portal section, the operator's page, and
 * the job that sends each report when its cycle closes.
 */
export const paidReportsModule = defineModule<ReportService>({
  name: 'paid-reports',
  errors: [reportErrors],
  cli: reportCli,
  views: [fromRoot('main-site/paid/reports/views')],
  nav: [{ path: '/paid/reports', title: 'Sales reports', group: 'Money' }],
  create: ({ ctx, use }) => {
    const reports = new ReportService(ctx, use(paidModule), new ReportStore(ctx.db), use(portalModule), use(noticesModule));
    use(portalModule).addSection(reportSection(reports));
    return reports;
  },
  consoleApi: (router, reports) => router.use(reportApi(reports)),
  consolePages: (router, reports) => router.use(reportConsolePages(reports)),
  // Every 5 minutes: reports of cycles that closed (each sent once; see ReportService.closeCycles).
  jobs: (reports, { ctx }) => [
    cron.schedule(
      '0 */5 * * * *',
      () => {
        try {
          reports.closeCycles();
        } catch (err) {
          ctx.logger.error({ event: 'paid_reports_failed', err }, 'sales reports could not be sent; the next run tries again');
        }
      },
      { name: `${ctx.config.siteId}-paid-reports`, noOverlap: true },
    ),
  ],
});
