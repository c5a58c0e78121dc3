/**
 * AIOS — an operating system for AI agents. The SDK entry point:
 *   import { boot } from "aios";
 *   const os = await boot({ dataDir: ".aios" });
 */
export * from "./abi/index.js";
export * from "./capability/index.js";
export * from "./kernel/index.js";
export * from "./core/index.js";
export * from "./sdk/index.js";
