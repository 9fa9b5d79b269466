/**
 * What Linux itself says a process used: CPU time and peak resident memory,
 * read from /proc so each figure belongs to that process alone.
 */
import { existsSync, readFileSync } from 'node:fs';

/** utime+stime of the processes from /proc (Linux, 100 ticks/s); 0 for an unknown pid. */
export function cpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const stat = readProc(pid, 'stat');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return sum + (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
  }, 0);
}

/** VmHWM, the peak resident set size of the process so far, in MB; 0 for an unknown pid. */
export function peakRssMb(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(readProc(pid, 'status'))?.[1];
  return Number(kb ?? 0) / 1024;
}

function readProc(pid: number, file: 'stat' | 'status'): string {
  const path = `/proc/${pid}/${file}`;
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/**
 * Samples the process' CPU time every `intervalMs` until stop(), so the CPU
 * used up to a moment the process reports later (its group join) is known.
 */
export function sampleCpu(pid: number, intervalMs = 10) {
  const samples: [at: number, cpuMs: number][] = [[Date.now(), cpuMs([pid])]];
  const timer = setInterval(
    () => samples.push([Date.now(), cpuMs([pid])]),
    intervalMs,
  );
  return {
    stop: () => clearInterval(timer),
    /** CPU ms of the last sample taken at or before `at` (a Date.now time). */
    at: (at: number) =>
      (samples.findLast(([t]) => t <= at) ?? samples[0])?.[1] ?? 0,
  };
}

/**
 * Follows a process that is about to exit (a JVM tool): its CPU time and peak
 * RSS as last seen, sampled every `intervalMs` while /proc still has them.
 */
export function watchProcess(pid: number, intervalMs = 20) {
  // Each figure only grows; an exiting process' /proc loses VmHWM before its CPU times.
  const last = { cpuMs: 0, peakRssMb: 0 };
  const read = () => {
    last.cpuMs = Math.max(last.cpuMs, cpuMs([pid]));
    last.peakRssMb = Math.max(last.peakRssMb, peakRssMb(pid));
  };
  const timer = setInterval(read, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { ...last };
    },
  };
}
