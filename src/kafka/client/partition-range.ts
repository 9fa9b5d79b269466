import type { ConsumedRecord } from './group-consumer.port.js';

/**
 * What one read of [from, until) of a partition has collected, fetch after
 * fetch, whichever client fetched: a Fetch answer starts at the batch that
 * holds the offset asked for, so records before it come too and are left
 * out; control records (transaction markers) move the position but are not
 * records of the topic.
 */
export class PartitionRange {
  readonly records: ConsumedRecord[] = [];
  private advanced = false;

  constructor(
    public next: bigint,
    private readonly until: bigint,
  ) {}

  /** Takes one fetched record unless it is outside the range. */
  take(offset: bigint, control: boolean, record: () => ConsumedRecord): void {
    if (offset < this.next || offset >= this.until) return;
    this.next = offset + 1n;
    this.advanced = true;
    if (!control) this.records.push(record());
  }

  /** True when another fetch is needed: the last one moved and the range and partition go on. */
  again(highWatermark: bigint): boolean {
    const moved = this.advanced;
    this.advanced = false;
    return moved && this.next < this.until && this.next < highWatermark;
  }
}
