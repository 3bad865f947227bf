// Size-class allocator over a shared WebAssembly.Memory that hands out Float32Array views, so
// tensor storage lives in WASM memory and kernels run on it without copies.
//
// Growth: the memory is shared, so memory.grow never detaches the old SharedArrayBuffer; views
// made before a grow keep aliasing the same bytes. Every SharedArrayBuffer the memory has exposed
// is remembered, which is how owns() recognizes any of our views (and subarrays of them).
// Release: free(view) returns its block to a per-size-class free list; a view that is never freed
// is reclaimed by a FinalizationRegistry once the view object itself is unreachable. (A subarray
// does not keep its parent view alive, so hold the allocated view while its subarrays are in use.)
// V8 does not count WASM memory as heap pressure, so unfreed views alone would never prompt a GC
// (measured: 3000 leaked 1 MiB views grew the memory to 3.4 GB with zero collections). Each block
// carved from fresh memory therefore carries a ballast ArrayBuffer of 1/8 its size, which V8
// does count; recycled blocks carry none, so steady-state reuse costs nothing. Finalizers run
// between tasks, so this fallback only reclaims memory across awaits: free() is the hot path.
import type { WasmMemory } from './webassembly.ts';

export interface HeapStats {
  /** Bytes of WASM memory (grows, never shrinks). */
  memoryBytes: number;
  /** Bytes in blocks handed out and not yet freed (block sizes, incl. size-class rounding). */
  liveBytes: number;
  liveBlocks: number;
  peakLiveBytes: number;
  /** Bytes sitting in free lists, ready for reuse. */
  cachedBytes: number;
  /** Blocks returned by the FinalizationRegistry rather than an explicit free. */
  finalizedBlocks: number;
  grows: number;
}

interface Block {
  readonly ptr: number;
  readonly size: number;
  live: boolean;
}

const PAGE = 65536;
const ALIGN = 16;
const BALLAST_MIN = 4096;

/** Block size for a request: multiples of 16 B up to 1 KiB, then 8 classes per power of two. */
export function sizeClass(bytes: number): number {
  if (bytes <= ALIGN) return ALIGN;
  if (bytes <= 1024) return (bytes + ALIGN - 1) & ~(ALIGN - 1);
  const step = 2 ** (Math.floor(Math.log2(bytes - 1)) - 3);
  return Math.ceil(bytes / step) * step;
}

export class WasmHeap {
  private buffer: SharedArrayBuffer;
  private top: number;
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly freeLists = new Map<number, number[]>();
  private readonly blocks = new WeakMap<Float32Array, Block>();
  private readonly ballast = new WeakMap<Float32Array, ArrayBuffer>();
  private fresh = false;
  private readonly registry = new FinalizationRegistry<Block>((blk) => {
    if (blk.live) {
      this.finalizedBlocks++;
      this.release(blk);
    }
  });
  private liveBytes = 0;
  private liveBlocks = 0;
  private peakLiveBytes = 0;
  private cachedBytes = 0;
  private finalizedBlocks = 0;
  private grows = 0;

  constructor(
    private readonly memory: WasmMemory,
    base: number,
    private readonly maxPages: number,
    /** memset(ptr, 0, bytes) in WASM (typed-array fill on shared memory is slower). */
    private readonly zero: (ptr: number, bytes: number) => void,
  ) {
    this.buffer = memory.buffer as SharedArrayBuffer;
    this.buffers.add(this.buffer);
    this.top = Math.ceil(base / 64) * 64;
  }

  /** True if buf is a view into this heap's memory (so its byteOffset is a WASM pointer). */
  owns(buf: ArrayBufferView): boolean {
    return this.buffers.has(buf.buffer);
  }

  /**
   * A view of n floats, or null when the memory cannot grow enough: zero-filled, or with `zero`
   * false holding whatever a recycled block held (the memset of a batch-sized output costs about
   * as much as the elementwise kernel that overwrites it).
   */
  alloc(n: number, zero = true): Float32Array | null {
    if (n === 0) return new Float32Array(this.buffer, this.top, 0);
    const size = sizeClass(n * 4);
    const ptr = this.take(size, zero);
    if (ptr < 0) return null;
    const view = new Float32Array(this.buffer, ptr, n);
    const blk: Block = { ptr, size, live: true };
    this.blocks.set(view, blk);
    this.registry.register(view, blk, view);
    if (this.fresh && size >= BALLAST_MIN) this.ballast.set(view, new ArrayBuffer(size >> 3));
    return view;
  }

  /**
   * Return a view from alloc() to the heap. Anything else (a subarray, a foreign buffer, a view
   * already freed) is ignored, so a stale double free can never release someone else's block.
   */
  free(view: ArrayBufferView): boolean {
    if (!(view instanceof Float32Array)) return false;
    const blk = this.blocks.get(view);
    if (!blk || !blk.live) return false;
    this.blocks.delete(view);
    this.registry.unregister(view);
    this.release(blk);
    return true;
  }

  /** Raw block for kernel scratch (not tracked by the registry); returns its pointer or -1. */
  allocRaw(bytes: number): number {
    const size = sizeClass(bytes);
    return this.take(size, true);
  }

  freeRaw(ptr: number, bytes: number): void {
    this.release({ ptr, size: sizeClass(bytes), live: true });
  }

  /** The current SharedArrayBuffer (for short-lived views of scratch memory). */
  get currentBuffer(): SharedArrayBuffer {
    return this.buffer;
  }

  stats(): HeapStats {
    return {
      memoryBytes: this.buffer.byteLength,
      liveBytes: this.liveBytes,
      liveBlocks: this.liveBlocks,
      peakLiveBytes: this.peakLiveBytes,
      cachedBytes: this.cachedBytes,
      finalizedBlocks: this.finalizedBlocks,
      grows: this.grows,
    };
  }

  private take(size: number, zero: boolean): number {
    let ptr: number;
    const list = this.freeLists.get(size);
    if (list && list.length > 0) {
      ptr = list.pop()!;
      this.cachedBytes -= size;
      // Recycled blocks hold old data; fresh ones come from zeroed pages.
      if (zero) this.zero(ptr, size);
      this.fresh = false;
    } else {
      if (!this.ensure(this.top + size)) return -1;
      ptr = this.top;
      this.top += size;
      this.fresh = true;
    }
    this.liveBytes += size;
    this.liveBlocks++;
    if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
    return ptr;
  }

  private release(blk: Block): void {
    blk.live = false;
    this.liveBytes -= blk.size;
    this.liveBlocks--;
    this.cachedBytes += blk.size;
    let list = this.freeLists.get(blk.size);
    if (!list) this.freeLists.set(blk.size, (list = []));
    list.push(blk.ptr);
  }

  /** Grow the memory so byte `end` is addressable: by at least 1/4 of its size, to amortize. */
  private ensure(end: number): boolean {
    const have = this.buffer.byteLength;
    if (end <= have) return true;
    const curPages = have / PAGE;
    const need = Math.ceil((end - have) / PAGE);
    const room = this.maxPages - curPages;
    if (need > room) return false;
    const want = Math.min(room, Math.max(need, Math.ceil(curPages / 4), 16));
    try {
      this.memory.grow(want);
    } catch {
      try {
        this.memory.grow(need);
      } catch {
        return false;
      }
    }
    this.grows++;
    this.buffer = this.memory.buffer as SharedArrayBuffer;
    this.buffers.add(this.buffer);
    return true;
  }
}
