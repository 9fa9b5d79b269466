import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { REPO_ROOT } from './support/repo-root.js';

/** `npm run kafka:start` as another checkout runs it: its own state folder, no pid file of ours. */
async function startFromElsewhere(
  port: number,
): Promise<{ code: number; output: string }> {
  const elsewhere = mkdtempSync(join(tmpdir(), 'other-checkout-'));
  return promisify(execFile)(
    'bash',
    [join(REPO_ROOT, 'tools/kafka/kafka.sh'), 'start'],
    {
      env: {
        ...process.env,
        KAFKA_LOCAL_PORT: String(port),
        KAFKA_LOCAL_DIR: join(elsewhere, '.kafka'),
      },
      timeout: 60_000,
    },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
    }),
  );
}

describe('kafka:start beside a port already in use (npm run local on a machine with a broker)', () => {
  const brokerPort = Number(inject('kafkaBrokers')[0].split(':')[1]);

  it('uses a Kafka broker this checkout did not start, with one line saying so', async () => {
    const { code, output } = await startFromElsewhere(brokerPort);
    expect(code).toBe(0);
    expect(output.trim()).toMatch(
      new RegExp(
        `^Kafka already running on 127\\.0\\.0\\.1:${brokerPort}, not started by this checkout .*: using it$`,
      ),
    );
  });

  it('refuses a port that something other than Kafka holds, naming the setting to change', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined); // the probe may reset it
      socket.end('HTTP/1.1 400\r\n\r\n');
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    const { port } = server.address() as { port: number };
    try {
      const { code, output } = await startFromElsewhere(port);
      expect(code).not.toBe(0);
      expect(output).toMatch(
        new RegExp(
          `Port 127\\.0\\.0\\.1:${port} is already in use by another process that is not a Kafka broker; set KAFKA_LOCAL_PORT`,
        ),
      );
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
