/**
 * Call page: join a room with camera and microphone (client/sdk/callClient.ts), show every participant, and draw
 * the room's live events over their videos. The server analyses each publishing participant as the stream
 * `<room>-<participantId>` (src/ingest/callRoom.ts), which is how events find their tile.
 */
import { type CallClient, joinCall } from '../../sdk/callClient.ts';
import { connect, type MicroEmoClient } from '../../sdk/index.ts';
import type { Size } from '../common/geometry.ts';
import { $, serverUrl, tokenInput } from '../common/session.ts';
import { Tile } from './tile.ts';

const form = $('#join') as HTMLFormElement;
const roomInput = $('#room') as HTMLInputElement;
const nameInput = $('#name') as HTMLInputElement;
const leaveButton = $('#leave') as HTMLButtonElement;
const joinButton = $('#join-button') as HTMLButtonElement;
const status = $('#status');
const tilesEl = $('#tiles');
const token = tokenInput($('#token') as HTMLInputElement);

const params = new URLSearchParams(location.search);
roomInput.value = params.get('room') ?? roomInput.value;
nameInput.value = params.get('name') ?? '';

let call: CallClient | undefined;
let events: MicroEmoClient | undefined;
let room = '';
const tiles = new Map<string, Tile>();
/** analysis frame sizes from stream.started, kept for tiles that appear after their stream started */
const analysis = new Map<string, Size>();

function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

const streamIdOf = (participantId: string) => `${room}-${participantId}`;

function tileFor(participantId: string, name: string, local = false): Tile {
  const id = streamIdOf(participantId);
  let tile = tiles.get(id);
  if (!tile) {
    tile = new Tile(id, name, local);
    const size = analysis.get(id);
    if (size) tile.analysis = size;
    tiles.set(id, tile);
    tilesEl.append(tile.root);
  }
  return tile;
}

function dropTile(participantId: string): void {
  const id = streamIdOf(participantId);
  tiles.get(id)?.remove();
  tiles.delete(id);
}

async function subscribeEvents(): Promise<MicroEmoClient> {
  const client = connect(serverUrl(), { token: token() });
  client.on('stream.started', (e) => {
    if (e.video?.width && e.video.height) {
      const size = { width: e.video.width, height: e.video.height };
      analysis.set(e.streamId, size);
      const tile = tiles.get(e.streamId);
      if (tile) tile.analysis = size;
    }
  });
  client.on('face.frame', (e) => tiles.get(e.streamId)?.onFaceFrame(e));
  client.on('emotion', (e) => tiles.get(e.streamId)?.onEmotion(e));
  client.on('microexpression', (e) => tiles.get(e.streamId)?.onMicro(e));
  client.on('utterance.start', (e) => tiles.get(e.streamId)?.onUtterance(true));
  client.on('utterance.end', (e) => tiles.get(e.streamId)?.onUtterance(false));
  client.on('stream.ended', (e) => tiles.get(e.streamId)?.onUtterance(false));
  await new Promise<void>((resolve, reject) => {
    if (client.socket.connected) return resolve();
    client.socket.once('connect', () => resolve());
    client.socket.once('connect_error', (err) => reject(new Error(`events: ${err.message}`)));
  });
  await client.subscribe({ room });
  return client;
}

async function join(): Promise<void> {
  room = roomInput.value.trim();
  const name = nameInput.value.trim();
  joinButton.disabled = true;
  say('asking for camera and microphone…');
  let media: MediaStream | undefined;
  try {
    media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
    // Subscribing before joining means our own stream.started (with its analysis frame size) is not missed.
    say('connecting to the event stream…');
    events = await subscribeEvents();
    say(`joining ${room}…`);
    call = await joinCall(serverUrl(), {
      room,
      name,
      stream: media,
      on: {
        track: ({ participantId, name: who, stream }) => tileFor(participantId, who).attach(stream),
        'participant-joined': (p) => say(`${p.name} joined`),
        'participant-left': (p) => {
          dropTile(p.id);
          say(`${p.name} left (${p.reason})`);
        },
        error: (e) => say(`${e.event ?? 'call'}: ${e.error}`, true),
      },
    });
    tileFor(call.id, name, true).attach(media);
    for (const [id, stream] of call.remoteStreams) tileFor(id, call.participants.get(id)?.name ?? id).attach(stream);
    leaveButton.hidden = false;
    joinButton.hidden = true;
    say(`in ${room} as ${name}`);
  } catch (err) {
    for (const t of media?.getTracks() ?? []) t.stop();
    events?.close();
    events = undefined;
    joinButton.disabled = false;
    say((err as Error).message, true);
  }
}

async function leave(): Promise<void> {
  await call?.leave();
  call = undefined;
  events?.close();
  events = undefined;
  for (const tile of tiles.values()) {
    for (const t of (tile.video.srcObject as MediaStream | null)?.getTracks() ?? []) t.stop();
    tile.remove();
  }
  tiles.clear();
  leaveButton.hidden = true;
  joinButton.hidden = false;
  joinButton.disabled = false;
  say('left the call');
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void join();
});
leaveButton.addEventListener('click', () => void leave());
addEventListener('pagehide', () => void call?.leave());
