import { Router, type NextFunction, type Request, type Response } from "express";
import { listingIdParams, listingsQuery, pageQuery } from "../../protocol/http-schemas.js";
import type { AccountsService } from "../../services/accounts-service.js";
import type { ListingsQueryService } from "../../services/listings-query-service.js";
import { currentUser, requireUser } from "../auth-middleware.js";
import { PRIVATE_NO_STORE } from "../cache-control.js";
import { parseInput } from "../validation.js";

/** Listings change with every bid: always revalidate. */
const PUBLIC_REVALIDATE = "no-cache";

/**
 * Authentication is optional, but a token that is sent must be valid: an
 * `Authorization` header that fails is a 401, never a silent anonymous view.
 */
function optionalUser(accounts: AccountsService) {
  const required = requireUser(accounts);
  return async (request: Request, response: Response, next: NextFunction) => {
    if (request.headers.authorization === undefined) {
      next();
      return;
    }
    await required(request, response, next);
  };
}

/** The marketplace's read side (docs/MARKET.md, "Reading the market (HTTP)"). */
export function marketRoutes(deps: { accounts: AccountsService; listingsQuery: ListingsQueryService }): Router {
  const { accounts, listingsQuery: listings } = deps;
  const router = Router();

  router.get("/listings", async (request, response) => {
    const query = parseInput(listingsQuery, request.query);
    response.set("Cache-Control", PUBLIC_REVALIDATE).json(await listings.listListings(query));
  });

  router.get("/listings/:listing_id", optionalUser(accounts), async (request, response) => {
    const { listing_id } = parseInput(listingIdParams, request.params);
    const answer = await listings.getListing(listing_id, request.user?.userId);
    response.set({ "Cache-Control": PRIVATE_NO_STORE, Vary: "Authorization" }).json(answer);
  });

  router.get("/me/transactions", requireUser(accounts), async (request, response) => {
    const query = parseInput(pageQuery, request.query);
    response.set("Cache-Control", PRIVATE_NO_STORE).json(await listings.myTransactions(currentUser(request).userId, query));
  });

  router.get("/me/notifications", requireUser(accounts), async (request, response) => {
    const query = parseInput(pageQuery, request.query);
    response.set("Cache-Control", PRIVATE_NO_STORE).json(await listings.myNotifications(currentUser(request).userId, query));
  });

  return router;
}
