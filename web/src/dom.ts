/** Tiny DOM helpers: the client is small enough not to need a framework. */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === "text") element.textContent = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

/** A short notice in the corner, read out by screen readers. */
export function toast(text: string, kind: "info" | "error" | "success" = "info", timeoutMs = kind === "error" ? 9000 : 5000): void {
  const box = byId("toasts");
  // The same notice again replaces the old one, and only the newest few stay, so they never bury the page.
  for (const old of Array.from(box.children)) if (old.textContent === text) old.remove();
  while (box.children.length >= MAX_TOASTS) box.firstElementChild?.remove();
  const item = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  box.append(item);
  setTimeout(() => item.remove(), timeoutMs);
}

const MAX_TOASTS = 3;

/**
 * Runs a long operation with its button disabled and showing progress, and
 * reports a failure in words. Returns the result, or undefined on failure.
 */
export async function withProgress<T>(
  button: HTMLButtonElement | null,
  busyLabel: string,
  operation: () => Promise<T>,
  onError: (error: unknown) => void,
): Promise<T | undefined> {
  const label = button?.textContent ?? "";
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), ` ${busyLabel}`);
  }
  try {
    return await operation();
  } catch (error) {
    onError(error);
    return undefined;
  } finally {
    if (button && button.isConnected) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
    }
  }
}
