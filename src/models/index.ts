/**
 * models/: model providers (OpenAI-compatible, Anthropic Messages, local GGUF, replay), their
 * configuration, the router (policies, fallback, circuit breakers, retries, accounting), the context
 * manager, the LlmInvoke syscall and the LLM agent program (`kind: llm`). Public surface: this file.
 */
import "./events.js";
export type { ModelProvider, ChatMessage, ChatRequest, ChatResult, ChatOptions, ChatDelta, ToolSchema, ToolCallRequest, Usage, FinishReason } from "./types.js";
export { ChatMessageSchema, ToolSchemaSchema } from "./types.js";
export { OpenAIProvider, type OpenAIOptions } from "./openai.js";
export { AnthropicProvider, type AnthropicOptions } from "./anthropic.js";
export { LocalProvider, renderPrompt, type LocalOptions, type LocalStats } from "./local.js";
export { ReplayProvider, ReplayTurnSchema, type ReplayOptions, type ReplayTurnInput } from "./replay.js";
export { MAX_TOOL_ARGS_DEPTH } from "./wire.js";
export { parseModelsConfig, createProvider, ModelsConfigSchema, ModelEntrySchema, RouteSchema, type ModelsConfig, type ModelsConfigInput, type ModelEntry, type Route } from "./config.js";
export { ModelRouter, type RouterOptions, type RouteCall, type RoutedResult, type BackoffOptions } from "./router.js";
export { CircuitBreaker, type BreakerState, type BreakerOptions } from "./breaker.js";
export { Accounting, costOf, type Price, type UsageTotals } from "./accounting.js";
export { fitContext, summaryPrompt, type OverflowStrategy, type WindowOptions, type Fitted } from "./context.js";
export { estimateTokens, promptTokens, type TokenCounter } from "./tokens.js";
export { llmInvokeSyscall, type LlmInvokeArgs, type LlmInvokeResult } from "./llm-syscall.js";
export { llmAgentLogic, type LlmAgentDeps, type LlmAnswer } from "./llm-agent.js";
export { LlmStateSchema, restoreState, snapshotState, type LlmState } from "./llm-state.js";
export { compileOutputSchema, parseJsonAnswer } from "./output-schema.js";
export { modelsSubsystem, runLlm, type ModelsService, type ModelsSubsystemOptions, type ToolCatalog, type AgentHost } from "./subsystem.js";
