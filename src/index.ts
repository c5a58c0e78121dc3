/**
 * AIOS — an operating system for AI agents. The SDK entry point:
 *   import { boot } from "aios";
 *   const os = await boot({ dataDir: ".aios" });
 */
export * from "./kernel/index.js";
export * from "./core/index.js";
