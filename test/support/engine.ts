/**
 * The engine the suite runs the service on: `KAFKA_CLIENT` (kafkajs or
 * platformatic) and `KAFKA_GROUP_PROTOCOL` from the runner's environment
 * (.ci/run runs the whole suite once per engine). In-process apps read them
 * from process.env; replica processes get them here, and only them, of the
 * runner's environment.
 */
export function engineEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['KAFKA_CLIENT', 'KAFKA_GROUP_PROTOCOL']) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return env;
}

/** The group protocol the service under test speaks (its client's default unless set). */
export function groupProtocolUnderTest(): 'classic' | 'consumer' {
  const set = process.env.KAFKA_GROUP_PROTOCOL;
  if (set === 'classic' || set === 'consumer') return set;
  return process.env.KAFKA_CLIENT === 'platformatic' ? 'consumer' : 'classic';
}

/**
 * Static membership as the suite can watch it: the platformatic engine (the
 * only one with static members) on KIP-848, whose ConsumerGroupDescribe shows
 * instance ids and member epochs (-2: away for the session).
 */
export function staticMembershipUnderTest(): boolean {
  return (
    engineEnv().KAFKA_CLIENT === 'platformatic' &&
    groupProtocolUnderTest() === 'consumer'
  );
}
