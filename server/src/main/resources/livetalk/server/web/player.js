// AudioWorklet: plays the session's PCM chunks in stamp order and is the page's clock.
// Every chunk carries {epoch, stamp (first sample on the 16 kHz session clock), samples}.
// The clock is the stamp of the next sample to play: it advances only while audio plays (and jumps
// where a skip drops queued chunks), so frames drawn against it can never drift from the sound. When the queue runs dry the clock
// stops (an underrun: the page says it is buffering) instead of skipping ahead.
class PcmPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];          // [{epoch, stamp, samples, pos}]
    this.clock = -1;          // stamp of the next sample to play, -1 before the first
    this.epoch = 0;           // samples of older epochs are dropped (barge-in)
    this.playing = false;     // false while (re)filling the jitter buffer
    this.prebuffer = 3200;    // 0.2 s at 16 kHz before (re)starting
    this.played = 0; this.sumSq = 0; this.speakPlayed = 0; this.speakSumSq = 0; this.underruns = 0; this.lastReport = 0;
    this.port.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'chunk') {
        if (m.epoch < this.epoch) return;
        this.queue.push({epoch: m.epoch, state: m.state, stamp: m.stamp, samples: m.samples, pos: 0});
      } else if (m.type === 'cut') {
        this.epoch = m.epoch;
        this.queue = this.queue.filter((c) => c.epoch >= m.epoch);
        this.playing = false;
      } else if (m.type === 'skip') {
        // a reply's first chunk is queued: what would play before it goes, and it plays next
        this.queue = this.queue.filter((c) => c.stamp >= m.stamp);
      }
    };
  }

  queued() {
    let n = 0;
    for (const c of this.queue) n += c.samples.length - c.pos;
    return n;
  }

  process(inputs, outputs) {
    const out = outputs[0][0];
    if (!this.playing && this.queued() >= this.prebuffer) this.playing = true;
    let i = 0;
    while (this.playing && i < out.length) {
      const c = this.queue[0];
      if (!c) { this.playing = false; this.underruns++; break; }
      const n = Math.min(out.length - i, c.samples.length - c.pos);
      let sq = 0;
      for (let k = 0; k < n; k++) {
        const v = c.samples[c.pos + k];
        out[i + k] = v;
        sq += v * v;
      }
      this.sumSq += sq;
      if (c.state === 2) { this.speakPlayed += n; this.speakSumSq += sq; }
      this.clock = c.stamp + c.pos + n;
      this.epochPlaying = c.epoch;
      c.pos += n; i += n; this.played += n;
      if (c.pos === c.samples.length) this.queue.shift();
    }
    for (; i < out.length; i++) out[i] = 0;
    if (currentTime - this.lastReport > 0.03) {
      this.lastReport = currentTime;
      this.port.postMessage({clock: this.clock, epoch: this.epochPlaying || 0, played: this.played, sumSq: this.sumSq,
        speakPlayed: this.speakPlayed, speakSumSq: this.speakSumSq,
        underruns: this.underruns, queued: this.queued(), playing: this.playing});
    }
    return true;
  }
}
registerProcessor('pcm-player', PcmPlayer);
