// Grants the service's user exactly the ACLs of docs/security.md's table on a KAFKA_LOCAL_SECURITY
// broker, as the super user in <admin.env>. Used by kafka.sh start and by the security tests.
//
//   node tools/kafka/grant-acls.mjs <admin.env> [--topic T] [--group G]... [--user svc]
//        [--without Operation:ResourceType] [--delete]
//
// --without READ:GROUP leaves that grant out (or, with --delete, removes only those ACLs).
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';

const {
  AclOperationTypes: Op,
  AclPermissionTypes,
  AclResourceTypes: Res,
  Kafka,
  logLevel,
  ResourcePatternTypes: Pattern,
} = kafkajs;

const args = process.argv.slice(2);
const envFile = args.shift();
const option = (name) =>
  args.flatMap((arg, i) => (arg === name && args[i + 1] ? [args[i + 1]] : []));
const env = Object.fromEntries(
  readFileSync(envFile, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
const topic = option('--topic')[0] ?? process.env.KAFKA_TOPIC ?? 'demo-messages';
const groups = option('--group').length
  ? option('--group')
  : [process.env.REALTIME_GROUP_ID ?? 'realtime', process.env.ANALYTICS_GROUP_ID ?? 'analytics'];
const user = option('--user')[0] ?? 'svc';
const without = new Set(option('--without'));
const remove = args.includes('--delete');

/** The service's least privileges (docs/security.md, "Secured clusters"): [resource, name, pattern, operations]. */
const table = [
  // Produce (Write), consume and read offsets (Read, Describe), provision at boot if missing (Create).
  [Res.TOPIC, topic, Pattern.LITERAL, ['WRITE', 'READ', 'DESCRIBE', 'CREATE']],
  // Dead-letter topics <topic>.<group>.dlq, redrive topics <topic>.redrive.<group>, the
  // ledger <topic>.redrive-ledger and the control topic <topic>.control (group pauses):
  // created on first use, written, and read (GET /dead-letters, redrive, each group's redrive
  // consumer, every replica's pause reader).
  [Res.TOPIC, `${topic}.`, Pattern.PREFIXED, ['CREATE', 'WRITE', 'DESCRIBE', 'READ']],
  // Each replica reads the control topic whole, in a group of its own per process.
  [Res.GROUP, `${topic}.control.reader.`, Pattern.PREFIXED, ['READ']],
  // Each group and its redrive group: join, sync, heartbeat, commit (Read); describe it for
  // /dashboard and /metrics.
  ...groups.flatMap((group) => [
    [Res.GROUP, group, Pattern.LITERAL, ['READ', 'DESCRIBE']],
    [Res.GROUP, `${group}.redrive`, Pattern.LITERAL, ['READ', 'DESCRIBE']],
  ]),
];

const acl = table.flatMap(([resourceType, resourceName, resourcePatternType, operations]) =>
  operations
    // Granting: all but the --without ones; deleting: only the --without ones.
    .filter((op) => remove === without.has(`${op}:${resourceTypeName(resourceType)}`))
    .map((op) => ({
      resourceType,
      resourceName,
      resourcePatternType,
      principal: `User:${user}`,
      host: '*',
      operation: Op[op],
      permissionType: AclPermissionTypes.ALLOW,
    })),
);

function resourceTypeName(type) {
  return Object.keys(Res).find((key) => Res[key] === type);
}

const kafka = new Kafka({
  clientId: 'grant-acls',
  brokers: env.KAFKA_BROKERS.split(','),
  ssl: { ca: [readFileSync(env.KAFKA_SSL_CA_FILE, 'utf8')] },
  sasl: {
    mechanism: env.KAFKA_SASL_MECHANISM,
    username: env.KAFKA_SASL_USERNAME,
    password: readFileSync(env.KAFKA_SASL_PASSWORD_FILE, 'utf8').trim(),
  },
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
await admin.connect();
try {
  if (remove) {
    await admin.deleteAcls({ filters: acl });
  } else {
    await admin.createAcls({ acl });
  }
  console.log(
    `${remove ? 'removed' : 'granted'} ${acl.length} ACL(s) for User:${user} (topic ${topic}, groups ${groups.join(', ')})`,
  );
} finally {
  await admin.disconnect();
}
