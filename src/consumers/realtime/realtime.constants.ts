/** Transport id of the realtime group's server: its handlers bind to it only. */
export const REALTIME_TRANSPORT = Symbol('realtime');
export const REALTIME_SERVER = 'CONSUMERS:REALTIME_SERVER';
