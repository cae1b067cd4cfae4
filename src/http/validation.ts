import type { z } from "zod";
import { invalidInput } from "../errors.js";

/** Describes the first few problems of a failed parse in one sentence. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "body";
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

/**
 * Parses untrusted input.
 * @throws AppError INVALID_INPUT naming the fields at fault.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidInput(describeIssues(parsed.error));
  return parsed.data;
}
