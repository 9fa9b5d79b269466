/**
 * The last connection failure the client reported: a bounded call that times
 * out while the client still retries cannot say why, this can (an untrusted
 * certificate, a refused port). Each adapter fills it from its client's logs
 * or events; boot and produce errors read it.
 */
export class ConnectionFailures {
  /** `error`: the failure itself, where the client hands it over (its cause says why). */
  last: { message: string; at: Date; error?: unknown } | undefined;
  /** The last produce request the client is retrying, and why (its error text). */
  lastSend: { message: string; at: Date } | undefined;
}
