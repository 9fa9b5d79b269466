import type { ClusterView } from '../../src/dashboard/cluster-view.js';

/**
 * The first view the dashboard of the replica at `baseUrl` pushes (its
 * Server-Sent Events, GET /dashboard/events) for which `accept` holds;
 * rejects naming `what` when none does within `timeoutMs`.
 */
export async function dashboardView(
  baseUrl: string,
  accept: (view: ClusterView) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<ClusterView> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch(`${baseUrl}/dashboard/events`, {
      signal: abort.signal,
    });
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
      const events = text.split('\n\n');
      text = events.pop() ?? '';
      for (const event of events) {
        const data = event.split('\n').find((line) => line.startsWith('data:'));
        const view = data && (JSON.parse(data.slice(5)) as ClusterView);
        if (view && accept(view)) return view;
      }
    }
    throw new Error('the event stream ended');
  } catch (error) {
    throw new Error(`no dashboard view with ${what}: ${String(error)}`);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
