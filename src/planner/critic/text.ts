/**
 * Text helpers shared by the deterministic checks and the scripted judge: content words (lowercased,
 * stop words dropped, a light suffix strip so "reports"/"reported" meet "report"), numbers as they
 * are written, negations, sentence splitting and citation markers `[id]`.
 */

const STOP = new Set(
  "a an the and or but of to in on at for with by from as is are was were be been being it its this that these those which who whom what when where why how than then there their they them he she his her we our you your i me my not no never also into over under about after before between during per via if so such can could may might will would shall should do does did done has have had".split(" "),
);
const NEGATIONS = new Set(["not", "no", "never", "none", "cannot", "without", "neither", "nor", "n't", "isn't", "aren't", "wasn't", "doesn't", "don't", "didn't", "won't"]);

export function stem(w: string): string {
  for (const suf of ["ing", "ed", "es", "s"]) if (w.length > suf.length + 2 && w.endsWith(suf)) return w.slice(0, -suf.length);
  return w;
}

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9][a-z0-9'.-]*[a-z0-9]|[a-z0-9]/g) ?? [];
}

export function contentWords(text: string): string[] {
  return words(text).filter((w) => !STOP.has(w) && !/^[0-9.,-]+$/.test(w)).map(stem);
}

export function numbers(text: string): string[] {
  return (text.match(/-?\d+(?:[.,]\d+)*%?/g) ?? []).map((n) => n.replace(/,/g, ""));
}

export function hasNegation(text: string): boolean {
  return words(text).some((w) => NEGATIONS.has(w) || w.endsWith("n't"));
}

export function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter((s) => s.length > 0);
}

export function citations(text: string): string[] {
  return [...text.matchAll(/\[([A-Za-z0-9_.:-]+)\]/g)].map((m) => m[1] ?? "");
}
