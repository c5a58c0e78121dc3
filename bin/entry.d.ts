// Types for bin/entry.js (plain JavaScript, so bin/aios.js runs before anything is built).
export declare function newestMtime(dir: string): number;
export declare function chooseEntry(root: string, force: string | undefined): { kind: "dist" | "src"; path: string; why: string };
