import { z } from "zod";
import { invalidInput } from "../errors.js";
import type { AdminConfigPatch, AuditQuery } from "../protocol/http-schemas.js";
import { sql, withSerializableRetry, type DatabasePool } from "../db/database.js";
import { creditBalance } from "./balance-credits.js";
import { writeAudit } from "./audit-writer.js";
import { decodeCursor, paginate } from "./pagination.js";
import type { UsersRepository } from "./users-repository.js";
import { EDITABLE_CONFIG_FIELDS, type AdminConfigRow, type WorldConfigService } from "./world-config-service.js";
import type { AuthenticatedUser } from "./accounts-service.js";

const BIOME_FIELDS = [
  "biome_forest_percent",
  "biome_grassland_percent",
  "biome_water_percent",
  "biome_desert_percent",
  "biome_snow_percent",
] as const;

const auditRow = z.object({
  log_id: z.string(),
  event_type: z.string(),
  event_category: z.string(),
  actor_id: z.string().nullable(),
  actor_role: z.string().nullable(),
  resource_type: z.string().nullable(),
  resource_id: z.string().nullable(),
  action: z.string().nullable(),
  details: z.unknown(),
  status: z.string(),
  error_message: z.string().nullable(),
  amount_bdt: z.number().nullable(),
  created_at: z.string(),
});

// Two admins saving at once must not both build on the same "current" row.
const CONFIG_WRITE_LOCK = 7_264_901_114;

export function createAdminService(deps: { pool: DatabasePool; users: UsersRepository; config: WorldConfigService }) {
  const { pool, users, config } = deps;

  return {
    async getConfig(): Promise<AdminConfigRow> {
      return (await config.current()).row;
    },

    /**
     * Inserts a new config row built from the one in force and the patch, audited in the same transaction.
     * @throws AppError INVALID_INPUT when the merged config breaks a rule (biome shares must sum to 1).
     */
    async updateConfig(actor: AuthenticatedUser, patch: AdminConfigPatch): Promise<AdminConfigRow> {
      // SERIALIZABLE like the purchases that read the version in force: a
      // purchase decided under the old version then cannot commit after the new
      // version's chunks were built without it (see terrain-service.ts).
      const row = await withSerializableRetry(pool, async (tx) => {
        await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(${CONFIG_WRITE_LOCK})`);
        const previous = (await config.currentIn(tx)).row;
        const merged = { ...previous, ...patch };
        const biomeSum = BIOME_FIELDS.reduce((sum, field) => sum + merged[field], 0);
        if (Math.abs(biomeSum - 1) > 1e-9) {
          throw invalidInput(`biome percentages must sum to 1 (they sum to ${Number(biomeSum.toFixed(9))}).`);
        }
        const values = EDITABLE_CONFIG_FIELDS.map((field) => merged[field]);
        const inserted = await tx.one(sql.type(config.configRow)`
          INSERT INTO admin_config (${sql.join(
            EDITABLE_CONFIG_FIELDS.map((field) => sql.identifier([field])),
            sql.fragment`, `,
          )}, updated_by)
          VALUES (${sql.join(values, sql.fragment`, `)}, ${actor.userId})
          RETURNING config_id, version, world_seed, world_width, world_height, noise_frequency, noise_octaves,
                    noise_persistence, noise_lacunarity, biome_forest_percent, biome_grassland_percent,
                    biome_water_percent, biome_desert_percent, biome_snow_percent, base_land_price_bdt,
                    forest_multiplier, grassland_multiplier, water_multiplier, desert_multiplier, snow_multiplier,
                    transaction_fee_percent, created_at, updated_by`);
        const changed = Object.fromEntries(
          Object.keys(patch).map((field) => [
            field,
            { from: previous[field as keyof AdminConfigRow], to: inserted[field as keyof AdminConfigRow] },
          ]),
        );
        await writeAudit(tx, {
          eventType: "config_changed",
          category: "admin",
          actorId: actor.userId,
          actorRole: actor.role,
          resourceType: "admin_config",
          resourceId: inserted.config_id,
          action: "update_config",
          details: { version: inserted.version, previous_version: previous.version, changed },
        });
        return inserted;
      });
      await config.announce(row);
      return row;
    },

    /**
     * Credits (or, with a negative amount, debits) a user's balance, audited.
     * @throws AppError NOT_FOUND; INSUFFICIENT_FUNDS when a debit would go below the held amount.
     */
    credit(actor: AuthenticatedUser, userId: string, amountBdt: number, reason: string) {
      return creditBalance(pool, users, { id: actor.userId, role: actor.role }, userId, amountBdt, reason);
    },

    async listAudit(query: AuditQuery) {
      const cursor = decodeCursor(query.cursor);
      const conditions = [
        query.category ? sql.fragment`event_category = ${query.category}` : null,
        query.actor_id ? sql.fragment`actor_id = ${query.actor_id}` : null,
        cursor ? sql.fragment`(created_at, log_id) < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)` : null,
      ].filter((condition) => condition !== null);
      const where = conditions.length > 0 ? sql.fragment`WHERE ${sql.join(conditions, sql.fragment` AND `)}` : sql.fragment``;
      const rows = await pool.any(sql.type(auditRow)`
        SELECT log_id, event_type, event_category, actor_id, actor_role, resource_type, resource_id, action,
               details, status, error_message, amount_bdt, created_at
        FROM audit_logs ${where}
        ORDER BY created_at DESC, log_id DESC
        LIMIT ${query.limit + 1}`);
      const { page, nextCursor } = paginate(rows, query.limit, (row) => ({ createdAt: row.created_at, id: row.log_id }));
      return { entries: page, next_cursor: nextCursor };
    },
  };
}
export type AdminService = ReturnType<typeof createAdminService>;
