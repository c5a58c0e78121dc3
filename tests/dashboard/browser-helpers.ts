/**
 * Helpers for the dashboard's browser tests: Debian's chromium through playwright-core (CI installs
 * it with scripts/ci-deps.sh; a missing browser fails the test, it is never skipped), axe with the
 * WCAG 2.2 A and AA rule tags, and a keyboard walk that tabs through a page and reports every
 * control it did not reach or reached without a visible focus indicator.
 */
import { AxeBuilder } from "@axe-core/playwright";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
}

/** axe violations on the page as "rule: target" lines (empty when clean). */
export async function axeViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return r.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact ?? "?"}): ${n.target.join(" ")} — ${v.help}`));
}

export interface KeyboardWalk {
  /** Focusable controls never reached by Tab. */
  readonly unreached: string[];
  /** Controls reached whose focus had neither an outline nor a box shadow. */
  readonly invisible: string[];
  readonly reached: number;
}

/**
 * Presses Tab until focus comes back round (or `max` presses), recording each focused element and
 * whether it is drawn with a focus indicator; compares with every visible, enabled control.
 */
// In-page code is passed as source text (the project compiles without the DOM library) and runs
// through page.evaluate, which the page's CSP does not restrict. A focusin listener records each
// focus as Tab moves it, so the walk costs one round trip per key press and one at the end.
const TAG_CONTROLS = `(() => {
  let n = 0;
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])")) el.dataset.kbd = String(n++);
  window.__focusLog = [];
  document.addEventListener("focusin", (ev) => {
    const el = ev.target;
    const s = getComputedStyle(el);
    const visible = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
    window.__focusLog.push({ id: el.dataset.kbd || "untagged:" + el.tagName, visible, label: el.tagName.toLowerCase() + " " + JSON.stringify((el.textContent || "").trim().slice(0, 40) || el.getAttribute("name") || "") });
  });
  if (document.activeElement) document.activeElement.blur();
  return n;
})()`;
const CONTROLS = `({ log: window.__focusLog, all: Array.from(document.querySelectorAll("[data-kbd]"))
  .filter((el) => el.offsetParent !== null && !el.disabled && el.closest("dialog:not([open])") === null)
  .map((el) => ({ id: el.dataset.kbd, label: el.tagName.toLowerCase() + " " + JSON.stringify((el.textContent || "").trim().slice(0, 40) || el.getAttribute("name") || "") })) })`;

interface Focused {
  readonly id: string;
  readonly visible: boolean;
  readonly label: string;
}

export async function keyboardWalk(page: Page): Promise<KeyboardWalk> {
  const controls = await page.evaluate<number>(TAG_CONTROLS);
  for (let i = 0; i < controls + 1; i++) await page.keyboard.press("Tab");
  const { log, all } = await page.evaluate<{ log: Focused[]; all: { id: string; label: string }[] }>(CONTROLS);
  const seen = new Set(log.map((f) => f.id));
  const invisible = [...new Set(log.filter((f) => !f.visible).map((f) => f.label))];
  return { unreached: all.filter((a) => !seen.has(a.id)).map((a) => a.label), invisible, reached: seen.size };
}
