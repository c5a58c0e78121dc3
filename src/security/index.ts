/**
 * security/: identity (Ed25519 / hybrid ML-DSA-65 keys, rotation), signed capability tokens with
 * attenuating delegation, revocation and quotas, the token capability checker, the YAML policy
 * engine with approvals, encrypted secrets with a redactor, and taint tracking. The one public door.
 */
export { generateKey, publicRef, signWith, verifyWith, type KeyAlg, type KeyRecord, type PublicKeyRef, type Signature } from "./keys.js";
export { FileKeyStore, Identities, MemoryKeyStore, type KeyStore } from "./keystore.js";
export { decodeToken, encodeToken, tokenId, type Block, type Holder, type Scheme, type SignedBlock, type Token } from "./token.js";
export { TokenAuthority, type AuthorityOptions, type MintOptions, type VerifiedToken } from "./authority.js";
export { NonceCache, proveHolder, verifyPresentation, type Proof } from "./presentation.js";
export { RevocationList, TRACKED_CHAINS } from "./revocation.js";
export { WALLET_CACHE_ENTRIES } from "./wallet.js";
export { LEASES_PER_WALLET } from "./leases.js";
export { QuotaLedger } from "./quota.js";
export { TokenCapabilityChecker, type CheckCaller, type CheckerOptions } from "./checker.js";
export { explainDecision, judgeTokens, type Explanation, type TokenVerdict } from "./explain.js";
export { compilePolicy, PolicyDocSchema, type PolicyDoc } from "./policy-rules.js";
export { RulePolicyEngine, type PolicyCaller } from "./policy.js";
export { ApprovalQueue, type ApprovalRequest, type ApprovalStatus } from "./approvals.js";
export { Redactor, redactingLogger } from "./redact.js";
export { SecretStore, SECRET_REF } from "./secrets.js";
export { TaintTracker, TAINT_TAG, type TaintOptions } from "./taint.js";
export { TaintGuard, TaintGuardSchema, TAINT_GUARD_CATEGORIES, type TaintGuardCategory, type TaintGuardOptions } from "./taint-guard.js";
export { capSyscalls } from "./syscalls.js";
export { secretSyscalls, SecretName, SecretValue } from "./secret-syscalls.js";
export { Security, type SecurityOptions } from "./security.js";
export { securitySubsystem } from "./subsystem.js";
