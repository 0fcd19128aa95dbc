/**
 * OBS page: the WHIP address of a room on this server and the bearer token to paste into OBS. The token shown is
 * only what the user typed: publish tokens are server configuration and are never sent to a browser.
 */
import { $, serverUrl } from '../common/session.ts';

const roomInput = $('#room') as HTMLInputElement;
const tokenInput = $('#token') as HTMLInputElement;
const urlOut = $('#whip-url') as HTMLInputElement;
const bearerOut = $('#bearer') as HTMLInputElement;
const status = $('#status');

const room = new URLSearchParams(location.search).get('room');
if (room) roomInput.value = room;

function render(): void {
  const r = roomInput.value.trim();
  const valid = /^[A-Za-z0-9_-]{1,64}$/.test(r);
  urlOut.value = valid ? `${serverUrl()}/whip/${encodeURIComponent(r)}` : '';
  bearerOut.value = tokenInput.value.trim();
  status.textContent = valid ? '' : 'a room is 1–64 of A-Z a-z 0-9 _ -';
  status.classList.toggle('error', !valid);
}

document.querySelectorAll<HTMLButtonElement>('button[data-copy]').forEach((button) => {
  button.addEventListener('click', async () => {
    const input = $(`#${button.dataset.copy}`) as HTMLInputElement;
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = 'copied';
    } catch {
      // clipboard API needs a secure context (https or localhost): the text is selected for Ctrl+C instead
      status.textContent = 'press Ctrl+C to copy the selected text';
    }
  });
});
roomInput.addEventListener('input', render);
tokenInput.addEventListener('input', render);
render();
