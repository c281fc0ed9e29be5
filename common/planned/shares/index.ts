// Planned shares, the pure part: the planner contract, sale and refund records with their log entries, the exact split, periods.
export {
  contractInForce,
  contractVersion,
  plannerTerms,
  contributorPay,
  PARTY_ID_RE,
  STATEMENT_CYCLES,
  CONTRIBUTOR_BASES,
  contributorPayText,
  type ContractVersion,
  type PlannerTerms,
  type ContributorPay,
  type StatementCycle,
} from './contract.js';
export {
  acceptanceRecord,
  canonicalJson,
  recordDigest,
  refundRecord,
  saleRecord,
  soldContribution,
  plannedAcceptEntry,
  plannedContractEntry,
  plannedPayoutEntry,
  plannedRefundEntry,
  plannedSaleEntry,
  SHARES_ENTRY_TYPES,
  type AcceptanceRecord,
  type RefundInput,
  type RefundRecord,
  type SaleInput,
  type SaleRecord,
  type SoldContribution,
} from './sale.js';
export { partKey, reverseParts, sharesOf, splitSale, type Part, type PartRole } from './allocate.js';
export { holdUntil, periodEnd, periodStart } from './periods.js';
