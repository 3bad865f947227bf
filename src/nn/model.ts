// The sequential model: a stack of dense blocks z = W·h + b → [LayerNorm] → activation →
// [dropout]. Parameters live outside the model in one flat array (so rules, optimizers and
// alignment all index them the same way); the forward pass exposes every block's
// pre-activation and activation and lets a caller replace a block's linear map, activation or
// input transform — which is how rules change a layer's backward pass (via customVjp).
import { SpecError } from '../errors.ts';
import { noGrad } from '../autograd/functional.ts';
import { add } from '../autograd/ops.ts';
import { withLayer } from '../autograd/tape.ts';
import { ledger } from '../tensor/ledger.ts';
import { full, type Tensor } from '../tensor/tensor.ts';
import type { Rng } from '../random.ts';
import { activation as expressionActivation, activationByName, ACTIVATION_NAMES, type Activation } from './activations.ts';
import { dropout } from './dropout.ts';
import { initByName } from './init.ts';
import { linear } from './layers.ts';
import { layerNorm } from './norm.ts';

export interface ModelSpec {
  /** Layer widths, input first, output last, e.g. [784, 256, 256, 10]. */
  sizes: number[];
  /** Hidden activation: a built-in name or an expression in x such as "x * sigmoid(x)". */
  activation?: string;
  /** Weight init scheme (biases start at zero). */
  init?: string;
  /** LayerNorm after each hidden linear map. */
  layerNorm?: boolean;
  /** Dropout probability after each hidden activation (training only). */
  dropout?: number;
  /** Residual connections: hidden blocks whose width is unchanged add their input. */
  residual?: boolean;
}

export interface Block {
  readonly index: number;
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly hidden: boolean;
  readonly activation: Activation;
  /** Indices into the flat parameter array. */
  readonly weight: number;
  readonly bias: number;
  readonly norm: { gain: number; shift: number } | null;
}

export interface ForwardOptions {
  training?: boolean;
  /** Stream for dropout masks (required when training with dropout). */
  rng?: Rng;
  /** Replace a block's linear map (e.g. a customVjp with a feedback matrix). */
  linear?: (block: Block, h: Tensor, w: Tensor, b: Tensor) => Tensor;
  /** Replace a block's activation (e.g. a stochastic unit with an estimator). */
  activation?: (block: Block, z: Tensor) => Tensor;
  /** Transform a block's input first (e.g. stop the gradient, normalize its length). */
  input?: (block: Block, h: Tensor) => Tensor;
  /** Stop after this many blocks (default: all). */
  blocks?: number;
}

export interface ForwardResult {
  out: Tensor;
  /** Per block: the input it received (after `input`), its pre-activation and its activation. */
  inputs: Tensor[];
  pre: Tensor[];
  post: Tensor[];
}

const isName = (s: string) => /^[A-Za-z]+$/.test(s);

function resolveActivation(a: string): Activation {
  return isName(a) ? activationByName(a) : expressionActivation(a);
}

export class Model {
  readonly spec: Required<ModelSpec>;
  readonly blocks: readonly Block[];
  readonly paramNames: readonly string[];
  /** Block index of each parameter. */
  readonly paramBlock: readonly number[];

  constructor(spec: ModelSpec) {
    const sizes = spec.sizes;
    if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
      throw new SpecError(`model.sizes: expected at least two positive integers (input … output), got ${JSON.stringify(sizes)}`);
    }
    const dropoutP = spec.dropout ?? 0;
    if (!(dropoutP >= 0 && dropoutP < 1)) throw new SpecError(`model.dropout: expected a probability in [0, 1), got ${dropoutP}`);
    this.spec = { activation: 'relu', init: 'heUniform', layerNorm: false, dropout: 0, residual: false, ...spec };
    let hiddenAct: Activation;
    try {
      hiddenAct = resolveActivation(this.spec.activation);
    } catch (e) {
      throw new SpecError(`model.activation: ${(e as Error).message} (names: ${ACTIVATION_NAMES.join(', ')})`);
    }
    initByName(this.spec.init); // validates the name early
    const blocks: Block[] = [];
    const names: string[] = [];
    const owner: number[] = [];
    const addParam = (name: string, block: number) => {
      names.push(name);
      owner.push(block);
      return names.length - 1;
    };
    for (let i = 0; i + 1 < sizes.length; i++) {
      const hidden = i + 2 < sizes.length;
      const name = `layer${i}`;
      const weight = addParam(`${name}.weight`, i);
      const bias = addParam(`${name}.bias`, i);
      const norm = hidden && this.spec.layerNorm ? { gain: addParam(`${name}.norm.gain`, i), shift: addParam(`${name}.norm.shift`, i) } : null;
      blocks.push({
        index: i, name, inFeatures: sizes[i], outFeatures: sizes[i + 1], hidden,
        activation: hidden ? hiddenAct : activationByName('identity'), weight, bias, norm,
      });
    }
    this.blocks = blocks;
    this.paramNames = names;
    this.paramBlock = owner;
  }

  get inputSize(): number {
    return this.spec.sizes[0];
  }

  get outputSize(): number {
    return this.spec.sizes[this.spec.sizes.length - 1];
  }

  /** Parameter shapes in the flat order. */
  paramShapes(): number[][] {
    const shapes: number[][] = [];
    for (const b of this.blocks) {
      shapes.push([b.outFeatures, b.inFeatures], [b.outFeatures]);
      if (b.norm) shapes.push([b.outFeatures], [b.outFeatures]);
    }
    return shapes;
  }

  /** Fresh parameters from `rng`, counted by the ledger as 'param' until released. */
  init(rng: Rng): Tensor[] {
    const init = initByName(this.spec.init);
    return ledger.withCategory('param', () =>
      noGrad(() => {
        const params: Tensor[] = [];
        for (const b of this.blocks) {
          params.push(init([b.outFeatures, b.inFeatures], rng.child(`${b.name}.weight`)), full([b.outFeatures], 0));
          if (b.norm) params.push(full([b.outFeatures], 1), full([b.outFeatures], 0));
        }
        return params;
      }),
    );
  }

  /** Apply one block to h. */
  block(i: number, params: readonly Tensor[], h: Tensor, opts: ForwardOptions = {}): { input: Tensor; pre: Tensor; post: Tensor } {
    const b = this.blocks[i];
    return withLayer(b.name, () => {
      const input = opts.input ? opts.input(b, h) : h;
      const w = params[b.weight];
      const bias = params[b.bias];
      let z = opts.linear ? opts.linear(b, input, w, bias) : linear(input, w, bias);
      if (b.norm) z = layerNorm(z, params[b.norm.gain], params[b.norm.shift]);
      let a = opts.activation ? opts.activation(b, z) : b.activation.fn(z);
      if (b.hidden && this.spec.dropout > 0 && opts.training) {
        if (!opts.rng) throw new SpecError(`model.forward: dropout in training needs an rng (layer ${b.name})`);
        a = dropout(a, this.spec.dropout, opts.rng.child(b.name));
      }
      if (this.spec.residual && b.hidden && b.inFeatures === b.outFeatures) a = add(a, input);
      return { input, pre: z, post: a };
    });
  }

  forward(params: readonly Tensor[], x: Tensor, opts: ForwardOptions = {}): ForwardResult {
    if (params.length !== this.paramNames.length) {
      throw new SpecError(`model.forward: got ${params.length} parameters, the model has ${this.paramNames.length}`);
    }
    if (x.rank !== 2 || x.shape[1] !== this.inputSize) {
      throw new SpecError(`model.forward: input must be [batch, ${this.inputSize}], got [${x.shape.join(', ')}]`);
    }
    const n = Math.min(opts.blocks ?? this.blocks.length, this.blocks.length);
    const res: ForwardResult = { out: x, inputs: [], pre: [], post: [] };
    let h = x;
    for (let i = 0; i < n; i++) {
      const r = this.block(i, params, h, opts);
      res.inputs.push(r.input);
      res.pre.push(r.pre);
      res.post.push(r.post);
      h = r.post;
    }
    res.out = h;
    return res;
  }
}
