import { v7 } from 'uuid';

/** A new message id: UUIDv7, so ids sort by creation time and inserts stay at the end of the index. */
export function newId(): string {
  return v7();
}
