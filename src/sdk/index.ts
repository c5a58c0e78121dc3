/** sdk/: the composition root (the one boot, the default stack) and the one SDK facade. */
export { boot, type BootOptions } from "./boot.js";
export { Aios, type Subsystems, type Unsubscribe } from "./aios.js";
export { defaultStack, type SubsystemOptions } from "./subsystems.js";
export { stack, wired, Stack } from "./stack.js";
export { readConfigFile, type ConfigFile } from "./config-file.js";
