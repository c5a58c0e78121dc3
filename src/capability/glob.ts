/**
 * Resource globs for capabilities: `*` matches within one path segment, `**` across segments, `?` one
 * non-`/` character. Besides matching, attenuation needs *containment*: "does every resource the child
 * glob names also match the parent glob?". globCovers answers that conservatively — a `true` is always
 * sound (the child's language is a subset of the parent's); some exotic true subsets answer `false`,
 * which only makes delegation stricter, never wider.
 */

type Tok = { readonly k: "lit"; readonly c: string } | { readonly k: "star" } | { readonly k: "dstar" } | { readonly k: "q" };

function tokenize(glob: string): Tok[] {
  const out: Tok[] = [];
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        out.push({ k: "dstar" });
        i++;
      } else out.push({ k: "star" });
    } else if (ch === "?") out.push({ k: "q" });
    else out.push({ k: "lit", c: ch });
  }
  return out;
}

const regexCache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  const hit = regexCache.get(glob);
  if (hit !== undefined) return hit;
  let re = "";
  for (const t of tokenize(glob)) {
    if (t.k === "dstar") re += ".*";
    else if (t.k === "star") re += "[^/]*";
    else if (t.k === "q") re += "[^/]";
    else re += t.c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  const r = new RegExp(`^${re}$`, "s");
  if (regexCache.size < 10_000) regexCache.set(glob, r);
  return r;
}

export function globMatch(glob: string, value: string): boolean {
  return globToRegExp(glob).test(value);
}

/** True when every string matched by `child` is matched by `parent` (sound, conservative). */
export function globCovers(parent: string, child: string): boolean {
  if (parent === child) return true;
  const p = tokenize(parent);
  const c = tokenize(child);
  const memo = new Map<number, boolean>();
  // covers(i, j): child tokens c[j..] are covered by parent tokens p[i..].
  const covers = (i: number, j: number): boolean => {
    const key = i * (c.length + 1) + j;
    const m = memo.get(key);
    if (m !== undefined) return m;
    let r: boolean;
    const pt = p[i];
    const ct = c[j];
    if (pt === undefined) r = ct === undefined;
    else if (pt.k === "dstar") {
      // `**` absorbs any child token (including `/`, `*`, `**`), or nothing.
      r = covers(i + 1, j) || (ct !== undefined && covers(i, j + 1));
    } else if (pt.k === "star") {
      // `*` absorbs child tokens that can never produce `/`.
      const absorbable = ct !== undefined && (ct.k === "star" || ct.k === "q" || (ct.k === "lit" && ct.c !== "/"));
      r = covers(i + 1, j) || (absorbable && covers(i, j + 1));
    } else if (ct === undefined) r = false;
    else if (pt.k === "q") r = (ct.k === "q" || (ct.k === "lit" && ct.c !== "/")) && covers(i + 1, j + 1);
    else r = ct.k === "lit" && ct.c === pt.c && covers(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return covers(0, 0);
}
