import { hash, verify } from "@node-rs/argon2";

// Algorithm.Argon2id of @node-rs/argon2 (a const enum, which isolated modules cannot read).
const ARGON2ID = 2;

/** argon2id with OWASP's minimum (19 MiB, t=2, p=1) unless configured higher. */
export function createPasswordHasher(memoryKib: number) {
  const options = { algorithm: ARGON2ID, memoryCost: memoryKib, timeCost: 2, parallelism: 1 };
  // Verifying against this when the account does not exist keeps login timing
  // the same for unknown users and wrong passwords.
  const dummyHash = hash("no-such-user-password", options);
  return {
    hash: (password: string) => hash(password, options),
    async verify(passwordHash: string | null, password: string): Promise<boolean> {
      try {
        return await verify(passwordHash ?? (await dummyHash), password);
      } catch {
        return false;
      }
    },
  };
}
export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
