/** sdk/: the composition root and the full SDK facade (boot with the embedded default stack). */
export { boot, type BootOptions } from "./boot.js";
export { AiosSystem } from "./system.js";
export { defaultPlugins, type SubsystemOptions, type Subsystems } from "./subsystems.js";
