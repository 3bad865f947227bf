// Where each allocation of the WebGPU backend is valid: its host copy (the view of the shared
// WASM memory that alloc() hands out), its device copy (a GPU buffer on the device thread, made
// at first use and kept for the block), or both (docs/webgpu.md, Residency). The WASM heap never
// merges or splits a block, so a block's pointer names it for good and its device buffer is
// reused by every allocation that block serves.
import { sizeClass } from '../wasm/allocator.ts';

export interface Block {
  /** Byte offset of the block in the WASM memory; the device thread's name for its buffer. */
  readonly ptr: number;
  /** The block's size class in bytes (the device buffer's size). */
  readonly size: number;
  /** Bytes of the allocation it serves now (what an upload or a readback moves). */
  bytes: number;
  /** The host copy holds the value. */
  host: boolean;
  /** The device copy holds the value. */
  device: boolean;
}

/** Blocks by pointer, with a binary search for a view that starts inside one (a subarray). */
export class BlockTable {
  private readonly byPtr = new Map<number, Block>();
  /** Block pointers in increasing order (fresh blocks come from the top of the heap, so this mostly appends). */
  private readonly starts: number[] = [];
  private lastView: Float32Array | null = null;
  private lastBlock: Block | null = null;

  /** A fresh allocation of `view` (owned by the heap): valid on the host only. */
  allocated(view: Float32Array): void {
    const ptr = view.byteOffset;
    let blk = this.byPtr.get(ptr);
    if (!blk) {
      blk = { ptr, size: sizeClass(view.byteLength), bytes: 0, host: true, device: false };
      this.byPtr.set(ptr, blk);
      let i = this.starts.length;
      while (i > 0 && this.starts[i - 1] > ptr) i--;
      this.starts.splice(i, 0, ptr);
    }
    blk.bytes = view.byteLength;
    blk.host = true;
    blk.device = false;
  }

  /** The block holding all of `view` (a view of the heap's memory), or undefined for storage alloc() did not hand out and for an empty view. */
  find(view: Float32Array): Block | undefined {
    if (view === this.lastView) return this.lastBlock!;
    if (view.byteLength === 0) return undefined;
    const off = view.byteOffset;
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    if (hi < 0 || this.starts[lo] > off) return undefined;
    const blk = this.byPtr.get(this.starts[lo])!;
    if (off + view.byteLength > blk.ptr + blk.bytes) return undefined;
    this.lastView = view;
    this.lastBlock = blk;
    return blk;
  }
}
