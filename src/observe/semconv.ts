/**
 * Every span attribute name AIOS writes, in one module. The `gen_ai.*`, `error.*` and `server.*`
 * names follow the OpenTelemetry semantic conventions (GenAI spans, incubating); a unit test checks
 * them against a vendored copy of the registry entries (tests/observe/fixtures/semconv-registry.json,
 * taken from @opentelemetry/semantic-conventions 1.45.0's incubating exports). Names of our own are
 * under `aios.` and are exempt. Kept as plain strings (the incubating entry point is large and its
 * names may change between minor versions: the OTel docs recommend copying the ones you use).
 */
export const ATTR = {
  OPERATION_NAME: "gen_ai.operation.name",
  PROVIDER_NAME: "gen_ai.provider.name",
  AGENT_ID: "gen_ai.agent.id",
  AGENT_NAME: "gen_ai.agent.name",
  AGENT_VERSION: "gen_ai.agent.version",
  CONVERSATION_ID: "gen_ai.conversation.id",
  REQUEST_MODEL: "gen_ai.request.model",
  REQUEST_MAX_TOKENS: "gen_ai.request.max_tokens",
  REQUEST_TEMPERATURE: "gen_ai.request.temperature",
  RESPONSE_MODEL: "gen_ai.response.model",
  RESPONSE_FINISH_REASONS: "gen_ai.response.finish_reasons",
  RESPONSE_TIME_TO_FIRST_CHUNK: "gen_ai.response.time_to_first_chunk",
  USAGE_INPUT_TOKENS: "gen_ai.usage.input_tokens",
  USAGE_OUTPUT_TOKENS: "gen_ai.usage.output_tokens",
  TOOL_NAME: "gen_ai.tool.name",
  TOOL_TYPE: "gen_ai.tool.type",
  TOOL_CALL_ID: "gen_ai.tool.call.id",
  DATA_SOURCE_ID: "gen_ai.data_source.id",
  ERROR_TYPE: "error.type",
} as const;

/** The `gen_ai.operation.name` values we use (well-known values of the registry). */
export const OPERATION = {
  CHAT: "chat",
  EXECUTE_TOOL: "execute_tool",
  INVOKE_AGENT: "invoke_agent",
  CREATE_AGENT: "create_agent",
  RETRIEVAL: "retrieval",
} as const;

/** AIOS's own attributes. */
export const AIOS_ATTR = {
  TENANT: "aios.tenant",
  SYSCALL: "aios.syscall",
  DECISION: "aios.decision",
  SANDBOX: "aios.tool.sandbox",
  COST: "aios.cost.credits",
  BACKEND: "aios.model.backend",
  MEMORY_OP: "aios.memory.op",
  MEMORY_HITS: "aios.memory.hits",
  MEMORY_TYPE: "aios.memory.type",
  CHILD_AGENT_ID: "aios.agent.child_id",
  STATUS: "aios.agent.status",
  /** On a PlanCreate's span: the plan it created. */
  PLAN_ID: "aios.plan.id",
  /** On a message's handling span: "request" (the sender awaits a reply) or "send". */
  MESSAGE_KIND: "aios.message.kind",
  /** On a market span: the market task (`<planId>/<taskId>/<attempt>[/rN]`). */
  MARKET_TASK: "aios.market.task_id",
  /** Micro-credits, as a decimal string (a bigint): a post's budget, a bid's or an award's price. */
  MARKET_BUDGET: "aios.market.budget",
  MARKET_PRICE: "aios.market.price",
  /** A bid's self-declared quality (0..1). */
  MARKET_QUALITY: "aios.market.quality",
  /** The worker an award names. */
  MARKET_WORKER: "aios.market.worker",
  /** The tasks an award call awarded (0: nobody bid). */
  MARKET_AWARDS: "aios.market.awards",
  /** What a market call did to the escrow: "reserve" (award), "post" (accept) or "void" (reject). */
  ESCROW: "aios.ledger.escrow",
  /** The escrow's pending transfer (`task:<market task>`). */
  ESCROW_RESERVATION: "aios.ledger.reservation",
  /** On a critic's span: its verdict, score and the threshold it held the score against. */
  CRITIC_ACCEPT: "aios.critic.accept",
  CRITIC_SCORE: "aios.critic.score",
  CRITIC_THRESHOLD: "aios.critic.threshold",
} as const;

export const SPAN = {
  invokeAgent: (name: string): string => `${OPERATION.INVOKE_AGENT} ${name}`,
  chat: (model: string): string => `${OPERATION.CHAT} ${model}`,
  executeTool: (tool: string): string => `${OPERATION.EXECUTE_TOOL} ${tool}`,
  createAgent: (name: string): string => `${OPERATION.CREATE_AGENT} ${name}`,
  memory: (op: string): string => `memory ${op}`,
  /** Planning: the goal turned into a validated task graph (the GenAI conventions name no such operation). */
  plan: (op: string): string => `plan ${op}`,
  /** A market step (post, bid, refuse, award, done, fail, verdict): Contract Net and its escrow. */
  market: (op: string): string => `market ${op}`,
  /** The critic's judgement of a result. */
  criticJudge: "critic judge",
  /** A recipient's handling of one message that carried trace context. */
  handle: (agent: string): string => `handle ${agent}`,
} as const;

/**
 * The start attributes Tracing gives the spans of every agent step, each as one object literal with
 * its keys written out (a literal of constant keys is made from its boilerplate in one step; one of
 * computed keys, or attributes set one by one, is a keyed store per attribute). The keys are the
 * ATTR / AIOS_ATTR names above: tests/observe/semconv.test.ts checks that they are.
 */
export const START = {
  invokeAgent: (agent: string, name: string, tenant: string) => ({
    "gen_ai.operation.name": OPERATION.INVOKE_AGENT, "gen_ai.agent.id": agent, "gen_ai.agent.name": name, "aios.tenant": tenant,
  }),
  chat: (model: string, syscall: string) => ({
    "gen_ai.operation.name": OPERATION.CHAT, "gen_ai.request.model": model, "aios.syscall": syscall, "aios.decision": "allowed",
  }),
  executeTool: (tool: string, syscall: string) => ({
    "gen_ai.operation.name": OPERATION.EXECUTE_TOOL, "gen_ai.tool.name": tool, "gen_ai.tool.type": "function", "aios.syscall": syscall, "aios.decision": "allowed",
  }),
} as const;
