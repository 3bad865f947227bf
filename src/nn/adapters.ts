// Adapters as spec vocabulary: `adapters: { kind: 'lora', rank, alpha, layers }` freezes a model's
// parameters and trains low-rank adapters on the chosen dense layers (attention projections
// included). The adapted model's parameter list holds the adapters only, so every rule trains
// exactly them without knowing it (MeZO perturbs them, backprop differentiates them, ...); the
// frozen tensors are closed over by the modules that use them and counted as 'frozen' memory.
import { SpecError } from '../errors.ts';
import { isRecord, show } from '../fields.ts';
import { ledger } from '../tensor/ledger.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { frozenWeightLayer, loraDense } from './lora.ts';
import { Model } from './model.ts';
import { leaf, mapModules, type Module, type Slot } from './module.ts';
import { isWeightLayer, type WeightLayer } from './weight-layer.ts';

export interface AdapterSpec {
  kind: 'lora';
  /** Rank r of the update BA (A [r, in], B [out, r]). */
  rank: number;
  /** The update is scaled by alpha / rank (default alpha = rank: scale 1). */
  alpha?: number;
  /** Paths of the dense layers to adapt, `*` matching within one dotted segment (default: every dense layer). */
  layers?: string[];
}

const KINDS = ['lora'];
const KEYS = ['kind', 'rank', 'alpha', 'layers'];

/** Check an adapters spec at `at` (one SpecError naming the field). */
export function parseAdapters(v: unknown, at = 'adapters'): AdapterSpec {
  if (!isRecord(v)) throw new SpecError(`${at}: expected { kind: 'lora', rank, alpha?, layers? }, got ${show(v)}`);
  const extra = Object.keys(v).find((k) => !KEYS.includes(k));
  if (extra !== undefined) throw new SpecError(`${at}.${extra}: unknown key; accepted: ${KEYS.join(', ')}`);
  if (!KINDS.includes(v.kind as string))
    throw new SpecError(`${at}.kind: expected one of ${KINDS.map((k) => `'${k}'`).join(', ')}, got ${show(v.kind)}`);
  if (!Number.isInteger(v.rank) || (v.rank as number) < 1) throw new SpecError(`${at}.rank: expected an integer ≥ 1, got ${show(v.rank)}`);
  if (v.alpha !== undefined && !(typeof v.alpha === 'number' && Number.isFinite(v.alpha) && v.alpha > 0))
    throw new SpecError(`${at}.alpha: expected a positive number (the update is scaled by alpha / rank), got ${show(v.alpha)}`);
  if (v.layers !== undefined) {
    if (!Array.isArray(v.layers) || v.layers.length === 0)
      throw new SpecError(
        `${at}.layers: expected a non-empty array of dense layer paths ('*' matches within a segment), got ${show(v.layers)}`,
      );
    v.layers.forEach((p, i) => {
      if (typeof p !== 'string' || !p) throw new SpecError(`${at}.layers[${i}]: expected a layer path, got ${show(p)}`);
    });
  }
  return v as unknown as AdapterSpec;
}

const matcher = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^.]*')}$`,
  );

/** The dense layers `spec` adapts, each pattern checked against the model (one SpecError naming it). */
function chosenLayers(model: Model, spec: AdapterSpec, at: string): Set<string> {
  const weights = model.weightLayers();
  const dense = weights.filter((l) => l.kind === 'dense');
  if (!spec.layers) {
    if (!dense.length)
      throw new SpecError(`${at}: the model has no dense layer to adapt (LoRA adapts dense layers, attention projections included)`);
    return new Set(dense.map((l) => l.path));
  }
  const out = new Set<string>();
  spec.layers.forEach((pattern, i) => {
    const re = matcher(pattern);
    const hit = weights.filter((l) => re.test(l.path));
    const other = hit.find((l) => l.kind !== 'dense');
    if (other)
      throw new SpecError(
        `${at}.layers[${i}]: "${other.path}" is a ${other.kind} layer; LoRA adapters go on dense layers (attention projections included)`,
      );
    if (!hit.length)
      throw new SpecError(
        `${at}.layers[${i}]: "${pattern}" matches no dense layer; the model's dense layers: ${dense.map((l) => l.path).join(', ')}`,
      );
    for (const l of hit) out.add(l.path);
  });
  return out;
}

/** A module whose parameters are frozen: the same forward at `frozen` (the base parameters), no parameters of its own. */
function frozenModule(m: Module, frozen: readonly Tensor[]): Module {
  if (m.children.length) throw new SpecError(`adapters: module "${m.path}" (${m.kind}) holds parameters and children; it cannot be frozen`);
  return leaf({
    kind: m.kind,
    path: m.path,
    inShape: m.inShape,
    outShape: m.outShape,
    buffers: m.buffers,
    apply: (x, ctx) => m.apply(x, { ...ctx, params: frozen }),
  });
}

/**
 * `model` with its parameters `base` frozen and adapters on the layers `spec` chooses: the adapted
 * model, whose parameter list is the adapters' (draw them with its `init`). The base tensors are
 * recounted as 'frozen' and must outlive the adapted model.
 */
export function withAdapters(model: Model, base: readonly Tensor[], spec: AdapterSpec, at = 'adapters'): Model {
  const chosen = chosenLayers(model, spec, at);
  for (const t of base) ledger().recategorize(t.entry, 'frozen');
  const slots: Slot[] = [];
  const slot = (path: string, shape: number[], init: Slot['init']): Slot => {
    const s = { index: slots.length, path, shape, init };
    slots.push(s);
    return s;
  };
  const scale = (spec.alpha ?? spec.rank) / spec.rank;
  const root = mapModules(model.root, (m) => {
    if (isWeightLayer(m) && chosen.has(m.path)) {
      const w = m.params.weight;
      const [out, features] = w.shape;
      return loraDense(m as WeightLayer, {
        base: { weight: base[w.index], bias: m.params.bias ? base[m.params.bias.index] : null, slot: w },
        // Hu et al. 2021: A Gaussian, B zero, so training starts from the base model exactly.
        a: slot(`${m.path}.loraA`, [spec.rank, features], { kind: 'weight', scheme: 'xavierNormal' }),
        b: slot(`${m.path}.loraB`, [out, spec.rank], { kind: 'constant', value: 0 }),
        scale,
      });
    }
    if (isWeightLayer(m)) return frozenWeightLayer(m, base[m.params.weight.index], m.params.bias ? base[m.params.bias.index] : null);
    return Object.keys(m.params).length ? frozenModule(m, base) : m;
  });
  return new Model(root, slots, model.buffers, model.inputShape, base);
}

/** The adapted weight layers of a model (LoRA's: a derived weight and parameters of their own), in forward order. */
export const adaptedLayers = (model: Model): WeightLayer[] =>
  model.weightLayers().filter((l) => l.derived !== undefined && Object.keys(l.params).length > 0);

/**
 * Refuse an adapted model for a rule not defined on adapters (its check calls this): one
 * SpecError naming the rule, the first adapted layer and why.
 */
export function refuseAdapters(rule: string, model: Model, why: string): void {
  const l = adaptedLayers(model)[0];
  if (l) throw new SpecError(`${rule}: not defined for adapters (layer "${l.path}" is LoRA-adapted): ${why}`);
}
