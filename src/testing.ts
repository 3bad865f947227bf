// 'rulebench/testing': what a rule or op author checks their work with — the conformance suite
// every learning rule must pass, and gradient checks against finite differences.

// The rule conformance suite: determinism, shapes, no mutation, finite numbers, learning, exact resume
export {
  checkConformance,
  refusal,
  CONFORMANCE_MODELS,
  type ConformanceCheck,
  type ConformanceOptions,
  type ConformanceArchitecture,
} from './runner/conformance.ts';

// Gradient checks: reverse mode (gradcheck, vjpCheck) and forward mode (jvpCheck) against finite differences
export {
  gradcheck,
  vjpCheck,
  jvpCheck,
  type GradcheckOptions,
  type GradcheckResult,
  type VjpCheckResult,
  type JvpCheckResult,
  type JvpCheckOptions,
} from './autograd/gradcheck.ts';
