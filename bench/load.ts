// One load phase: autocannon against a server the bench started, with that process's memory and
// CPU measured while it runs.
import autocannon, {
  type AutocannonInstance,
  type AutocannonRequest,
  type AutocannonResult,
} from 'autocannon';
import { type CpuShare, cpuMeter, RssSampler } from './metrics.ts';
import type { ServiceProcess } from './service-process.ts';
import { CONNECTIONS, REQUEST_TIMEOUT_S } from './settings.ts';

export interface PhaseResult {
  name: string;
  requests: number;
  durationS: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  n5xx: number;
  /** Connection errors and timeouts: requests that got no HTTP answer. */
  errors: number;
  statusCodes: string;
  peakRssMib: number;
  cpu: CpuShare;
}

function summarize(name: string, result: AutocannonResult, peakRssMib: number, cpu: CpuShare): PhaseResult {
  const requests = result.requests.total;
  return {
    name,
    requests,
    durationS: result.duration,
    rps: result.duration > 0 ? requests / result.duration : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    n5xx: result['5xx'],
    errors: result.errors + result.timeouts,
    statusCodes: Object.entries(result.statusCodeStats)
      .map(([code, stats]) => `${code}×${stats.count}`)
      .join(' '),
    peakRssMib,
    cpu,
  };
}

/**
 * One autocannon run of `request` against the service at CONNECTIONS connections, for a duration
 * or a number of requests, with the service's RSS sampled throughout. Rejects if the service died.
 */
export function load(
  service: ServiceProcess,
  name: string,
  request: AutocannonRequest,
  limit: { durationS: number } | { amount: number },
  onInstance?: (instance: AutocannonInstance) => void,
): Promise<PhaseResult> {
  const sampler = new RssSampler(service.pid);
  sampler.start();
  const cpu = cpuMeter(service.pid);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: service.url,
        connections: CONNECTIONS,
        timeout: REQUEST_TIMEOUT_S,
        ...('amount' in limit ? { amount: limit.amount } : { duration: limit.durationS }),
        requests: [request],
      },
      (error, result) => {
        sampler.stop();
        if (error) reject(error);
        else if (!service.alive()) reject(new Error(`the service died during ${name}:\n${service.output()}`));
        else resolve(summarize(name, result, sampler.peakMib(), cpu()));
      },
    );
    onInstance?.(instance);
  });
}
