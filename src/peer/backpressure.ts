/**
 * Backpressure for connected peers: a native send that finds the outbox full for a peer whose
 * session is up waits, in order, until acks make room, instead of failing with ERR_OUTBOX_FULL.
 * A peer that is away gets no waiting: its sends still fail fast (the limit is for absent peers).
 */

/** A FIFO without Array#shift (O(n) on the long queues of a pipelining script). */
class Line {
  private items: Waiter[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(w: Waiter): void {
    this.items.push(w);
  }
  peek(): Waiter | undefined {
    return this.items[this.head];
  }
  shift(): Waiter | undefined {
    const w = this.items[this.head];
    this.items[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return w;
  }
}

interface Waiter {
  /** Whether the peer still has a live session: if not, the send goes ahead and meets the limit. */
  live(): boolean;
  /** Start the send now (synchronously: the store reserves its outbox slot before returning). */
  run(): void;
}

export class Backpressure {
  /** Per peer key, the sends waiting for room, oldest first. */
  private readonly queues = new Map<string, Line>();

  constructor(private readonly hasRoom: (key: string) => boolean) {}

  /** Sends waiting for room, all peers. */
  get waiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /**
   * Run `start` now if there is room and nobody waits ahead for this key, or if the peer is away
   * (the store's limit error stands); else once acks made room, in the order of the calls.
   */
  admit<T>(key: string, live: () => boolean, start: () => Promise<T>): Promise<T> {
    const q = this.queues.get(key);
    if ((!q && this.hasRoom(key)) || !live()) return start();
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        live,
        run: () => {
          try {
            resolve(start());
          } catch (err) {
            reject(err);
          }
        },
      };
      if (q) q.push(waiter);
      else {
        const line = new Line();
        line.push(waiter);
        this.queues.set(key, line);
      }
    });
  }

  /** Room may have been freed (an ack, a drop, a failure) or a session closed: start who can go. */
  wake(): void {
    for (const [key, q] of this.queues) {
      while (q.length > 0) {
        const w = q.peek()!;
        if (w.live() && !this.hasRoom(key)) break;
        q.shift();
        w.run();
      }
      if (q.length === 0) this.queues.delete(key);
    }
  }
}
