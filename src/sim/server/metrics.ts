/** Prometheus text for /metrics: vLLM-style engine metrics and DCGM-style power, all simulated. */
import type { SimEngine } from '../engine/engine.js';
import { SIM_INFO_METRIC } from './identity.js';

export function renderMetrics(engine: SimEngine, nowMs: number, modelName: string, driverLagMs = 0, version = 'unknown'): string {
  const s = engine.stats();
  const lbl = `{model_name="${modelName}",engine="0"}`;
  const gpu = `{gpu="0",UUID="GPU-sim-0",modelName="agentdyno-sim ${engine.profile.name}",Hostname="agentdyno-sim"}`;
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, labels: string, value: number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${Number.isInteger(value) ? value : value.toFixed(6)}`);
  };
  // First, so a scraper that reads this page as dcgm-exporter still learns it is the simulator.
  metric(SIM_INFO_METRIC, 'gauge', 'This page is served by the agentdyno simulator: every figure on it is SIMULATED.', `{version="${version}",profile="${engine.profile.name}"}`, 1);
  metric('vllm:num_requests_running', 'gauge', 'Number of requests in model execution batches (simulated by agentdyno).', lbl, s.running);
  metric('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed (simulated by agentdyno).', lbl, s.waiting);
  metric('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage, 1 means 100 percent (simulated by agentdyno).', lbl, s.kvUsage);
  metric('vllm:gpu_cache_usage_perc', 'gauge', 'KV-cache usage, 1 means 100 percent; legacy name (simulated by agentdyno).', lbl, s.kvUsage);
  metric('vllm:prefix_cache_queries_total', 'counter', 'Prefix-cache queries, in tokens (simulated by agentdyno).', lbl, s.prefixCacheQueriesTokens);
  metric('vllm:prefix_cache_hits_total', 'counter', 'Prefix-cache hits, in tokens (simulated by agentdyno).', lbl, s.prefixCacheHitsTokens);
  metric('vllm:prompt_tokens_total', 'counter', 'Prefill tokens processed (simulated by agentdyno).', lbl, s.promptTokensTotal);
  metric('vllm:generation_tokens_total', 'counter', 'Generation tokens processed (simulated by agentdyno).', lbl, s.generationTokensTotal);
  metric('vllm:num_preemptions_total', 'counter', 'Cumulative number of preemptions (simulated by agentdyno).', lbl, s.preemptionsTotal);
  metric('vllm:request_success_total', 'counter', 'Finished requests (simulated by agentdyno).', lbl, s.requestsFinishedTotal);
  metric('agentdyno_sim_driver_lag_seconds_total', 'counter', 'Real time the simulator lost to late timer wake-ups while work was queued: when this grows, the host running the simulator is saturated and its timings run slower than the profile models.', '', driverLagMs / 1000);
  metric('DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (in W). SIMULATED by agentdyno from the profile power model, not measured.', gpu, engine.powerW(nowMs));
  metric('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 'counter', 'Total energy consumption since boot (in mJ). SIMULATED by agentdyno from the profile power model, not measured.', gpu, Math.floor(engine.energyJ(nowMs) * 1000));
  return lines.join('\n') + '\n';
}
