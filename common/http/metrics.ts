import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NextFunction, Request, Response } from 'express';

/** One registry per site, so several sites in one process (tests, benches) keep separate figures. */
export class SiteMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly s2sAuthFailures: Counter<'side' | 'code'>;
  readonly s2sCalls: Counter<'peer' | 'outcome'>;
  readonly fastPathAnswers: Counter<'route'>;
  readonly storageDegraded: Gauge<'component' | 'code'>;
  readonly storageWriteFailures: Counter<'component' | 'code'>;
  readonly logPendingEntries: Gauge;
  /** Read when /metrics is scraped: the site's log sets it. */
  logPending: () => number = () => 0;

  constructor(site: string, withDefaults = true) {
    this.registry.setDefaultLabels({ site });
    if (withDefaults) collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'tieup_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'tieup_http_request_duration_seconds',
      help: 'HTTP request latency, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.s2sAuthFailures = new Counter({
      name: 'tieup_s2s_auth_failures_total',
      help: 'Server-to-server authentication failures, by side (server: requests we refused; client: responses we refused) and code',
      labelNames: ['side', 'code'],
      registers: [this.registry],
    });
    this.s2sCalls = new Counter({
      name: 'tieup_s2s_calls_total',
      help: 'Outgoing server-to-server calls, by peer and outcome (ok or an error code)',
      labelNames: ['peer', 'outcome'],
      registers: [this.registry],
    });
    this.fastPathAnswers = new Counter({
      name: 'tieup_fast_path_answers_total',
      help: 'Requests answered before express (also counted in tieup_http_requests_total under their route)',
      labelNames: ['route'],
      registers: [this.registry],
    });
    this.storageDegraded = new Gauge({
      name: 'tieup_storage_degraded',
      help: 'Whether a component cannot write to the database (1) and why (code, e.g. SQLITE_FULL: the disk is full); 0 once its writes succeed again',
      labelNames: ['component', 'code'],
      registers: [this.registry],
    });
    this.storageWriteFailures = new Counter({
      name: 'tieup_storage_write_failures_total',
      help: 'Database writes that failed, by component and SQLite code (SQLITE_FULL: the disk is full)',
      labelNames: ['component', 'code'],
      registers: [this.registry],
    });
    this.logPendingEntries = new Gauge({
      name: 'tieup_log_pending_entries',
      help: 'Access-log entries appended but not yet committed (grows while the disk is full)',
      registers: [this.registry],
      collect: () => this.logPendingEntries.set(this.logPending()),
    });
  }

  /**
   * Records every response under its route pattern (not the raw URL, which
   * would give one series per id); unmatched requests count as "unmatched".
   */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const start = process.hrtime.bigint();
      res.on('finish', () => {
        const routePath = (req.route as { path?: unknown } | undefined)?.path;
        const route = typeof routePath === 'string' ? req.baseUrl + routePath : 'unmatched';
        const labels = { method: req.method, route, status: String(res.statusCode) };
        this.httpRequests.inc(labels);
        this.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
      });
      next();
    };
  }
}
