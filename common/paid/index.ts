// The part of paid content both sites run: the item definition, the access-key format, address policies, log entry types.
export { ageOn, itemDefinition, itemId, itemsOfRelease, periodEnd, saleStatus, ADDRESS_POLICIES, ITEM_ID_RE, PERIODS, type PaidItem, type Period, type ReleasedItem } from './item.js';
export { ACCESS_KEY_TYP, accessKeyClaims, newKeyId, readAccessKey, signAccessKey, verifyAccessKey, type AccessKeyClaims } from './access-key.js';
export { canonicalAddress, parseAddress, sameClient, PREFIX_BITS, type AddressPolicy } from './address.js';
export { chargeEntry, keyIssuedEntry, paidPageEntry, paidRefusedEntry, subscribedEntry, unsubscribedEntry } from './log-entries.js';
export {
  classify,
  mainChargesFromLog,
  monthBounds,
  parseStatementCsv,
  partnerLinesFromLog,
  partnersInMainLog,
  reconcilePeriod,
  salesStatement,
  salesSummary,
  statementCsv,
  checkpointRef,
  DIFFERENCE_KINDS,
  DIFFERENCE_LABELS,
  PERIOD_RE,
  type CheckpointRef,
  type Classification,
  type DifferenceKind,
  type MainCharge,
  type ReconLine,
  type SalesStatement,
  type StatementLine,
} from './reconcile.js';
export { computeSupplierStatement, supplierContract, BASIS_TYPES, type PartnerPeriod, type SupplierContract, type SupplierLine, type SupplierStatement } from './supplier-statement.js';
export { bannerBlock, rankingsBlock, withBlocks, type BlockLine } from './ranking-block.js';
