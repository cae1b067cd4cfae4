import express, { type Application, type NextFunction, type Request, type Response, type Router } from "express";
import { AppError, toErrorBody } from "../errors.js";
import { isConnectionFailure } from "../db/database.js";
import { ErrorCode } from "../protocol/error-codes.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../services/metrics.js";

/**
 * Mounts the JSON API on the express app Colyseus shares its port with: body
 * limits, request metrics, the routers, and one error handler that turns every
 * failure into the contract's `{error: {code, message}}` and hides 5xx details.
 */
export function mountHttpApi(
  app: Application,
  deps: { routers: Router[]; logger: Logger; metrics: Metrics; bodyLimitBytes: number },
): void {
  app.disable("x-powered-by");
  app.set("query parser", "simple");

  app.use((request, response, next) => {
    const started = process.hrtime.bigint();
    response.on("finish", () => {
      const route = (request.route?.path as string | undefined) ?? "unmatched";
      deps.metrics.httpDuration
        .labels(request.method, route, String(response.statusCode))
        .observe(Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });

  app.use(express.json({ limit: deps.bodyLimitBytes, strict: true }));
  for (const router of deps.routers) app.use(router);

  app.use((request: Request, response: Response) => {
    response.status(404).json({
      error: { code: ErrorCode.NOT_FOUND, message: `No route for ${request.method} ${request.path}.` },
    });
  });

  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    if (error instanceof AppError) {
      if (error.code === ErrorCode.RATE_LIMITED && typeof error.details?.retryAfterSeconds === "number") {
        response.setHeader("Retry-After", String(error.details.retryAfterSeconds));
      }
      response.status(error.httpStatus).json({ error: error.toBody() });
      return;
    }
    const bodyError = error as { type?: unknown; status?: unknown; statusCode?: unknown };
    if (bodyError.type === "entity.too.large") {
      response.status(413).json({
        error: { code: ErrorCode.INVALID_INPUT, message: `The body is larger than ${deps.bodyLimitBytes} bytes.` },
      });
      return;
    }
    // The body parser and router reject what they cannot read with a 4xx
    // http-error: bad JSON, an unsupported charset or encoding, a compressed
    // body that does not decompress (a zlib error, which carries no `type`),
    // a malformed %-escape in the path. All are the client's: 400.
    const clientStatus = typeof bodyError.status === "number" ? bodyError.status : bodyError.statusCode;
    if (typeof clientStatus === "number" && clientStatus >= 400 && clientStatus < 500) {
      const message =
        bodyError.type === "entity.parse.failed" ? "The body is not valid JSON." : "The request could not be read (its body, encoding or path is malformed).";
      response.status(400).json({ error: { code: ErrorCode.INVALID_INPUT, message } });
      return;
    }
    const body = toErrorBody(error);
    const unavailable = isConnectionFailure(error);
    if (!unavailable) deps.logger.error({ err: error, method: request.method, path: request.path }, "request failed");
    response
      .status(unavailable ? 503 : 500)
      .json({ error: unavailable ? { code: ErrorCode.UNAVAILABLE, message: "A dependency is unavailable; try again." } : body });
  });
}
