#!/usr/bin/env node
// The `aios` command: runs the TypeScript CLI through tsx's ESM loader, so `npx aios` needs no build.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
