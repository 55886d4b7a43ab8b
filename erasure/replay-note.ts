import type { RunQuery } from '../audits/runner.js';

/**
 * What replay cannot re-derive because an erasure removed it: raw copies received in [from, to) that
 * a receipt lists (re-derivation reads raw_payloads, where they no longer are), and quarantined bodies
 * removed by receipts (they are no longer pending).
 */
export async function erasedInRange(query: RunQuery, from: string, to: string): Promise<{ deliveries: number; receipts: string[] }> {
  const rows = await query(
    `SELECT count() AS deliveries, groupUniqArray(erasure_id) AS receipts
     FROM (SELECT erasure_id, arrayJoin(delivery_ids) AS delivery_id FROM ine_audit.erasures)
     WHERE delivery_id IN (SELECT delivery_id FROM ine_audit.ledger_leaves
                           WHERE received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')})`,
    { from, to },
  );
  return { deliveries: Number(rows[0]?.deliveries ?? 0), receipts: (rows[0]?.receipts as string[] | undefined) ?? [] };
}

export async function quarantineErasures(query: RunQuery): Promise<{ bodies: number; receipts: number }> {
  const rows = await query("SELECT sum(rows_removed['quarantine']) AS bodies, countIf(rows_removed['quarantine'] > 0) AS receipts FROM ine_audit.erasures");
  return { bodies: Number(rows[0]?.bodies ?? 0), receipts: Number(rows[0]?.receipts ?? 0) };
}
