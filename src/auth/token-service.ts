import jwt from "jsonwebtoken";
import { unauthenticated } from "../errors.js";

/** The one algorithm we sign and accept; `none` and asymmetric confusion are refused. */
const ALGORITHM = "HS256" as const;

export interface TokenClaims {
  /** The user's id. */
  sub: string;
  username: string;
}

/** What a verified token says: its claims and when it stops being valid. */
export interface VerifiedToken extends TokenClaims {
  /** The token's `exp`, in epoch milliseconds. */
  expiresAtMs: number;
}

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/**
 * Signs and verifies the JWTs used by HTTP routes and every room's onAuth, so
 * both accept exactly the same tokens.
 */
export function createTokenService(settings: TokenSettings) {
  return {
    sign(claims: TokenClaims): string {
      return jwt.sign({ username: claims.username }, settings.secret, {
        algorithm: ALGORITHM,
        subject: claims.sub,
        issuer: settings.issuer,
        audience: settings.audience,
        expiresIn: settings.ttlSeconds,
      });
    },

    /**
     * @throws AppError UNAUTHENTICATED for a bad signature, another algorithm,
     * a missing or past `exp`, or the wrong `iss`/`aud`.
     */
    verify(token: string): VerifiedToken {
      let payload: string | jwt.JwtPayload;
      try {
        payload = jwt.verify(token, settings.secret, {
          algorithms: [ALGORITHM],
          issuer: settings.issuer,
          audience: settings.audience,
          clockTolerance: 5,
        });
      } catch (error) {
        const reason = error instanceof jwt.TokenExpiredError ? "The token has expired." : "The token is not valid.";
        throw unauthenticated(reason);
      }
      if (typeof payload === "string" || typeof payload.sub !== "string" || typeof payload.exp !== "number") {
        throw unauthenticated("The token is not valid.");
      }
      return { sub: payload.sub, username: String(payload.username ?? ""), expiresAtMs: payload.exp * 1000 };
    },
  };
}
export type TokenService = ReturnType<typeof createTokenService>;
