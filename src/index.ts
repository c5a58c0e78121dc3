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
// Defining a tool is the first thing a user extends the OS with: at the top level too (issue #11.3).
export { defineTool, type Tool, type ToolContext } from "./tools/index.js";
