/**
 * The peer of POST /produce in `npm run bench`: a hand-written node:http server
 * with one kafkajs producer configured like the service's (idempotent, acks=all),
 * writing the same records per request (3 per partition, a JSON value with an id)
 * in one send per request. Prints its port on stdout once the producer is connected.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import kafkajs from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topic = process.env.KAFKA_TOPIC ?? 'demo';
const partitions = Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 6);
const perPartition = 3;

const kafka = new kafkajs.Kafka({
  brokers,
  clientId: 'bench-minimal',
  logLevel: kafkajs.logLevel.NOTHING,
});
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
});
await producer.connect();

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const producedAt = new Date().toISOString();
    const messages = [];
    for (let partition = 0; partition < partitions; partition++)
      for (let sequence = 1; sequence <= perPartition; sequence++)
        messages.push({
          partition,
          value: JSON.stringify({
            id: randomUUID(),
            partition,
            sequence,
            producedAt,
            payload: null,
          }),
        });
    producer.send({ topic, messages, acks: -1 }).then(
      (metadata) => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ topic, partitions: metadata }));
      },
      (error: unknown) => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(error) }));
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address ? address.port : -1);
});
process.once('SIGTERM', () => {
  server.close();
  void producer.disconnect().finally(() => process.exit(0));
});
