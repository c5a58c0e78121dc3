/**
 * agent.spawn: spawns a child agent through the kernel, as a child of the caller. Needs
 * `agent#spawn`. The child's capabilities (and those of any children it declares, for a supervisor
 * spec) must each be covered by one of the caller's (cap-subset.ts): delegation only attenuates.
 * The refusal names the first capability the parent cannot give.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { firstUncovered } from "./cap-subset.js";
import { parseSpec } from "./kernel-seam.js";
import { defineTool, eraseTool, type AnyTool } from "./tool.js";

const Input = z.strictObject({ spec: z.record(z.string(), z.unknown()) });

interface SpecCaps {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly children?: readonly SpecCaps[] | undefined;
}

function allCapabilities(spec: SpecCaps, out: { name: string; cap: string }[] = []): { name: string; cap: string }[] {
  for (const cap of spec.capabilities) out.push({ name: spec.name, cap });
  for (const c of spec.children ?? []) allCapabilities(c, out);
  return out;
}

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
        if (ctx.spawn === undefined) throw new AiosError("E_TOOL", "agent.spawn needs a kernel (install toolsPlugin)");
        const spec = parseSpec(a.spec, "args.spec");
        for (const { name, cap } of allCapabilities(spec)) {
          const extra = firstUncovered(ctx.caller.capabilities, [cap]);
          if (extra !== undefined) {
            throw new AiosError("E_CAP_DENIED", `agent.spawn: ${name} cannot get "${extra}": ${ctx.caller.name} holds no capability that covers it`, {
              details: { capability: extra, child: name, path: "args.spec.capabilities", resource: extra, action: "delegate" },
            });
          }
        }
        return { id: await ctx.spawn(spec, ctx.caller.agent) };
      },
    }),
  );
}
