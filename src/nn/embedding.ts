// Token embedding as a module: token ids [T] (carried as float values in the batch) become
// vectors [T, dim] by a table lookup, plus a learned position vector per position when asked
// (GPT's absolute positions). The table [vocab, dim] is what a tied LM head reads back.
import { add } from '../autograd/ops.ts';
import { gather, tokenIds } from '../autograd/sequence-ops.ts';
import type { Shape } from '../tensor/tensor.ts';
import type { Builder } from './builder.ts';
import { leaf, param, type Module, type Slot } from './module.ts';

export interface EmbeddingOptions {
  vocab: number;
  dim: number;
  /** A learned vector per position, added to the token's (default true). */
  positions?: boolean;
  init?: string;
}

export interface EmbeddingModule extends Module {
  readonly kind: 'embedding';
  readonly vocab: number;
  /** The token table slot [vocab, dim] (weight tying reuses it). */
  readonly table: Slot;
}

export function isEmbedding(m: Module): m is EmbeddingModule {
  return m.kind === 'embedding';
}

export function embedding(path: string, inShape: Shape, b: Builder, o: EmbeddingOptions): EmbeddingModule {
  const t = inShape[0];
  const scheme = o.init ?? b.init;
  const token = b.param(`${path}.token`, [o.vocab, o.dim], { kind: 'weight', scheme });
  const params: Record<string, Slot> = { token };
  if (o.positions !== false) params.position = b.param(`${path}.position`, [t, o.dim], { kind: 'weight', scheme });
  const m: EmbeddingModule = {
    ...leaf({
      kind: 'embedding',
      path,
      inShape,
      outShape: [t, o.dim],
      params,
      apply(x, ctx) {
        const n = x.shape[0];
        const e = gather(param(m, 'token', ctx), tokenIds(`embedding at "${path}"`, x, o.vocab), [n, t]);
        return params.position ? add(e, param(m, 'position', ctx)) : e;
      },
    }),
    kind: 'embedding',
    vocab: o.vocab,
    table: token,
  };
  // leaf() returns itself from withChildren; keep that true of the extended object.
  return Object.assign(m, { withChildren: () => m });
}
