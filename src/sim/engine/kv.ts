/**
 * Paged KV-cache accounting with a prefix cache. Only counts are kept for private (unhashed)
 * blocks; full prompt blocks are keyed by their chained hash so later requests sharing the prefix
 * can reuse them. Unreferenced cached blocks stay resident until evicted (LRU) to make room.
 */
interface CachedBlock {
  refs: number;
}

export class KvCache {
  /** Blocks held by running sequences that are not in the prefix cache. */
  private privateBlocks = 0;
  /** Prefix-cache entries (referenced or not): hash -> entry. */
  private readonly cached = new Map<number, CachedBlock>();
  /**
   * Unreferenced cached blocks in LRU order: hash -> stamp, plus a FIFO of (hash, stamp) with stale
   * entries skipped lazily. (A Map used as a queue, reading keys().next() after deleting its head,
   * rescans the deleted slots every time in V8: quadratic once the cache churns.)
   */
  private readonly evictable = new Map<number, number>();
  private lruHashes: number[] = [];
  private lruStamps: number[] = [];
  private lruHead = 0;
  private stamp = 0;
  evictions = 0;

  constructor(
    readonly numBlocks: number,
    readonly blockSize: number,
    readonly prefixCaching: boolean,
  ) {}

  /** Blocks in use by running sequences (vLLM's KV cache usage: cached-but-free blocks not counted). */
  usedBlocks(): number {
    return this.privateBlocks + this.cached.size - this.evictable.size;
  }
  /** Blocks that can be handed out now, evicting unreferenced cached blocks if needed. */
  availableBlocks(): number {
    return this.numBlocks - this.usedBlocks();
  }
  usage(): number {
    return this.usedBlocks() / this.numBlocks;
  }
  cachedBlockCount(): number {
    return this.cached.size;
  }

  /** Number of leading hashes present in the cache (does not take references). */
  matchPrefix(hashes: readonly number[]): number {
    if (!this.prefixCaching) return 0;
    let n = 0;
    while (n < hashes.length && this.cached.has(hashes[n])) n++;
    return n;
  }

  /** Take references on the first `n` cached blocks of a prefix. */
  acquirePrefix(hashes: readonly number[], n: number): void {
    for (let i = 0; i < n; i++) {
      const e = this.cached.get(hashes[i])!;
      if (e.refs === 0) this.evictable.delete(hashes[i]);
      e.refs++;
    }
  }

  private free(): number {
    return this.numBlocks - this.privateBlocks - this.cached.size;
  }

  /** Make `n` blocks free, evicting least-recently-used unreferenced cached blocks. */
  private makeRoom(n: number): boolean {
    if (this.availableBlocks() < n) return false;
    while (this.free() < n) {
      const oldest = this.popOldestEvictable();
      this.evictable.delete(oldest);
      this.cached.delete(oldest);
      this.evictions++;
    }
    return true;
  }

  private markEvictable(hash: number): void {
    const st = ++this.stamp;
    this.evictable.set(hash, st);
    this.lruHashes.push(hash);
    this.lruStamps.push(st);
    // Blocks re-referenced while queued leave stale entries: drop them once they dominate.
    if (this.lruHashes.length - this.lruHead > 2 * this.evictable.size + 4096) this.compactLru();
  }

  private compactLru(): void {
    const hs: number[] = [];
    const ss: number[] = [];
    for (let i = this.lruHead; i < this.lruHashes.length; i++) {
      if (this.evictable.get(this.lruHashes[i]) === this.lruStamps[i]) {
        hs.push(this.lruHashes[i]);
        ss.push(this.lruStamps[i]);
      }
    }
    this.lruHashes = hs;
    this.lruStamps = ss;
    this.lruHead = 0;
  }

  /** The least recently released unreferenced block (the caller checked one exists). */
  private popOldestEvictable(): number {
    for (;;) {
      const i = this.lruHead++;
      const h = this.lruHashes[i];
      const live = this.evictable.get(h) === this.lruStamps[i];
      if (this.lruHead > 4096 && this.lruHead * 2 > this.lruHashes.length) {
        this.lruHashes = this.lruHashes.slice(this.lruHead);
        this.lruStamps = this.lruStamps.slice(this.lruHead);
        this.lruHead = 0;
      }
      if (live) return h;
    }
  }

  /** Allocate `n` private blocks; false (nothing allocated) when KV is full. */
  allocate(n: number): boolean {
    if (n <= 0) return true;
    if (!this.makeRoom(n)) return false;
    this.privateBlocks += n;
    return true;
  }

  /**
   * Turn one of the caller's private blocks into a cached block under `hash` (its prompt block
   * is now fully computed). If another sequence already cached the same hash, the caller shares
   * that block and its private one is freed. Returns true when the block is now cached.
   */
  promote(hash: number): void {
    this.privateBlocks--;
    if (!this.prefixCaching) {
      this.privateBlocks++;
      return;
    }
    const e = this.cached.get(hash);
    if (e) {
      if (e.refs === 0) this.evictable.delete(hash);
      e.refs++;
    } else {
      this.cached.set(hash, { refs: 1 });
    }
  }

  /** Drop a sequence's blocks: `hashes` it referenced in the cache plus `privateCount` private ones. */
  release(hashes: readonly number[], privateCount: number): void {
    this.privateBlocks -= privateCount;
    // Release deepest blocks first so LRU evicts the tail of a prefix before its head.
    for (let i = hashes.length - 1; i >= 0; i--) {
      const h = hashes[i];
      const e = this.cached.get(h);
      if (!e) continue;
      e.refs--;
      if (e.refs === 0) this.markEvictable(h);
    }
  }
}
