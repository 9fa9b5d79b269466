import type { Message } from '@platformatic/kafka';
import type {
  ConsumedRecord,
  RecordHeaderValue,
} from '../client/group-consumer.port.js';
import { addHeader } from '../client/record-headers.js';

type Headers = { [name: string]: RecordHeaderValue };

/**
 * A @platformatic/kafka message in the port's plain shape, made as the stream
 * hands it over. It keeps only what the port gives (not the message, whose
 * header Map, bound commit and metadata would otherwise live until the handler
 * is done). The offset is converted at once (the service reads it for every
 * record); the timestamp and the headers when first read: few handlers read
 * them, and a header object per record was ~5% of the engine's drain
 * (npm run bench -- --engines-only --cpu-prof). A header that repeats is an
 * array, as with kafkajs.
 */
export class PlatformaticRecord implements ConsumedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  #headers: Headers | null | undefined;
  readonly #entries: Message<Buffer, Buffer, Buffer, Buffer>['headerEntries'];
  readonly #timestamp: bigint;

  constructor(message: Message<Buffer, Buffer, Buffer, Buffer>) {
    this.offset = String(message.offset);
    this.#timestamp = message.timestamp;
    this.#entries = message.headerEntries;
    this.key = message.key ?? null;
    this.value = message.value ?? null;
  }

  get headers(): Headers | undefined {
    if (this.#headers === undefined) {
      const entries = this.#entries;
      let headers: Headers | null = null;
      if (entries.length > 0) {
        headers = {};
        for (const [name, value] of entries) {
          addHeader(headers, name.toString(), value);
        }
      }
      this.#headers = headers;
    }
    return this.#headers ?? undefined;
  }

  get timestamp(): string {
    return String(this.#timestamp);
  }
}
