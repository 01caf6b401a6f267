// What a phase costs the machine: the service's resident memory and the CPU used by the service,
// by this process (the load generator) and by the whole machine, read from Linux's /proc.
import { readFileSync } from 'node:fs';

/** Samples the process's resident set from /proc while load runs; `peakMib()` is the largest seen. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakKib = 0;
  private readonly pid: number;

  constructor(pid: number) {
    this.pid = pid;
  }

  private read(field: 'VmRSS' | 'VmHWM'): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  start(intervalMs = 100): void {
    this.peakKib = Math.max(this.peakKib, this.read('VmRSS'));
    this.timer = setInterval(() => {
      this.peakKib = Math.max(this.peakKib, this.read('VmRSS'));
    }, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** MiB: the largest sample taken between start() and stop(). */
  peakMib(): number {
    return this.peakKib / 1024;
  }

  /** MiB: the kernel's high-water mark over the process's whole life, which no sampling can miss. */
  highWaterMib(): number {
    return this.read('VmHWM') / 1024;
  }
}

/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every common platform. */
const TICKS_PER_SECOND = 100;

interface CpuReading {
  at: number;
  serviceS: number;
  benchS: number;
  machineBusyS: number;
}

function processCpuSeconds(pid: number): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function machineBusySeconds(): number {
  try {
    const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    const total = cpu.slice(0, 8).reduce((sum, value) => sum + value, 0);
    return (total - (cpu[3] ?? 0) - (cpu[4] ?? 0)) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function readCpu(pid: number): CpuReading {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    serviceS: processCpuSeconds(pid),
    benchS: (usage.user + usage.system) / 1e6,
    machineBusyS: machineBusySeconds(),
  };
}

/** Cores used on average over a phase: by the service, by this process (the load generator), in all. */
export interface CpuShare {
  service: number;
  bench: number;
  machine: number;
}

/** Starts measuring; the function it returns gives the cores used since, on average. */
export function cpuMeter(pid: number): () => CpuShare {
  const before = readCpu(pid);
  return () => {
    const after = readCpu(pid);
    const seconds = (after.at - before.at) / 1000;
    return {
      service: (after.serviceS - before.serviceS) / seconds,
      bench: (after.benchS - before.benchS) / seconds,
      machine: (after.machineBusyS - before.machineBusyS) / seconds,
    };
  };
}
