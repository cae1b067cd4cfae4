/**
 * Request bodies and queries of the HTTP routes (PROTOCOL.md, "HTTP"). Shared
 * with clients so a renamed field breaks their build, not a player.
 */
import { z } from "zod";
import { emailSchema, passwordSchema, usernameSchema } from "../domain/accounts/account-rules.js";

export const registerBody = z.strictObject({
  username: usernameSchema,
  email: emailSchema,
  password: passwordSchema,
});
export type RegisterBody = z.infer<typeof registerBody>;

export const loginBody = z.strictObject({
  login: z.string().min(1).max(254),
  password: z.string().min(1).max(256),
});
export type LoginBody = z.infer<typeof loginBody>;

const money = z.number().int().safe();

export const creditBody = z.strictObject({
  amount_bdt: money.refine((value) => value !== 0, "amount_bdt must not be zero"),
  reason: z.string().trim().min(1).max(200),
});
export type CreditBody = z.infer<typeof creditBody>;

/** Any subset of the admin config's fields; cross-field rules are checked on the merged row. */
export const adminConfigPatch = z
  .strictObject({
    world_seed: z.number().int().safe(),
    world_width: z.number().int().min(32).max(1_048_576),
    world_height: z.number().int().min(32).max(1_048_576),
    noise_frequency: z.number().positive().max(10),
    noise_octaves: z.number().int().min(1).max(8),
    noise_persistence: z.number().gt(0).lt(1),
    noise_lacunarity: z.number().gt(1).max(8),
    biome_forest_percent: z.number().min(0).max(1),
    biome_grassland_percent: z.number().min(0).max(1),
    biome_water_percent: z.number().min(0).max(1),
    biome_desert_percent: z.number().min(0).max(1),
    biome_snow_percent: z.number().min(0).max(1),
    base_land_price_bdt: z.number().int().positive().safe(),
    forest_multiplier: z.number().positive().max(1000),
    grassland_multiplier: z.number().positive().max(1000),
    water_multiplier: z.number().positive().max(1000),
    desert_multiplier: z.number().positive().max(1000),
    snow_multiplier: z.number().positive().max(1000),
    transaction_fee_percent: z.number().min(0).max(100),
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, "give at least one field to change");
export type AdminConfigPatch = z.infer<typeof adminConfigPatch>;

const limit = z.coerce.number().int().min(1).max(200).default(50);
const cursor = z.string().max(200).optional();

export const auditQuery = z.strictObject({
  category: z.enum(["land_transfer", "payment", "admin", "marketplace", "user", "system"]).optional(),
  actor_id: z.uuid().optional(),
  limit,
  cursor,
});
export type AuditQuery = z.infer<typeof auditQuery>;

export const pageQuery = z.strictObject({ limit, cursor });

/** A chunk index in a query string: a non-negative integer (chunks beyond the world simply hold no listings). */
const chunkIndex = (name: string) =>
  z
    .string()
    .regex(/^\d{1,7}$/, `${name} must be a non-negative integer`)
    .transform(Number);

export const LISTING_STATUSES = ["active", "sold", "expired", "cancelled"] as const;
export const LISTING_TYPES = ["fixed_price", "buy_now", "auction"] as const;
export type ListingStatus = (typeof LISTING_STATUSES)[number];
export type ListingType = (typeof LISTING_TYPES)[number];

/** `GET /listings`: active listings unless `status` says otherwise; `cx`/`cy` name a chunk and come together. */
export const listingsQuery = z
  .strictObject({
    status: z.enum(LISTING_STATUSES).default("active"),
    type: z.enum(LISTING_TYPES).optional(),
    cx: chunkIndex("cx").optional(),
    cy: chunkIndex("cy").optional(),
    seller_id: z.uuid("seller_id must be a UUID").optional(),
    limit,
    cursor,
  })
  .refine((query) => (query.cx === undefined) === (query.cy === undefined), {
    message: "give cx and cy together",
    path: ["cx"],
  });
export type ListingsQuery = z.infer<typeof listingsQuery>;

export const listingIdParams = z.strictObject({ listing_id: z.uuid("listing_id must be a UUID") });
export type PageQuery = z.infer<typeof pageQuery>;
