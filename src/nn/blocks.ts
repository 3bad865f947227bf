// A plain stack cut into blocks at its weight layers: rules that learn layer by layer (local
// losses, target propagation, PEPITA's per-layer activities) see a network as this chain.
import { SpecError } from '../errors.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Model } from './model.ts';
import { run, type ForwardOptions, type Module } from './module.ts';
import { isWeightLayer, type WeightLayer } from './weight-layer.ts';

export interface LayerBlock {
  /** The block's weight layer: its first module. */
  readonly layer: WeightLayer;
  /** The layer and the modules after it, up to the next weight layer. */
  readonly modules: readonly Module[];
  /**
   * How many of `modules`, from the layer on, keep the layer's output shape: the output of the
   * last of them (after its norm and activation, before pooling or flattening) is the layer's activity.
   */
  readonly activityDepth: number;
}

export interface LayerChain {
  /** Parameter-free modules before the first weight layer. */
  readonly prefix: readonly Module[];
  readonly blocks: readonly LayerBlock[];
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The model's top-level sequence as blocks, one per weight layer. A module with parameters that
 * is nested in a container (a residual block) has no place in such a chain: `rule` refuses the
 * model, with a SpecError naming the module path and what is supported.
 */
export function layerBlocks(model: Model, rule: string): LayerChain {
  const top = model.root.kind === 'sequential' ? model.root.children : [model.root];
  const all = model.modules();
  const supported = 'a plain stack: dense/conv layers with activations, norms, pooling, dropout and flatten in one top-level sequence';
  for (const m of all) {
    if (Object.keys(m.params).length && !top.includes(m)) {
      const parent = all.find((p) => p.children.includes(m))!;
      throw new SpecError(
        `${rule}: the module at "${m.path}" has parameters inside the ${parent.kind} at "${parent.path}"; ${rule} learns layer by layer, so it supports ${supported}`,
      );
    }
  }
  const prefix: Module[] = [];
  const blocks: Array<{ layer: WeightLayer; modules: Module[]; activityDepth: number }> = [];
  for (const m of top) {
    if (isWeightLayer(m)) blocks.push({ layer: m, modules: [m], activityDepth: 1 });
    else if (blocks.length) {
      const b = blocks[blocks.length - 1];
      if (b.activityDepth === b.modules.length && sameShape(m.outShape, b.layer.outShape)) b.activityDepth++;
      b.modules.push(m);
    } else if (Object.keys(m.params).length) {
      throw new SpecError(
        `${rule}: the module at "${m.path}" (${m.kind}) has parameters before the first weight layer; ${rule} supports ${supported}`,
      );
    } else prefix.push(m);
  }
  if (!blocks.length) throw new SpecError(`${rule}: the model has no dense or conv layer`);
  return { prefix, blocks };
}

/** Apply `modules` in order (through `run`, so ops carry their paths). */
export function runModules(modules: readonly Module[], x: Tensor, opts: ForwardOptions & { params: readonly Tensor[] }): Tensor {
  let h = x;
  for (const m of modules) h = run(m, h, opts);
  return h;
}

/** Indices (in the model's flat list) of the parameters of `modules`, in order. */
export function paramIndices(modules: readonly Module[]): number[] {
  const out: number[] = [];
  const visit = (m: Module) => {
    for (const s of Object.values(m.params)) out.push(s.index);
    m.children.forEach(visit);
  };
  modules.forEach(visit);
  return [...new Set(out)];
}
