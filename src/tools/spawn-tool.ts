/**
 * agent.spawn: spawns a child agent through the kernel, as a child of the caller. Needs
 * `agent#spawn`; the kernel applies the one attenuation rule (capability/'s checkSpecTree) to the
 * whole spec tree against the caller's live authority: capabilities covered, tenant unchanged unless
 * granted, budget carved from the caller's. The refusal names the node and the capability.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { inheritTenant, parseSpec } from "./kernel-seam.js";
import { defineTool, eraseTool, type AnyTool } from "./tool.js";

const Input = z.strictObject({ spec: z.record(z.string(), z.unknown()) });

export function spawnTool(): AnyTool {
  return eraseTool(
    defineTool({
      name: "agent.spawn",
      description: "Spawn a child agent whose capabilities are a subset of the caller's.",
      input: Input,
      output: z.object({ id: z.string() }),
      sideEffect: true,
      requires: () => [{ resource: "agent", action: "spawn" }],
      async execute(a, ctx) {
        if (ctx.spawn === undefined) throw new AiosError("E_TOOL", "agent.spawn needs a kernel (build toolsSubsystem into it)");
        return { id: await ctx.spawn(parseSpec(inheritTenant(a.spec, ctx.caller.tenant), "args.spec")) };
      },
    }),
  );
}
