/**
 * The functions a .cpuprofile spent the most self time in (time sampled while
 * the function itself ran, not its callees), summed over the call tree.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `top` lines "  34.1%  1234 ms  name  file:line", most self time first. */
export function topSelfTime(file: string, top = 10): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!frame) return;
    const where = frame.url
      ? `${shorten(frame.url)}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'}  ${where}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    totalUs += delta;
  });
  return [...selfUs.entries()]
    .sort(([, a], [, b]) => b - a)
    .slice(0, top)
    .map(
      ([key, us]) =>
        `  ${((us * 100) / totalUs).toFixed(1).padStart(5)}%  ${String(Math.round(us / 1_000)).padStart(6)} ms  ${key}`,
    );
}

/** node_modules/kafkajs/src/x.js, dist/kafka/y.js, node:internal/z. */
function shorten(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}
