/** Types of echo.mjs, the durable echo agent of the store figures. */
import type { AgentLogic } from "../../src/abi/index.js";

export declare const echo: AgentLogic<number, unknown>;
