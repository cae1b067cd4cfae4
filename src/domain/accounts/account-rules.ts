/**
 * What a username, an email and a password must be. Pure rules shared by the
 * HTTP schemas and the admin command line.
 */
import { z } from "zod";

/** 3–32 of [A-Za-z0-9_]: ASCII only, so look-alike Unicode names cannot impersonate. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_]{3,32}$/;
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

export const usernameSchema = z
  .string()
  .regex(USERNAME_PATTERN, "username must be 3–32 letters, digits or underscores (A–Z, a–z, 0–9, _)");

/**
 * Emails are kept as typed but compared case-insensitively. Control
 * characters, spaces and non-ASCII are refused: the address is an identifier
 * here, and look-alike characters would let two accounts share one inbox name.
 */
export const emailSchema = z
  .string()
  .max(254, "email is too long")
  .regex(/^[\x21-\x7e]+$/, "email must be plain ASCII without spaces")
  .pipe(z.email("email is not a valid address"));

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `password must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `password must be at most ${PASSWORD_MAX_LENGTH} characters`)
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "password must not contain control characters");

export const ROLES = ["user", "admin", "moderator", "system"] as const;
export type Role = (typeof ROLES)[number];
