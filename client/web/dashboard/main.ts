/**
 * Dashboard: pick a stream from GET /streams (a recording that is still growing is live), then see its timelines
 * and the latest explanations. A finished recording is loaded once over REST; a live stream is subscribed over
 * socket.io with `sinceSeq: 0`, which replays what was recorded and then goes on live, each event once.
 */
import { connect, type EventOf, type MicroEmoClient, type MicroEmoEvent } from '../../sdk/index.ts';
import { pct, signed } from '../common/labels.ts';
import { $, el, getJson, serverUrl, tokenInput } from '../common/session.ts';
import { Timelines } from './charts.ts';

interface StreamSummary {
  streamId: string;
  room: string;
  events: number;
  lastT: number;
  ended: boolean;
  endReason?: string;
}

const select = $('#stream') as HTMLSelectElement;
const status = $('#status');
const explanations = $('#explanations');
const token = tokenInput($('#token') as HTMLInputElement);
const charts = new Timelines({
  probs: $('#chart-probs') as HTMLCanvasElement,
  va: $('#chart-va') as HTMLCanvasElement,
  timeline: $('#chart-timeline') as HTMLCanvasElement,
});
// A handle for the browser console (and the page test): the charts and what is shown.
Object.assign(window, { microemo: { charts, shown: () => shown } });

let streams: StreamSummary[] = [];
let live: MicroEmoClient | undefined;
let shown: { streamId: string; live: boolean; events: number } | undefined;
const EXPLANATIONS_SHOWN = 8;

function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

async function loadStreams(): Promise<void> {
  try {
    streams = (await getJson<{ streams: StreamSummary[] }>('/streams', token())).streams;
  } catch (err) {
    return say(`streams: ${(err as Error).message}`, true);
  }
  const wanted = new URLSearchParams(location.search).get('stream') ?? select.value;
  // live ones first, then the most recent recordings
  streams.sort((a, b) => Number(a.ended) - Number(b.ended) || b.lastT - a.lastT);
  select.replaceChildren(
    ...streams.map((s) =>
      el(
        'option',
        { value: s.streamId },
        `${s.ended ? 'recorded' : '● live'} · ${s.room} · ${s.streamId} (${s.lastT.toFixed(0)} s)`,
      ),
    ),
  );
  if (!streams.length) select.append(el('option', { value: '' }, '— no streams yet —'));
  if (wanted && streams.some((s) => s.streamId === wanted)) select.value = wanted;
  say(`${streams.length} streams`);
}

function explain(e: EventOf<'emotion'>): void {
  const words = e.descriptors
    .slice(0, 3)
    .map((d) => d.word)
    .join(', ');
  const item = el(
    'li',
    {},
    el('strong', {}, `${e.label} ${pct(e.confidence)}`),
    words ? ` — ${words}` : '',
    el('div', {}, e.explanation),
    el(
      'div',
      { class: 'meta' },
      `${e.start.toFixed(1)}–${e.end.toFixed(1)} s · valence ${signed(e.valence)} · arousal ${signed(e.arousal)}` +
        (e.final ? '' : ' · partial'),
    ),
  );
  // a partial is replaced by the next partial or the final of the same utterance
  const key = e.utteranceId ?? `window-${e.trackId}`;
  explanations.querySelector(`li[data-key="${CSS.escape(key)}"]`)?.remove();
  item.dataset.key = key;
  explanations.prepend(item);
  while (explanations.children.length > EXPLANATIONS_SHOWN) explanations.lastElementChild?.remove();
}

function onEvent(e: MicroEmoEvent): void {
  if (shown) shown.events++;
  charts.add(e);
  if (e.type === 'emotion') explain(e);
  if (e.type === 'stream.ended') say(`${e.streamId} ended (${e.reason})`);
}

async function show(streamId: string): Promise<void> {
  live?.close();
  live = undefined;
  explanations.replaceChildren();
  const summary = streams.find((s) => s.streamId === streamId);
  if (!summary) return say('pick a stream', true);
  const isLive = !summary.ended;
  shown = { streamId, live: isLive, events: 0 };
  charts.reset(isLive);
  if (!isLive) {
    say(`loading ${streamId}…`);
    try {
      const { events } = await getJson<{ events: MicroEmoEvent[] }>(
        `/streams/${encodeURIComponent(streamId)}/events?since=0`,
        token(),
      );
      for (const e of events) onEvent(e);
      charts.redraw();
      say(`${streamId}: ${events.length} recorded events (${summary.endReason ?? 'ended'})`);
    } catch (err) {
      say((err as Error).message, true);
    }
    return;
  }
  const client = connect(serverUrl(), { token: token() });
  live = client;
  client.on('*', onEvent);
  client.socket.on('connect_error', (err) => say(`events: ${err.message}`, true));
  try {
    await client.subscribe({ streamId, sinceSeq: 0 });
    say(`${streamId}: live`);
  } catch (err) {
    say((err as Error).message, true);
  }
}

$('#refresh').addEventListener('click', () => void loadStreams());
($('#pick') as HTMLFormElement).addEventListener('submit', (ev) => {
  ev.preventDefault();
  void show(select.value);
});
void loadStreams().then(() => {
  const wanted = new URLSearchParams(location.search).get('stream');
  if (wanted && select.value === wanted) void show(wanted);
});
