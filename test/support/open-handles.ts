/** Active handles of this process, and how many are sockets to `brokerPort`. */
export function openHandles(brokerPort: number): {
  total: number;
  brokerSockets: number;
} {
  const handles = (
    process as unknown as { _getActiveHandles(): unknown[] }
  )._getActiveHandles();
  const brokerSockets = handles.filter(
    (h) =>
      typeof h === 'object' &&
      h !== null &&
      (h as { remotePort?: number }).remotePort === brokerPort,
  ).length;
  return { total: handles.length, brokerSockets };
}
