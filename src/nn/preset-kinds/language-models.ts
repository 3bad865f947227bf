// Language-model presets over token ids [T]: a GPT-style transformer and a recurrent LM, each
// ending in a positionwise head to the vocabulary (no bias, as the PyTorch reference; tied to the
// embedding table when asked, Press & Wolf 2017).
import { SpecError } from '../../errors.ts';
import { anything, optional } from '../../fields.ts';
import type { LayerSpec } from '../layer-kind.ts';
import { bool, int, oneOf } from '../layer-checks.ts';
import { definePreset, type PresetSpecOf } from '../preset-kind.ts';

function lmHead(tie: boolean | undefined): Extract<LayerSpec, { type: 'dense' }> {
  return tie
    ? { type: 'dense', positionwise: true, bias: false, tie: 'embed', name: 'head' }
    : { type: 'dense', positionwise: true, bias: false, name: 'head' };
}

/** A causal LM: embedding (+ positions), `blocks` pre-LN blocks, a final LayerNorm, the head. */
export const transformerPreset = definePreset({
  name: 'transformer',
  fields: {
    /** Default 2. */
    blocks: optional(int(1), 2),
    /** Model width (default 64). */
    dim: optional(int(1), 64),
    /** Default 4. */
    heads: optional(int(1), 4),
    /** MLP width as a multiple of dim (default 4; checked by the block). */
    mlp: optional(anything<number>()),
    /** The head reads the embedding table (weight tying). */
    tie: optional(bool),
    /** The fused attention op (default) or attention composed from primitives. */
    fused: optional(bool),
  },
  layers({ blocks, dim, heads, mlp, tie, fused }, { outputs: vocab }) {
    if (dim % heads !== 0) throw new SpecError(`model.heads: ${heads} heads do not divide dim ${dim}`);
    const body = Array.from({ length: blocks }, (_, i): LayerSpec => ({ type: 'transformerBlock', heads, mlp, fused, name: `block${i}` }));
    return [
      { type: 'embedding', dim, vocab, name: 'embed' },
      ...body,
      { type: 'layerNorm', name: 'norm' },
      { ...lmHead(tie), units: vocab },
    ];
  },
});

/** A recurrent LM: embedding (no positions), an Elman RNN or a GRU, the head. */
export const rnnPreset = definePreset({
  name: 'rnn',
  fields: {
    cell: optional(oneOf(['elman', 'gru']), 'gru'),
    /** Default 128. */
    hidden: optional(int(1), 128),
    /** Embedding width (default 32). */
    dim: optional(int(1), 32),
    tie: optional(bool),
  },
  layers({ cell, hidden, dim, tie }, { outputs: vocab }) {
    // A tied head maps hidden states back through the table: it needs them as wide as the embedding.
    if (tie && hidden !== dim) throw new SpecError(`model.tie: a tied head needs hidden (${hidden}) equal to dim (${dim})`);
    return [
      { type: 'embedding', dim, vocab, positions: false, name: 'embed' },
      { type: 'rnn', cell, hidden, name: 'rnn' },
      tie ? lmHead(true) : { ...lmHead(false), units: vocab },
    ];
  },
});

export type TransformerSpec = PresetSpecOf<typeof transformerPreset>;
export type RecurrentSpec = PresetSpecOf<typeof rnnPreset>;
