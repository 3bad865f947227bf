// The slot builder: allocates a model's parameter and buffer slots in build order (which is the
// order of its flat parameter list), and keeps embedding tables for weight tying.
import type { ParamInit, Slot } from './module.ts';

/** Allocates parameter and buffer slots in build (= flat list) order. */
export interface Builder {
  /** Default weight scheme. */
  readonly init: string;
  /** Classes of the task the model is built for, when known (an embedding's default vocabulary). */
  readonly classes?: number;
  param(path: string, shape: number[], init: ParamInit): Slot;
  buffer(path: string, shape: number[], value: number): Slot;
  /** Token tables of the embeddings built so far, by module path (weight tying reads them). */
  readonly embeddings?: Map<string, Slot>;
  tieable?(path: string): Slot | undefined;
}

export function slotBuilder(init: string, classes?: number): Builder & { params: Slot[]; buffers: Slot[] } {
  const params: Slot[] = [];
  const buffers: Slot[] = [];
  const embeddings = new Map<string, Slot>();
  return {
    init,
    classes,
    params,
    buffers,
    embeddings,
    tieable: (path) => embeddings.get(path),
    param(path, shape, pinit) {
      const s = { index: params.length, path, shape, init: pinit };
      params.push(s);
      return s;
    },
    buffer(path, shape, value) {
      const s = { index: buffers.length, path, shape, init: { kind: 'constant', value } as ParamInit };
      buffers.push(s);
      return s;
    },
  };
}
