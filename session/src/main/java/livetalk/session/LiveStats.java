package livetalk.session;

import java.util.LinkedHashMap;
import java.util.Map;

/** The counters of one {@link LiveStream}, as serve's stats API and page show them. Guarded by the stream. */
final class LiveStats {
    long blocks, frames, audioSamples, deadlineMisses, droppedBlocks, promptSwitches;
    /** Blocks given up part way because a reply overtook them (LiveStream.step). */
    long overtakenBlocks;
    double firstFrameMs = Double.NaN;        // last turn: from the user's input to the turn's first frame leaving the server
    double firstFrameShownMs = Double.NaN;   // … to the client showing it, in serve's model of the page (LiveStream.firstFrameShownMs)
    double lastBlockMs, lastSwitchMs;
    /** Exponential moving average of compute time / media time per block. */
    double realTimeFactor = Double.NaN;

    void block(double computeSeconds, double mediaSeconds) {
        blocks++;
        lastBlockMs = computeSeconds * 1000;
        double rtf = computeSeconds / mediaSeconds;
        realTimeFactor = Double.isNaN(realTimeFactor) ? rtf : 0.8 * realTimeFactor + 0.2 * rtf;
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("blocks", blocks);
        m.put("frames", frames);
        m.put("audio_samples", audioSamples);
        m.put("first_frame_ms", Double.isNaN(firstFrameMs) ? null : round(firstFrameMs));
        m.put("first_frame_shown_ms", Double.isNaN(firstFrameShownMs) ? null : round(firstFrameShownMs));
        m.put("block_ms", round(lastBlockMs));
        m.put("real_time_factor", Double.isNaN(realTimeFactor) ? null : Math.round(realTimeFactor * 1000) / 1000.0);
        m.put("deadline_misses", deadlineMisses);
        m.put("dropped_blocks", droppedBlocks);
        m.put("overtaken_blocks", overtakenBlocks);
        m.put("prompt_switches", promptSwitches);
        m.put("prompt_switch_ms", round(lastSwitchMs));
        return m;
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
