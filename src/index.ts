/**
 * AIOS — an operating system for AI agents. The SDK entry point:
 *   import { boot } from "aios";
 *   const os = await boot({ dataDir: ".aios" });
 */
export * from "./abi/index.js";
export * from "./capability/index.js";
export * from "./kernel/index.js";
export * from "./core/index.js";
// The full boot (with the embedded default stack) shadows the kernel's bare one.
export { boot, AiosSystem, defaultPlugins, type BootOptions, type SubsystemOptions, type Subsystems } from "./sdk/index.js";
