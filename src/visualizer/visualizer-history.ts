/**
 * A bounded ring buffer of the visualizer's recent log entries, so a page that (re)connects can
 * catch up without the server keeping an ever-growing list.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** Keeps the last `capacity` items pushed, oldest first. */
export class VisualizerHistory<T> {
  /** Most items kept; older ones are overwritten. */
  readonly capacity: number;
  readonly #slots: Array<T | undefined>;
  /** Index of the slot the next push writes. */
  #next = 0;
  #size = 0;

  /**
   * @param capacity Most items kept (a positive integer).
   * @throws {InvalidArgumentError} when `capacity` is not a positive integer.
   */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new InvalidArgumentError('historySize', `expected a positive integer, received ${String(capacity)}`);
    }
    this.capacity = capacity;
    this.#slots = new Array<T | undefined>(capacity).fill(undefined);
  }

  /** Items held now (at most `capacity`). */
  get size(): number {
    return this.#size;
  }

  /** Append an item, dropping the oldest one when full. */
  push(item: T): void {
    this.#slots[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** The items held, oldest first (a copy). */
  toArray(): T[] {
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    const items: T[] = [];
    for (let i = 0; i < this.#size; i++) items.push(this.#slots[(start + i) % this.capacity] as T);
    return items;
  }

  /** Forget every item. */
  clear(): void {
    this.#slots.fill(undefined);
    this.#next = 0;
    this.#size = 0;
  }
}
