/**
 * A Bloom filter of the message ids stored, so a lookup of an id that was never stored (the common
 * case: the receive path checks every new message) is answered without SQLite. Reading through the
 * main thread's connection costs tens of microseconds once the writer thread has committed (WAL
 * readers reload changed pages); the filter costs well under one. False positives only mean a query.
 */
const BITS_PER_ID = 10;
const HASHES = 7; // about 1 % false positives at BITS_PER_ID

export class IdFilter {
  private bits: Uint32Array;
  private count = 0;
  private readonly capacity: number;

  /** `capacity` ids keep the false-positive rate near 1 %; past it, call `full` and rebuild. */
  constructor(capacity: number) {
    this.capacity = Math.max(1024, capacity);
    this.bits = new Uint32Array(Math.ceil((this.capacity * BITS_PER_ID) / 32));
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  add(id: string): void {
    const m = this.bits.length * 32;
    const [h1, h2] = hash(id);
    for (let i = 0; i < HASHES; i++) {
      const b = (h1 + i * h2) % m;
      this.bits[b >>> 5]! |= 1 << (b & 31);
    }
    this.count++;
  }

  /** False: the id was never added. True: it may have been. */
  mayHave(id: string): boolean {
    const m = this.bits.length * 32;
    const [h1, h2] = hash(id);
    for (let i = 0; i < HASHES; i++) {
      const b = (h1 + i * h2) % m;
      if ((this.bits[b >>> 5]! & (1 << (b & 31))) === 0) return false;
    }
    return true;
  }
}

/** Two 32-bit FNV-1a variants (double hashing); h2 is odd so the probes spread. */
function hash(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return [a >>> 0, (b | 1) >>> 0];
}
