/**
 * Colyseus calls a room's `"*"` handler as `(client, type, message)` for every
 * type that has no handler of its own. A client that names its message's type
 * `"*"` reaches the same handler as a registered type instead, called
 * `(client, message, context)`, where the context carries `resolve`/`reject`
 * functions that no decoded message can hold. This recovers the type and the
 * message in both cases, so such a message is answered with its own `req`
 * like any other unknown type.
 */
export function wildcardMessage(typeOrMessage: unknown, messageOrContext: unknown): { type: string; message: unknown } {
  const context = messageOrContext as { resolve?: unknown; reject?: unknown } | null | undefined;
  if (typeof context === "object" && context !== null && typeof context.resolve === "function" && typeof context.reject === "function") {
    return { type: "*", message: typeOrMessage };
  }
  return { type: String(typeOrMessage), message: messageOrContext };
}
