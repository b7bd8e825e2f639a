/**
 * Getting a target ready for replay (I/O edge): the endpoint (or the embedded simulator the
 * command starts), its model, a streaming + forced-length probe, token-count calibration, and the
 * power channels. Every failure is one AgentdynoError paragraph naming the URL and what to do.
 */
import { AgentdynoError, errorMessage } from '../core/index.js';
import { EndpointClient, faultFamily, withDeadline, type ChatMessage, type SimulatorIdentity, type StreamingProbe } from '../endpoint/index.js';
import { openPowerChannel, type PowerChannel } from '../power/index.js';
import { ASSUMED_TOKEN_MODEL, calibrateTokenModel, type TokenModel } from './prompt.js';
import { apiPath, promptFields, renderCompletionPrompt, type ApiMode } from './completions-prompt.js';

export interface EmbeddedSim {
  url: string;
  profileName: string;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** Endpoint URL; absent = start the embedded simulator. */
  target?: string;
  model?: string;
  apiKeyEnv?: string;
  startEmbeddedSim: () => Promise<EmbeddedSim>;
  /** --power specs; default ['sim'] for the embedded simulator, none otherwise. */
  power?: string[];
  /** Run even when the endpoint does not honour ignore_eos/min_tokens (results not comparable). */
  allowUnforcedOutput?: boolean;
  /** Route the lanes will use (default chat); the probe and the calibration use the same one. */
  api?: ApiMode;
  /** Overall deadline of each set-up step: model listing, streaming probe, calibration, power start (default 30 s). */
  setupTimeoutMs?: number;
  /** The lanes' per-call no-token deadline (default 120 s; see EndpointConfig.timeoutMs). */
  requestTimeoutMs?: number;
  /** Ctrl-C / SIGTERM during set-up: every wait ends at once with E_INTERRUPTED. */
  signal?: AbortSignal;
  /** Progress while a step waits ("waiting for GET /v1/models at URL (10 s of 30 s)"; default stderr). */
  onWait?: (text: string) => void;
}

export const DEFAULT_SETUP_TIMEOUT_MS = 30_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

export interface Target {
  url: string;
  model: string;
  maxModelLen: number | null;
  simulated: boolean;
  simProfile: string | null;
  client: EndpointClient;
  probe: StreamingProbe;
  tokenModel: TokenModel;
  forceOutputLength: boolean;
  power: PowerChannel[];
  notes: string[];
  close(): Promise<void>;
}

export async function openTarget(opts: TargetOptions): Promise<Target> {
  let sim: EmbeddedSim | null = null;
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const f of cleanup.reverse()) await f().catch(() => undefined);
  };
  try {
    if (opts.signal?.aborted) throw new AgentdynoError('interrupted before the target was opened; nothing was measured', { code: 'E_INTERRUPTED' });
    if (!opts.target) {
      sim = await opts.startEmbeddedSim();
      cleanup.push(() => sim!.close());
    }
    const url = opts.target ?? sim!.url;
    const setupMs = opts.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
    const step = <T>(what: string, where: string, run: (signal: AbortSignal) => Promise<T>) => withDeadline(what, setupMs, run, { signal: opts.signal, onWait: opts.onWait, where });
    const listClient = new EndpointClient({ baseUrl: url, model: opts.model ?? '', apiKeyEnv: opts.apiKeyEnv, timeoutMs: setupMs });
    const modelsUrl = `${listClient.target.origin}${listClient.target.root}/v1/models`;
    let models;
    let detected: SimulatorIdentity | null;
    try {
      ({ models, simulator: detected } = await step(`GET /v1/models at ${modelsUrl}`, modelsUrl, (signal) => listClient.describeServer(signal, opts.api))); // Messages: x-api-key
    } finally {
      await listClient.close(true);
    }
    // The simulator however reached (embedded, or a `sim serve` behind --target): figures are SIMULATED.
    const simulated = sim !== null || detected !== null;
    if (!models.length) throw new AgentdynoError('GET /v1/models lists no model', { code: 'E_ENDPOINT_PROTOCOL', where: url, hint: 'Pass --model NAME explicitly, or check the server.' });
    const model = opts.model ?? models[0].id;
    const info = models.find((m) => m.id === model);
    if (opts.model && !info) {
      throw new AgentdynoError(`model "${opts.model}" is not served (served: ${models.map((m) => m.id).join(', ')})`, { code: 'E_USAGE', where: `${url}/v1/models`, hint: 'Pass one of the served names with --model.' });
    }
    const client = new EndpointClient({ baseUrl: url, model, apiKeyEnv: opts.apiKeyEnv, timeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS });
    cleanup.push(() => client.close(true));
    // Set-up calls get the set-up deadline as their own no-token deadline, so a stalled probe says
    // how far it got (no_answer, headers_only, keepalive_only) instead of only "too slow".
    const setupClient = new EndpointClient({ baseUrl: url, model, apiKeyEnv: opts.apiKeyEnv, timeoutMs: setupMs });
    cleanup.push(() => setupClient.close(true));
    const api = opts.api ?? 'chat';
    const where = `${client.target.origin}${client.target.root}${apiPath(api)}`;
    // The probe's own no-token deadline (setupMs) fires first and says how far it got; this one is the backstop.
    const probe = await withDeadline(`a streaming test request to POST ${where}`, setupMs + 2_000, (signal) => setupClient.probeStreaming({ api, maxTokens: 16, signal }), { signal: opts.signal, onWait: opts.onWait, where });
    if (!probe.ok && probe.errorClass !== null && probe.errorClass !== 'aborted') {
      const fam = faultFamily(probe.errorClass);
      if (fam === 'timeout') {
        throw new AgentdynoError(`the streaming test request got no token (${probe.errorClass}: ${probe.errorMessage ?? 'no message'})`, { code: 'E_ENDPOINT_TIMEOUT', where,
          hint: 'The server answers too slowly or only with keep-alives: check that the model is loaded and not queued behind other work, or raise --setup-timeout.',
        });
      }
      if (probe.errorClass === 'http_4xx' && /^HTTP (401|403)\b/.test(probe.errorMessage ?? '')) {
        throw new AgentdynoError(`the endpoint refused the streaming test request's credentials (${probe.errorMessage?.slice(0, 160)})`, { code: 'E_ENDPOINT_AUTH', where, hint: 'Pass --api-key-env NAME (the variable holding the key), or check that key.' });
      }
      if (probe.errorClass === 'malformed_sse' || probe.errorClass === 'early_close') {
        throw new AgentdynoError(`the endpoint does not answer a streaming request as server-sent events (${probe.errorClass}: ${probe.errorMessage ?? 'no message'})`, { code: 'E_ENDPOINT_PROTOCOL', where,
          hint: 'Point --target at an OpenAI-compatible server (a proxy or login page answering HTML is not one).',
        });
      }
    }
    if (!probe.ok) {
      if (api === 'completions' && /^HTTP (404|405|501)\b/.test(probe.errorMessage ?? '')) {
        throw new AgentdynoError(`the server has no /v1/completions route (${probe.errorMessage?.slice(0, 160)}), so --api completions cannot run against it`, { code: 'E_ENDPOINT_UNSUPPORTED', where,
          hint: 'Use --api chat (the default; /v1/chat/completions), or point --target at a server that exposes the legacy completions API (vLLM, SGLang and TRT-LLM serve both).',
        });
      }
      throw new AgentdynoError(`a test ${api === 'chat' ? 'chat completion' : `request to ${apiPath(api)}`} failed (${probe.errorClass}: ${probe.errorMessage ?? 'no message'})`, { code: 'E_ENDPOINT_UNSUPPORTED', where,
        hint:
          api !== 'completions'
            ? `The target must serve streaming ${apiPath(api)}; check --target, --model and --api-key-env.`
            : 'With --api completions the target must serve streaming /v1/completions; check --target, --model and --api-key-env, or use --api chat.',
      });
    }
    if (!probe.streamed) {
      throw new AgentdynoError('the endpoint answered the streaming test request in one piece, not as a token stream', { code: 'E_ENDPOINT_UNSUPPORTED', where,
        hint: 'agentdyno times every token: point --target at a server that streams (stream: true, SSE).',
      });
    }
    if (!probe.usagePresent) {
      throw new AgentdynoError('the endpoint streams no usage block (stream_options.include_usage), so token counts would have to be guessed', { code: 'E_ENDPOINT_UNSUPPORTED', where,
        hint: 'Enable usage in streaming responses on the server (vLLM and SGLang send it when asked).',
      });
    }
    const notes: string[] = [];
    if (detected && !sim) notes.push(`SIMULATED: the target is agentdyno's simulator (${detected.via}${detected.version ? `, version ${detected.version}` : ''}${detected.profile ? `, profile ${detected.profile}` : ''}); every figure measured against it is simulated`);
    let forceOutputLength = true;
    if (!probe.honoursForcedLength) {
      if (!opts.allowUnforcedOutput) {
        throw new AgentdynoError(`the endpoint does not honour ignore_eos/min_tokens (asked for ${probe.requestedTokens} tokens, got ${probe.completionTokens})`, { code: 'E_ENDPOINT_UNSUPPORTED', where,
          hint: 'Recorded output lengths cannot be forced, so runs would not be comparable. Pass --allow-unforced-output to run anyway (results are labelled not comparable).',
        });
      }
      forceOutputLength = false;
      notes.push('endpoint ignores ignore_eos/min_tokens: output lengths not forced, results NOT comparable');
    }
    // Token calibration: /tokenize when offered, else prompt_tokens of max_tokens=1 probes.
    // Completions: the rendered template string goes to /tokenize as `prompt` (tokenized like a
    // /v1/completions prompt, special tokens included), so the model covers the template's overheads.
    const tokenizeInput = (messages: ChatMessage[]) => (api === 'completions' ? renderCompletionPrompt(messages) : messages);
    let tokenModel = await step(`token-count calibration (POST /tokenize, else max_tokens=1 probes) at ${url}`, url, async (signal) => {
      const viaTokenize = await calibrateTokenModel(async (messages: ChatMessage[]) => (await setupClient.tokenize(tokenizeInput(messages), signal).catch(() => null))?.count ?? null, 'tokenize');
      if (viaTokenize || signal.aborted) return viaTokenize;
      return calibrateTokenModel(async (messages) => {
        const r = await setupClient.send({ ...promptFields(api, messages), maxTokens: 1, signal });
        return r.usage?.promptTokens ?? null;
      }, 'usage-probe');
    });
    if (!tokenModel) {
      tokenModel = ASSUMED_TOKEN_MODEL;
      notes.push('prompt sizes could not be calibrated (no /tokenize, no usage): assumed 1 token per word');
    }
    const specs = opts.power ?? (simulated ? ['sim'] : []);
    const simMetricsUrl = sim ? `${sim.url}/metrics` : detected ? `${client.target.origin}${client.target.root}/metrics` : undefined;
    const power: PowerChannel[] = [];
    for (const spec of specs) {
      const ch = await openPowerChannel(spec, { simMetricsUrl });
      cleanup.push(() => ch.stop());
      await step(`power source ${spec} to start`, spec, () => ch.start());
      power.push(ch);
    }
    return {
      url,
      model,
      maxModelLen: info?.maxModelLen ?? null,
      simulated,
      simProfile: sim?.profileName ?? detected?.profile ?? null,
      client,
      probe,
      tokenModel,
      forceOutputLength,
      power,
      notes,
      close,
    };
  } catch (e) {
    await close();
    if (e instanceof AgentdynoError) throw e;
    throw new AgentdynoError(`could not prepare the target: ${errorMessage(e)}`, { code: 'E_ENDPOINT_UNREACHABLE', where: opts.target ?? 'embedded simulator', hint: 'Check --target and that the server is up.' });
  }
}
