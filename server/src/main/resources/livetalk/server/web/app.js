// The LiveTalk-J page: creates (or joins, ?session=ID) a session, plays its media against the
// audio clock and drives it through the control API. window.lt holds the counters a test reads.
'use strict';
const $ = (id) => document.getElementById(id);
const FPS = 16, RATE = 16000, SAMPLES_PER_FRAME = RATE / FPS;
const lt = window.lt = {
  sessionId: null, framesDrawn: 0, samplesPlayed: 0, rms: 0, maxAbsAvOffsetMs: 0, avOffsetMs: 0, underruns: 0,
  state: 'connecting', stats: null, errors: [], epoch: 0, cutAt: null, oldSamplesAfterCut: 0, lastFrame: -1, ready: false,
  packets: 0, audioState: '', framesByEpoch: {}, samplesByEpoch: {}, framesSpeaking: 0, speakingSamples: 0, speakingRms: 0,
  skips: 0, skipFrame: 0, drawnEpoch: -1, saidAt: null, saidAfterEpoch: -1, replyDrawnMs: null,
};
let ws, ctx, player, frames = [], clock = -1, playingEpoch = 0, lastPlayed = 0;

window.addEventListener('error', (e) => error('page: ' + e.message));
window.addEventListener('unhandledrejection', (e) => error('page: ' + (e.reason && e.reason.message || e.reason)));
function log(s) { const d = document.createElement('div'); d.textContent = s; $('log').prepend(d); }
function error(s) { lt.errors.push(s); $('error').textContent = s; log('error: ' + s); }

async function api(method, path, body, type) {
  const r = await fetch(path, {method, body, headers: type ? {'Content-Type': type} : {}});
  const j = await r.json().catch(() => ({error: 'HTTP ' + r.status}));
  if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
  return j;
}

async function start() {
  ctx = new AudioContext({sampleRate: RATE});
  await ctx.audioWorklet.addModule('/player.js');
  player = new AudioWorkletNode(ctx, 'pcm-player', {outputChannelCount: [1]});
  player.connect(ctx.destination);
  player.onprocessorerror = () => error('the audio player stopped');
  player.port.onmessage = (e) => {
    const m = e.data;
    clock = m.clock; playingEpoch = m.epoch;
    const delta = m.played - lastPlayed; lastPlayed = m.played;
    lt.samplesPlayed = m.played; lt.underruns = m.underruns;
    lt.samplesByEpoch[m.epoch] = (lt.samplesByEpoch[m.epoch] || 0) + delta;
    if (lt.cutAt !== null && m.epoch < lt.epoch) lt.oldSamplesAfterCut += delta;
    lt.rms = m.played ? Math.sqrt(m.sumSq / m.played) : 0;
    lt.speakingSamples = m.speakPlayed; lt.speakingRms = m.speakPlayed ? Math.sqrt(m.speakSumSq / m.speakPlayed) : 0;
    lt.buffering = !m.playing && lt.state !== 'connecting';
    lt.audioState = ctx.state; lt.queued = m.queued;
  };
  if (ctx.state !== 'running') {
    $('start').style.display = 'flex';
    $('start-btn').onclick = () => { ctx.resume(); $('start').style.display = 'none'; };
  }
  const join = new URLSearchParams(location.search).get('session');
  try {
    lt.sessionId = join || (await api('POST', '/api/sessions')).id;
  } catch (e) { error('cannot create a session: ' + e.message); return; }
  connect();
  requestAnimationFrame(draw);
}

function connect() {
  ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/sessions/' + lt.sessionId);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => { lt.ready = true; log('connected to session ' + lt.sessionId); };
  ws.onclose = (e) => { lt.ready = false; if (e.code !== 1000) error('connection closed (' + e.code + (e.reason ? ': ' + e.reason : '') + ')'); };
  ws.onmessage = (e) => (typeof e.data === 'string' ? onJson(JSON.parse(e.data)) : onMedia(e.data));
}

function onJson(m) {
  if (m.type === 'stats') showStats(m);
  else if (m.type === 'cut') { lt.epoch = m.epoch; lt.cutAt = performance.now(); frames = frames.filter((f) => f.epoch >= m.epoch); player.port.postMessage({type: 'cut', epoch: m.epoch}); }
  else if (m.type === 'skip') skipTo(m.frame, m.sample);
  else if (m.type === 'state') setState(m.state);
  else if (m.type === 'reply') { if (m.text) log('avatar: ' + m.text); }
  else if (m.type === 'error') error(m.message);
  else if (m.type === 'closed') error('the session was closed');
}

// A reply's first frames and audio are here (the server sends this after them): what is queued
// before them (listening, thinking) is dropped, so the reply plays now instead of after it.
function skipTo(frame, sample) {
  lt.skips++; lt.skipFrame = Math.max(lt.skipFrame, frame);
  frames = frames.filter((f) => f.index >= frame);
  player.port.postMessage({type: 'skip', stamp: sample});
}

function onMedia(buf) {
  const v = new DataView(buf), kind = v.getUint8(0), state = v.getUint8(1), epoch = v.getUint32(4, true), stamp = v.getUint32(8, true), n = v.getUint32(12, true);
  lt.packets++;
  if (epoch < lt.epoch) return;                                  // from before a barge-in: never shown
  if (kind === 1) {
    createImageBitmap(new Blob([new Uint8Array(buf, 16)], {type: 'image/jpeg'})).then((img) => {
      if (epoch < lt.epoch || stamp < lt.skipFrame) return;      // decoded after a cut or a skip dropped its time
      frames.push({epoch, state, index: stamp, img});
      frames.sort((a, b) => a.index - b.index);
    });
  } else if (kind === 2) {
    const pcm = new Int16Array(buf.slice(16, 16 + 2 * n)), f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = pcm[i] / 32768;
    player.port.postMessage({type: 'chunk', epoch, state, stamp, samples: f}, [f.buffer]);
  }
}

// Draw the newest frame whose time has come on the audio clock; older ones are skipped.
// Animation frames stop in a hidden tab while the audio plays on, so a timer keeps the clock's
// frames moving there too (the counters stay true for a page in the background).
function draw() {
  requestAnimationFrame(draw);
  drawOnce();
}
setInterval(() => { if (document.hidden) drawOnce(); }, 20);

function drawOnce() {
  if (clock < 0) return;
  const now = clock / SAMPLES_PER_FRAME;                         // audio clock in frames
  let pick = null;
  while (frames.length && frames[0].index <= now) pick = frames.shift();
  if (pick) {
    const c = $('screen').getContext('2d');
    c.drawImage(pick.img, 0, 0, 512, 512);
    pick.img.close && pick.img.close();
    lt.framesDrawn++; lt.lastFrame = pick.index; lt.drawnEpoch = pick.epoch;
    if (lt.saidAt !== null && pick.state === 2 && pick.epoch > lt.saidAfterEpoch) {
      // the reply's first frame on screen: what the user waited for since saying something (speech source included)
      lt.replyDrawnMs = performance.now() - lt.saidAt; lt.saidAt = null;
      $('s-reply').textContent = lt.replyDrawnMs.toFixed(0) + ' ms';
    }
    lt.framesByEpoch[pick.epoch] = (lt.framesByEpoch[pick.epoch] || 0) + 1;
    if (pick.state === 2) lt.framesSpeaking++;
    lt.avOffsetMs = (now - pick.index) * 1000 / FPS;
    if (pick.epoch === playingEpoch) lt.maxAbsAvOffsetMs = Math.max(lt.maxAbsAvOffsetMs, Math.abs(lt.avOffsetMs));
  }
  $('s-av').textContent = lt.avOffsetMs.toFixed(0) + ' ms (max ' + lt.maxAbsAvOffsetMs.toFixed(0) + ')';
  $('notice').textContent = lt.buffering && lt.state === 'speaking' ? 'buffering: generation is slower than real time here, audio and video wait together' : '';
}

function setState(s) { lt.state = s; $('state').textContent = s; $('state').className = s; }

function showStats(s) {
  lt.stats = s; setState(s.state);
  $('s-ttff').textContent = s.first_frame_ms == null ? '–' : s.first_frame_ms + ' ms out, ' + s.first_frame_shown_ms + ' ms on screen';
  $('s-block').textContent = s.block_ms + ' ms';
  $('s-rtf').textContent = s.real_time_factor == null ? '–' : s.real_time_factor + (s.real_time_factor > 1 ? ' (slower than real time)' : '');
  $('s-miss').textContent = s.deadline_misses + ' / ' + lt.underruns;
  $('s-buf').textContent = s.buffered_ms + ' ms';
  $('s-count').textContent = s.turns + ' / ' + s.blocks + ' / ' + lt.framesDrawn;
  $('s-sink').textContent = s.sink_frames + ' / ' + (s.memory_bytes / 1048576).toFixed(1) + ' MB';
  $('s-prompt').textContent = s.prompt;
}

lt.say = (text, prompt) => {
  lt.saidAt = performance.now(); lt.saidAfterEpoch = lt.drawnEpoch;
  const m = {type: 'say', text};
  if (prompt) m.prompt = prompt;
  ws.send(JSON.stringify(m));
};
lt.interrupt = () => ws.send(JSON.stringify({type: 'interrupt'}));

$('say').onclick = () => { const t = $('text').value.trim(); if (t) { lt.say(t, $('prompt').value.trim()); log('you: ' + t); $('text').value = ''; } };
$('text').onkeydown = (e) => { if (e.key === 'Enter') $('say').onclick(); };
$('interrupt').onclick = () => lt.interrupt();
$('wav').onchange = async () => {
  const f = $('wav').files[0]; if (!f) return;
  try { await api('POST', '/api/sessions/' + lt.sessionId + '/audio', f, 'audio/wav'); log('speaking ' + f.name); }
  catch (e) { error('upload: ' + e.message); }
  $('wav').value = '';
};

// Microphone: 16-bit PCM packets (kind 3) while the button is on; mic_end when it goes off.
let mic = null;
lt.startMic = async () => {
  if (mic) return;
  const stream = await navigator.mediaDevices.getUserMedia({audio: {echoCancellation: true}});
  await ctx.audioWorklet.addModule('/mic.js');
  const src = ctx.createMediaStreamSource(stream), node = new AudioWorkletNode(ctx, 'mic-capture');
  node.port.onmessage = (e) => {
    const f = e.data, buf = new ArrayBuffer(16 + 2 * f.length), v = new DataView(buf);
    v.setUint8(0, 3); v.setUint32(12, ctx.sampleRate, true);
    for (let i = 0; i < f.length; i++) v.setInt16(16 + 2 * i, Math.max(-1, Math.min(1, f[i])) * 32767, true);
    if (ws.readyState === 1) ws.send(buf);
  };
  src.connect(node);
  mic = {stream, node, src};
  $('mic').textContent = 'Stop microphone';
};
lt.stopMic = () => {
  if (!mic) return;
  mic.src.disconnect(); mic.node.disconnect(); mic.stream.getTracks().forEach((t) => t.stop()); mic = null;
  ws.send(JSON.stringify({type: 'mic_end'}));
  $('mic').textContent = 'Microphone';
};
$('mic').onclick = () => (mic ? lt.stopMic() : lt.startMic().catch((e) => error('microphone: ' + e.message)));

let recording = false;
$('record').onclick = async () => {
  try {
    if (!recording) { await api('POST', '/api/sessions/' + lt.sessionId + '/recording/start'); recording = true; $('record').textContent = 'Stop recording'; }
    else {
      const r = await api('POST', '/api/sessions/' + lt.sessionId + '/recording/stop'); recording = false;
      $('record').textContent = 'Record'; $('download').href = r.file; $('download').style.display = '';
    }
  } catch (e) { error('recording: ' + e.message); }
};

start();
