import { sql, type DatabaseTransactionConnection } from "../db/database.js";

export const AUDIT_CATEGORIES = ["land_transfer", "payment", "admin", "marketplace", "user", "system"] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];

export interface AuditEntry {
  eventType: string;
  category: AuditCategory;
  actorId: string | null;
  actorRole: string | null;
  resourceType?: string;
  resourceId?: string;
  action: string;
  details?: Record<string, unknown>;
  status?: "success" | "failure";
  errorMessage?: string;
  amountBdt?: number;
}

/**
 * Appends one audit row inside the caller's transaction, so the record and the
 * change it describes commit or roll back together. The only writer of
 * `audit_logs`.
 */
export async function writeAudit(tx: DatabaseTransactionConnection, entry: AuditEntry): Promise<void> {
  await tx.query(sql.unsafe`
    INSERT INTO audit_logs (event_type, event_category, actor_id, actor_role, resource_type, resource_id,
                            action, details, status, error_message, amount_bdt)
    VALUES (${entry.eventType}, ${entry.category}, ${entry.actorId}, ${entry.actorRole},
            ${entry.resourceType ?? null}, ${entry.resourceId ?? null}, ${entry.action},
            ${entry.details ? sql.jsonb(entry.details as never) : null}, ${entry.status ?? "success"},
            ${entry.errorMessage ?? null}, ${entry.amountBdt ?? null})`);
}
