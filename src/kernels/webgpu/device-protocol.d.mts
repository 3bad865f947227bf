// Types of device-protocol.mjs (plain JavaScript, so a worker runs it without a loader).

/** Index of the id of the last answered request in the control words. */
export declare const DONE: number;
/** Index of the last answered request's status (0 ok, 1 failed). */
export declare const STATUS: number;
/** Index of the count of requests handled. */
export declare const HANDLED: number;
/** How many Int32 control words the shared control array holds. */
export declare const CONTROL_WORDS: number;

/** A range of a block's device buffer bound to a kernel, after the params at binding 0. */
export interface BindingRange {
  ptr: number;
  size: number;
  offset: number;
  bytes: number;
  output: boolean;
  /** An output the kernel reads too (addNoise's out +=): a scratch copy of it starts from its values. */
  inout: boolean;
}

/** A block whose first `bytes` come back into the memory at ptr. */
export interface BlockRange {
  ptr: number;
  size: number;
  bytes: number;
}

export type DeviceRequest =
  | { op: 'memory'; memory: SharedArrayBuffer; id?: 0 }
  | { op: 'upload'; ptr: number; size: number; data: ArrayBuffer; id?: 0 }
  | {
      op: 'dispatch';
      id: number;
      shader: string;
      code?: string;
      params: Uint32Array;
      bindings: BindingRange[];
      groups: [number, number, number];
    }
  | { op: 'read'; id: number; blocks: BlockRange[] };

export declare function deviceServer(options: {
  device: unknown;
  signal: Int32Array;
  reply: (message: { id: number; error: string }) => void;
  keep: unknown;
}): (request: DeviceRequest) => void;
