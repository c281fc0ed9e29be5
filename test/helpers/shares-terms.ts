import type { PlannerTerms } from '../../common/planned/shares/index.js';

/** A planner contract for the shares tests: 30% planner, 20% contributors, 10% partner handling, the rest the main site's. */
export const TERMS: PlannerTerms = {
  currency: 'EUR',
  plannerShareBps: 3000,
  contributorPay: { basis: 'contribution_sales', bps: 2000 },
  partnerHandlingBps: 1000,
  mainShare: { type: 'remainder' },
  holdingDays: 0,
  payoutMinimum: 0,
  statementCycle: 'monthly',
};

/** The demo's split: 40% planner, 30% contributors, 10% partner handling, the rest the main site's. */
export const TERMS_40_30: PlannerTerms = { ...TERMS, plannerShareBps: 4000, contributorPay: { basis: 'contribution_sales', bps: 3000 } };
