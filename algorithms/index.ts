// The built-in registry: every rule shipped with rulebench. Loaded by path like a user file.
import { registerRule, type AnyRule } from '../src/core.ts';
import { backprop } from './backprop.ts';
import { cmaEs } from './cma-es.ts';
import { directFeedbackAlignment } from './direct-feedback-alignment.ts';
import { equilibriumPropagation } from './equilibrium-propagation.ts';
import { evolutionStrategies } from './evolution-strategies.ts';
import { feedbackAlignment } from './feedback-alignment.ts';
import { forwardForward } from './forward-forward.ts';
import { forwardGradient } from './forward-gradient.ts';
import { gumbelSoftmax } from './gumbel-softmax.ts';
import { kolenPollack } from './kolen-pollack.ts';
import { mezo } from './mezo.ts';
import { pepita } from './pepita.ts';
import { predictiveCoding } from './predictive-coding.ts';
import { reinforce } from './reinforce.ts';
import { straightThrough } from './straight-through.ts';
import { syntheticGradients } from './synthetic-gradients.ts';
import { targetPropagation } from './target-propagation.ts';
import { weightMirroring } from './weight-mirroring.ts';

export const BUILTIN_RULES: AnyRule[] = [
  backprop,
  feedbackAlignment,
  directFeedbackAlignment,
  forwardForward,
  syntheticGradients,
  mezo,
  straightThrough,
  reinforce,
  gumbelSoftmax,
  kolenPollack,
  weightMirroring,
  forwardGradient,
  pepita,
  targetPropagation,
  predictiveCoding,
  equilibriumPropagation,
  evolutionStrategies,
  cmaEs,
];
for (const r of BUILTIN_RULES) registerRule(r);

export {
  backprop,
  feedbackAlignment,
  directFeedbackAlignment,
  forwardForward,
  syntheticGradients,
  mezo,
  straightThrough,
  reinforce,
  gumbelSoftmax,
  kolenPollack,
  weightMirroring,
  forwardGradient,
  pepita,
  targetPropagation,
  predictiveCoding,
  equilibriumPropagation,
  evolutionStrategies,
  cmaEs,
};
