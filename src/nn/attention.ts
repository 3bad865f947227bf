// Causal multi-head self-attention as a module whose q, k, v and output projections are dense
// WeightLayers (children q, k, v, o): feedback alignment and DFA swap them like any dense layer,
// while the attention core between them (parameter-free) keeps its true backward. And the pre-LN
// transformer block, written as a layer list: x + attn(LN(x)), then x + MLP(LN(x)).
import { attention, attentionComposed } from '../autograd/sequence-ops.ts';
import type { Shape } from '../tensor/tensor.ts';
import type { Builder } from './builder.ts';
import type { LayerSpec } from './layer-kind.ts';
import { dense } from './layers.ts';
import { childPath, run, type Module } from './module.ts';

export interface AttentionOptions {
  heads: number;
  /** Queries see only keys at or before their position (default true). */
  causal?: boolean;
  /** Biases on the four projections (default false, as the PyTorch reference). */
  bias?: boolean;
  /** The fused attention op (default) or the same map composed from primitives. */
  fused?: boolean;
  init?: string;
}

export interface AttentionModule extends Module {
  readonly kind: 'attention';
  readonly heads: number;
}

function attentionOver(path: string, inShape: Shape, children: readonly Module[], o: AttentionOptions): AttentionModule {
  const causal = o.causal !== false;
  const core = o.fused === false ? attentionComposed : attention;
  const m: AttentionModule = {
    kind: 'attention',
    path,
    inShape,
    outShape: inShape,
    params: {},
    buffers: {},
    children,
    heads: o.heads,
    apply(x, ctx) {
      const [q, k, v, out] = m.children;
      return run(out, core(run(q, x, ctx), run(k, x, ctx), run(v, x, ctx), o.heads, causal), ctx);
    },
    withChildren: (kids) => attentionOver(path, inShape, kids, o),
  };
  return m;
}

/** Self-attention over x [T, dim]: children q, k, v, o, each a positionwise dense map dim → dim. */
export function attentionModule(path: string, inShape: Shape, b: Builder, o: AttentionOptions): AttentionModule {
  const d = inShape[inShape.length - 1];
  const proj = (name: string) => dense(childPath(path, name), inShape, d, b, { bias: o.bias === true, positionwise: true, init: o.init });
  return attentionOver(path, inShape, ['q', 'k', 'v', 'o'].map(proj), o);
}

export interface TransformerBlockOptions {
  heads: number;
  /** Hidden width of the MLP as a multiple of the model width (default 4). */
  mlp?: number;
  activation?: string;
  causal?: boolean;
  fused?: boolean;
}

/**
 * A pre-LN transformer block as layers: residual `attn` (layerNorm ln1, attention) and residual
 * `mlp` (layerNorm ln2, fc1 to mlp·dim, activation, fc2 back), each adding its input.
 */
export function transformerBlockLayers(dim: number, o: TransformerBlockOptions): LayerSpec[] {
  return [
    {
      type: 'residual',
      name: 'attn',
      layers: [
        { type: 'layerNorm', name: 'ln1' },
        { type: 'attention', heads: o.heads, causal: o.causal, fused: o.fused, name: 'self' },
      ],
    },
    {
      type: 'residual',
      name: 'mlp',
      layers: [
        { type: 'layerNorm', name: 'ln2' },
        { type: 'dense', units: (o.mlp ?? 4) * dim, positionwise: true, name: 'fc1' },
        { type: 'activation', fn: o.activation ?? 'gelu', name: 'act' },
        { type: 'dense', units: dim, positionwise: true, name: 'fc2' },
      ],
    },
  ];
}
