// CEP: patterns over each key's events (src/cep/pattern.ts), the NFA that runs them (nfa.ts) and the DSL operator (cep.ts).
export { pattern, Pattern, PatternError, type AfterMatchSkip, type Condition, type ConditionContext, type Contiguity, type PatternOptions } from "./pattern.ts";
export { Nfa, type Match, type NfaState, type NfaResult, type TimedOutMatch } from "./nfa.ts";
export { cep, type CepOptions, type CepStreams } from "./cep.ts";
export { nfaStateSerde } from "./state-serde.ts";
