/**
 * What planned pages need of the shares module (main-site/planned/shares,
 * `plannedSharesModule`): the planner's contract versions, and the sale,
 * refund and acceptance records every party's share rests on. Kept as a
 * structural interface so this part of the capability states what it relies on.
 */
export interface ContractTermsView {
  currency: string;
  plannerShareBps: number;
  contributorPay: { basis: 'contribution_sales'; bps: number } | { basis: 'page_sales_by_use'; bps: number } | { basis: 'fixed_fee'; fee: number };
  partnerHandlingBps: number;
  holdingDays: number;
  payoutMinimum: number;
  statementCycle: string;
}
export interface ContractView {
  planner: string;
  version: number;
  effectiveFrom: string;
  terms: ContractTermsView;
}

export interface SaleInputView {
  saleId: string;
  time: string;
  planner: string;
  page: string;
  kind: 'contribution' | 'page';
  contributions: { contribution: string; contributor: string; uses?: number }[];
  amount: number;
  currency: string;
  site: string;
  orderRef: string;
}

export interface SharesPort {
  setContract(planner: string, terms: unknown, opts?: { effectiveFrom?: string }): ContractView;
  contractAt(planner: string, time: string): ContractView | undefined;
  recordSale(input: SaleInputView): unknown;
  recordRefund(input: { refundId: string; saleId: string; time: string; kind: 'refund' | 'cancellation'; amount: number; currency: string; reason: string }): unknown;
  recordAcceptance(input: unknown): unknown;
}
