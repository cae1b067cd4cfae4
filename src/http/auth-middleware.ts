import type { NextFunction, Request, Response } from "express";
import { forbidden, unauthenticated } from "../errors.js";
import type { AccountsService, AuthenticatedUser } from "../services/accounts-service.js";

declare module "express-serve-static-core" {
  interface Request {
    user?: AuthenticatedUser;
  }
}

/** Reads `Authorization: Bearer <JWT>`; the token must verify and its user must still exist. */
export function requireUser(accounts: AccountsService) {
  return async (request: Request, _response: Response, next: NextFunction) => {
    const header = request.headers.authorization ?? "";
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!match) throw unauthenticated("Send Authorization: Bearer <token>.");
    request.user = await accounts.authenticate(match[1]!);
    next();
  };
}

/** Only the `admin` role passes; checked against the database, not the token. */
export function requireAdmin(accounts: AccountsService) {
  const userCheck = requireUser(accounts);
  return async (request: Request, response: Response, next: NextFunction) => {
    await userCheck(request, response, () => undefined);
    if (request.user?.role !== "admin") throw forbidden("Only administrators may do that.");
    next();
  };
}

/** The authenticated user set by {@link requireUser}. */
export function currentUser(request: Request): AuthenticatedUser {
  if (!request.user) throw unauthenticated();
  return request.user;
}
