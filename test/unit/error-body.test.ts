import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { AppError, toErrorBody } from "../../src/errors.js";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { freePort } from "../helpers/processes.js";

describe("the error body a client gets", () => {
  it("is UNAVAILABLE (try again), not INTERNAL, when Redis stayed unreachable for all of a command's retries", async () => {
    const port = await freePort(); // nothing listens there
    const redis = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    redis.on("error", () => undefined);
    const error = await redis.get("any-key").catch((caught: unknown) => caught);
    redis.disconnect();
    expect((error as Error).name).toBe("MaxRetriesPerRequestError");
    expect(toErrorBody(error).code).toBe(ErrorCode.UNAVAILABLE);
  });

  it("keeps an expected rejection's own code and hides anything unexpected as INTERNAL", () => {
    expect(toErrorBody(new AppError(ErrorCode.NOT_OWNER, "Only the owner may do that."))).toEqual({ code: "NOT_OWNER", message: "Only the owner may do that." });
    expect(toErrorBody(new TypeError("x is undefined"))).toEqual({ code: "INTERNAL", message: "Something went wrong on the server." });
  });
});
