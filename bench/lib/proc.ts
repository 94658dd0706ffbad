/** CPU time and memory of this process and of other processes (ffmpeg, the client process) on Linux. */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU of a process so far, ms (from /proc/PID/stat; 10 ms resolution). */
export function procCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces: the fields we want follow its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicks();
}

/** Resident memory of a process, bytes (VmRSS). */
export function procRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** This process's user + system CPU so far, ms (process.cpuUsage, µs resolution). */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Measures this process's CPU over a window: call the returned function at its end. Result in cores. */
export function cpuWindow(): () => { cores: number; cpuMs: number; wallMs: number } {
  const cpu0 = selfCpuMs();
  const t0 = performance.now();
  return () => {
    const cpuMs = selfCpuMs() - cpu0;
    const wallMs = performance.now() - t0;
    return { cores: cpuMs / wallMs, cpuMs, wallMs };
  };
}
