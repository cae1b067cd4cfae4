/** Answers that depend on who asks (own bid maxima, own history, own lands, private chat) must not sit in a shared cache. */
export const PRIVATE_NO_STORE = "private, no-store";
