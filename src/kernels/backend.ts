// The kernel interface: every numeric loop the core runs goes through one of these calls,
// so a faster backend (WASM SIMD) can swap in behind the reference TypeScript one.

/** Two 32-bit words naming one counter-based noise stream (./noise.ts). */
export type NoiseKey = readonly [number, number];

/** Standard normal, ±1, or standard logistic (ln u − ln(1 − u), the Gumbel-softmax's binary noise). */
export type NoiseKind = 'gaussian' | 'rademacher' | 'logistic';

/** What bernoulliSigmoid writes beside the sample: σ′(a) = σ(1 − σ), or the score h − σ = ∂ log p(h | a)/∂a. */
export type BernoulliAux = 'slope' | 'score';

/** Storage of a tensor. Float32 always, except inside `withFloat64` (gradient checks). */
export type Buf = Float32Array | Float64Array;

export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'softplus'
  | 'sqrt'
  | 'square'
  | 'abs'
  | 'sign'
  | 'step'
  | 'gelu'
  | 'geluGrad'
  | 'reciprocal'
  | 'sin'
  | 'cos';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'pow' | 'gt';

export type ReduceOp = 'sum' | 'max' | 'mean';

/**
 * A sliding window over NCHW images (convolution and pooling): input [n, c, h, w], window
 * kh×kw, stride sh×sw, zero padding ph×pw, output spatial size oh×ow.
 */
export interface WindowGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  oh: number;
  ow: number;
}

/** A floating-point format as the kernels round to it (the formats themselves: ../precision/formats.ts). */
export interface RoundingTarget {
  /** Explicit mantissa (trailing significand) bits. */
  readonly mantissa: number;
  /** Exponent of the smallest normal value. */
  readonly minExp: number;
  /** Largest finite value. */
  readonly max: number;
  /** Overflow (and ±∞) goes to ±max rather than ±∞. */
  readonly saturate: boolean;
}

/**
 * What fingerprint() reads off a buffer: a 32-bit hash of its bits and the sums of |x| and x²,
 * each over four lanes (lane l the elements i ≡ l mod 4, in order) combined in order at the end,
 * so every backend gives the same numbers.
 */
export interface Fingerprint {
  bits: number;
  abs: number;
  squares: number;
}

/** Entries the call flushed to zero (nonzero before) and out of range (rounded above the largest finite value, or ±∞ already). */
export interface RoundingCounts {
  flushed: number;
  saturated: number;
}

/**
 * The host's access to storage on a backend that keeps a device copy (docs/webgpu.md,
 * Residency): 'read' brings a device-only value back to the host; 'write' does that and marks
 * the device copy stale, since the host may change it. Storage the backend does not track is
 * left alone.
 */
export type HostSync = (buf: Buf, mode: 'read' | 'write') => void;

export interface Backend {
  readonly name: string;
  /**
   * Present only on backends whose kernels leave results on a device (WebGPU): every host read
   * or write of tensor storage goes through it (Tensor.data). Absent elsewhere, at no cost.
   */
  readonly sync?: HostSync;
  /**
   * Fresh storage of n elements: zero-filled, or with `zero` false of unspecified contents (for
   * an output a kernel overwrites entirely; a backend may hand out zeros anyway).
   */
  alloc(n: number, zero?: boolean): Buf;
  /** Give storage from alloc() back (optional: backends without manual memory ignore it). */
  free?(buf: Buf): void;
  /** out[m,n] = op(A)[m,k] · op(B)[k,n]; A is [m,k] (or [k,m] if transA), B is [k,n] (or [n,k] if transB). */
  matmul(a: Buf, b: Buf, out: Buf, m: number, n: number, k: number, transA: boolean, transB: boolean): void;
  /** out = op(a, b) with numpy broadcasting; shapes are already validated and out is sized for outShape. */
  binary(op: BinaryOp, a: Buf, aShape: readonly number[], b: Buf, bShape: readonly number[], out: Buf, outShape: readonly number[]): void;
  /** out = op(a) elementwise; `alpha` parameterizes leaky ops (leaky relu slope). */
  unary(op: UnaryOp, a: Buf, out: Buf): void;
  /** out[i] = a[i] > 0 ? a[i] : alpha * a[i]; and its derivative when `grad` is set. */
  leakyRelu(a: Buf, out: Buf, alpha: number, grad: boolean): void;
  /** Reduce `a` viewed as [outer, axisLen, inner] over the middle axis into out[outer, inner]. */
  reduce(op: ReduceOp, a: Buf, out: Buf, outer: number, axisLen: number, inner: number): void;
  /** out[r, :] = softmax (or log-softmax) of a[r, :], rows of length `cols`. */
  softmax(a: Buf, out: Buf, rows: number, cols: number, log: boolean): void;
  /** Permute axes: out has shape `shape` permuted by `perm`. */
  transpose(a: Buf, shape: readonly number[], perm: readonly number[], out: Buf): void;
  /** out[i] = a[i] * scale + b[i] * bScale (axpby); used by gradient accumulation. */
  axpby(a: Buf, scale: number, b: Buf, bScale: number, out: Buf): void;
  /**
   * True if every element of a is finite (the check of a rule's updates); for a list, of every
   * buffer in it (a device backend answers for all of a step's updates with one readback).
   */
  allFinite(a: Buf | readonly Buf[]): boolean;
  /** a's fingerprint (the runner's check that a rule's step left the parameters as they were). */
  fingerprint(a: Buf): Fingerprint;
  /**
   * out[k] += scale · s[k] · z(key, offset + k): counter-based noise (noise.ts) of the given kind,
   * s the optional per-element scale (as long as out). Identical on every backend.
   */
  addNoise(out: Buf, scale: number, key: NoiseKey, offset: number, kind: NoiseKind, elementScale: Buf | null): void;
  /**
   * h ~ Bernoulli(σ(a)) from the key's uniform draws, optionally σ′(a) or the score h − σ(a) into
   * aux and log p(h | a) into logProb (noise.ts).
   */
  bernoulliSigmoid(a: Buf, key: NoiseKey, h: Buf, aux: Buf | null, kind: BernoulliAux | null, logProb: Buf | null): void;
  /** out[i] = σ(scale · a[i] + shift), computed in f64 (noise.ts's e^−|z|); out may be a. Identical on every backend. */
  sigmoidAffine(a: Buf, scale: number, shift: number, out: Buf): void;
  /** y = σ((a + logistic noise)/τ) and its slope y(1 − y)/τ, the noise from the key's stream (noise.ts). */
  binaryConcrete(a: Buf, key: NoiseKey, temperature: number, y: Buf, slope: Buf): void;
  /**
   * Run the first `stages` stages of an optimizer program over aligned ranges of a parameter,
   * its update (read only) and its state slots: see optim-program.ts for the format, the modes
   * and the return value.
   */
  optimizerStep(program: Float64Array, stages: number, param: Buf, update: Buf, slots: readonly Buf[], mode: number): number;
  /**
   * out = x rounded to a narrower format (quantize.ts): to nearest, ties to even (key null), or
   * stochastically from draws offset + k of the key's stream; at a scale s (a power of two,
   * default 1) q(x·s)/s. out may be x. Identical on every backend.
   */
  quantize(x: Buf, out: Buf, target: RoundingTarget, key: NoiseKey | null, offset: number, scale?: number): RoundingCounts;
  /**
   * matmul with the accumulator in a narrower format: the running sum rounded to nearest-even
   * after each product, in a fixed order (quantize.ts); at a scale s, to q(·s)/s. Identical on every backend.
   */
  matmulRounded(
    a: Buf,
    b: Buf,
    out: Buf,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    target: RoundingTarget,
    scale?: number,
  ): void;
  /** x [n, c, h, w] → cols [c·kh·kw, n·oh·ow] (zero padding), so conv = W[O, c·kh·kw] · cols. */
  im2col(x: Buf, cols: Buf, g: WindowGeometry): void;
  /** The adjoint of im2col: dx (overwritten) = Σ of the column entries read from each input element. */
  col2im(cols: Buf, dx: Buf, g: WindowGeometry): void;
  /** Window maxima [n, c, oh, ow]; argmax gets each winner's offset within its input plane. */
  maxPool2d(x: Buf, out: Buf, argmax: Buf, g: WindowGeometry): void;
  /** dx (overwritten) receives each output cotangent at its window's winner. */
  maxPool2dBackward(gOut: Buf, argmax: Buf, dx: Buf, g: WindowGeometry): void;
  /** Window means [n, c, oh, ow], padding counted as zeros. */
  avgPool2d(x: Buf, out: Buf, g: WindowGeometry): void;
  /** dx (overwritten) = each output cotangent spread evenly over its window. */
  avgPool2dBackward(gOut: Buf, dx: Buf, g: WindowGeometry): void;
}
