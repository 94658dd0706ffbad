/** Row types of the paid service's tables (migration 0013_billing; docs/design/billing.md). */

export interface BillingOffersTable {
  version: string;
  text: string;
  published_at: string;
}
export interface BillingRegionPricesTable {
  id: string;
  region_id: string;
  /** 'YYYY-MM': the first billing month the price applies to */
  effective_month: string;
  price_kopecks: number;
  created_at: string;
}
export interface BillingInstitutionPricesTable {
  id: string;
  institution_id: string;
  effective_month: string;
  price_kopecks: number;
  created_at: string;
}
export interface SubscriptionPeriodsTable {
  id: string;
  subscription_id: string;
  start_date: string;
  /** inclusive; null while the subscription runs */
  end_date: string | null;
  offer_version: string;
  created_at: string;
}
export type BillingRunStatus = 'draft' | 'reviewed' | 'approved';
export interface BillingRunsTable {
  id: string;
  period: string;
  region_id: string;
  institution_id: string | null;
  scope_key: string;
  status: BillingRunStatus;
  line_count: number;
  total_kopecks: number;
  computed_at: string;
  reviewed_at: string | null;
  reviewed_by: string | null;
  approved_at: string | null;
  approved_by: string | null;
  created_at: string;
}
export interface BillingLinesTable {
  id: string;
  run_id: string;
  line_key: string;
  kind: 'charge' | 'adjustment';
  /** the billing month of the run the line belongs to */
  period: string;
  subscription_id: string;
  child_id: string;
  child_name: string;
  payer_person_id: string;
  payer_name: string;
  institution_id: string;
  institution_name: string;
  account_number: string;
  from_date: string;
  to_date: string;
  days: number;
  month_days: number;
  price_kopecks: number;
  amount_kopecks: number;
  note: string | null;
}
export interface BillingAdjustmentsTable {
  id: string;
  subscription_id: string;
  for_period: string;
  amount_kopecks: number;
  reason: string;
  created_at: string;
  created_by: string | null;
}
export interface PaymentImportsTable {
  id: string;
  region_id: string;
  file_name: string;
  status: 'imported' | 'rejected';
  line_count: number;
  imported_count: number;
  duplicate_count: number;
  total_kopecks: number;
  /** JSON array of {line, column, message} */
  errors: string;
  created_at: string;
  created_by: string | null;
}
export interface PaymentsTable {
  id: string;
  import_id: string;
  line_no: number;
  account_number: string;
  period: string;
  amount_kopecks: number;
  paid_date: string;
  dedupe_key: string;
  created_at: string;
}

export interface BillingTables {
  billing_offers: BillingOffersTable;
  billing_region_prices: BillingRegionPricesTable;
  billing_institution_prices: BillingInstitutionPricesTable;
  subscription_periods: SubscriptionPeriodsTable;
  billing_runs: BillingRunsTable;
  billing_lines: BillingLinesTable;
  billing_adjustments: BillingAdjustmentsTable;
  payment_imports: PaymentImportsTable;
  payments: PaymentsTable;
}
