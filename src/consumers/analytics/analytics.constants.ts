/** Transport id of the analytics group's server: its handlers bind to it only. */
export const ANALYTICS_TRANSPORT = Symbol('analytics');
export const ANALYTICS_SERVER = 'CONSUMERS:ANALYTICS_SERVER';
