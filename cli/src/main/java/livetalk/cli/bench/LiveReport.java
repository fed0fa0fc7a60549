package livetalk.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import livetalk.session.BlockClock;
import livetalk.session.Conversation;

/**
 * What {@link LiveScript} saw, per turn and for the listening blocks, as {@code bench-live}
 * prints it (a table) and writes it (JSON).
 *
 * <ul>
 *   <li><b>first frame</b>: the stream's own figure, as serve's stats show it: from the turn's
 *       start (its audio all there) to its first frame leaving.</li>
 *   <li><b>on screen</b> (when paced): from the turn's start until a player in real time shows that
 *       frame (serve's {@code first_frame_shown_ms}); a reply skips the media queued ahead of it and
 *       a barge-in's page drops its queue, so it is at most 50 ms after the first frame's time.</li>
 *   <li><b>block time</b>: a block's time on the busier of its two stages, what one costs when
 *       blocks overlap ({@code LiveSession.Block#stageSeconds}, serve's {@code block_ms}); the
 *       real-time factor is that over the block's media time (0.75 s). The two stages' medians
 *       beside it: the DiT stage (audio conditioning, 4 denoising steps, the clean pass) and the
 *       decode stage (the VAE, RGB, the frames' JPEG encoding), which runs beside the next block's.</li>
 *   <li><b>frames/s</b>: the turn's frames after its first group, over the time from its first
 *       frame to its last.</li>
 *   <li><b>deadline misses</b>: blocks whose frames left after the media clock reached them
 *       (serve's count); only when paced, since a client taking frames as fast as they come has no clock.</li>
 * </ul>
 */
public final class LiveReport {
    /** One line of the table. {@code misses}: null when not paced. {@code memory}: null for the listening row. */
    record Row(String name, int blocks, int frames, double firstFrameS, double firstShownS, double totalS, double[] blockS, double ditS, double decodeS,
               double framesPerS, double realTimeFactor, Integer misses, LiveScript.Memory memory) {
    }

    private final LiveScript.Options options;
    private final List<LiveScript.BlockRecord> blocks;
    private final List<LiveScript.TurnRecord> turns;
    private final long droppedBlocks, overtakenBlocks, startNanos, wallNanos;

    /** {@code startNanos}: when the script started, the session ready ({@link System#nanoTime}); {@code wallNanos}: how long it ran. */
    LiveReport(LiveScript.Options options, List<LiveScript.BlockRecord> blocks, List<LiveScript.TurnRecord> turns, long droppedBlocks, long overtakenBlocks,
               long startNanos,
               long wallNanos) {
        this.options = options;
        this.blocks = List.copyOf(blocks);
        this.turns = List.copyOf(turns);
        this.droppedBlocks = droppedBlocks;
        this.overtakenBlocks = overtakenBlocks;
        this.startNanos = startNanos;
        this.wallNanos = wallNanos;
    }

    /**
     * From the script's start to the session's first frame out: block 0's latent frame 0 is the
     * reference latent, decoded while that block is denoised (docs/sampler.md#streaming), so this is
     * what a user waits for the avatar to appear. NaN if no frame came.
     */
    double sessionFirstFrameS() {
        long first = blocks.stream().mapToLong(r -> r.firstOutNanos).filter(t -> t != 0).min().orElse(0);
        return first == 0 ? Double.NaN : (first - startNanos) / 1e9;
    }

    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (LiveScript.TurnRecord t : turns) {
            List<LiveScript.BlockRecord> bs = select(r -> r.take.epoch() == t.epoch && r.take.state() == Conversation.State.SPEAKING);
            double total = t.lastOutNanos == 0 ? Double.NaN : (t.lastOutNanos - t.startNanos) / 1e9;
            double fps = t.lastOutNanos > t.firstOutNanos ? (t.frames - t.firstGroupFrames) / ((t.lastOutNanos - t.firstOutNanos) / 1e9) : Double.NaN;
            rows.add(row("turn " + t.number + (cut(t) ? " (cut)" : ""), bs, t.frames, t.firstFrameMs / 1000, t.firstFrameShownMs / 1000, total, fps,
                    t.memory));
        }
        List<LiveScript.BlockRecord> listening = select(r -> r.take.state() != Conversation.State.SPEAKING);
        rows.add(row("listening", listening, listening.stream().mapToInt(r -> r.framesOut).sum(), Double.NaN, Double.NaN, Double.NaN, Double.NaN, null));
        return rows;
    }

    private Row row(String name, List<LiveScript.BlockRecord> bs, int frames, double firstFrameS, double firstShownS, double totalS, double fps,
                    LiveScript.Memory memory) {
        double[] stage = bs.stream().filter(r -> r.block != null).mapToDouble(r -> r.block.stageSeconds()).sorted().toArray();
        double[] rtf = bs.stream().filter(r -> r.block != null)
                .mapToDouble(r -> r.block.stageSeconds() / (r.take.pcm().length / (double) BlockClock.SAMPLE_RATE)).sorted().toArray();
        Integer misses = options.paced() ? (int) bs.stream().filter(r -> r.late).count() : null;
        double[] blockS = {quantile(stage, 0.5), quantile(stage, 0.95), stage.length == 0 ? Double.NaN : stage[stage.length - 1]};
        double[] dit = bs.stream().filter(r -> r.block != null).mapToDouble(r -> r.block.ditSeconds()).sorted().toArray();
        double[] decode = bs.stream().filter(r -> r.block != null).mapToDouble(r -> r.block.decodeSeconds()).sorted().toArray();
        return new Row(name, bs.size(), frames, firstFrameS, firstShownS, totalS, blockS, quantile(dit, 0.5), quantile(decode, 0.5), fps, quantile(rtf, 0.5),
                misses, memory);
    }

    private List<LiveScript.BlockRecord> select(Predicate<LiveScript.BlockRecord> p) {
        return blocks.stream().filter(p).toList();
    }

    /** Whether turn {@code t} was cut by the next one (the barge-in). */
    private boolean cut(LiveScript.TurnRecord t) {
        return t.number < turns.size() && turns.get(t.number).cutThePrevious;
    }

    /** Nearest-rank quantile of sorted values; NaN for none. */
    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    /** The barge-in's figures, or null without one. */
    Map<String, Object> bargeIn() {
        LiveScript.TurnRecord newTurn = turns.stream().filter(t -> t.cutThePrevious).findFirst().orElse(null);
        if (newTurn == null) return null;
        LiveScript.TurnRecord old = turns.get(newTurn.number - 2);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cut_turn", old.number);
        m.put("turn", newTurn.number);
        m.put("after_s", (newTurn.startNanos - old.startNanos) / 1e9);
        m.put("cut_turn_blocks", select(r -> r.take.epoch() == old.epoch && r.take.state() == Conversation.State.SPEAKING).size());
        m.put("cut_turn_frames_shown", old.frames);
        m.put("dropped_blocks", droppedBlocks);
        m.put("first_frame_s", finite(newTurn.firstFrameMs / 1000));
        return m;
    }

    /** The report as JSON-ready maps, after {@code header} (what the command ran on). */
    public Map<String, Object> json(Map<String, Object> header) {
        Map<String, Object> m = new LinkedHashMap<>(header);
        m.put("paced", options.paced());
        m.put("turn_seconds", options.turnSeconds());
        m.put("listen_seconds", options.listenSeconds());
        m.put("wall_s", wallNanos / 1e9);
        m.put("session_first_frame_s", finite(sessionFirstFrameS()));
        m.put("overtaken_blocks", overtakenBlocks);
        List<Object> rows = new ArrayList<>();
        Map<String, Object> listening = null;
        for (Row r : rows()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("blocks", r.blocks());
            o.put("frames", r.frames());
            if (r.memory() != null) {
                o.put("first_frame_s", finite(r.firstFrameS()));
                o.put("first_frame_shown_s", finite(r.firstShownS()));
                o.put("total_s", finite(r.totalS()));
                o.put("frames_per_s", finite(r.framesPerS()));
            }
            Map<String, Object> blockS = new LinkedHashMap<>();
            blockS.put("p50", finite(r.blockS()[0]));
            blockS.put("p95", finite(r.blockS()[1]));
            blockS.put("max", finite(r.blockS()[2]));
            o.put("block_s", blockS);
            o.put("dit_stage_s_p50", finite(r.ditS()));
            o.put("decode_stage_s_p50", finite(r.decodeS()));
            o.put("real_time_factor", finite(r.realTimeFactor()));
            o.put("deadline_misses", r.misses());
            if (r.memory() != null) {
                o.put("rss_bytes", r.memory().rssBytes());
                o.put("gpu_bytes", r.memory().gpuBytes() < 0 ? null : r.memory().gpuBytes());
                o.put("session_bytes", r.memory().sessionBytes());
                o.put("cut", r.name().endsWith("(cut)"));
                rows.add(o);
            } else {
                listening = o;
            }
        }
        m.put("turns", rows);
        m.put("listening", listening);
        m.put("barge_in", bargeIn());
        return m;
    }

    /** The table and the barge-in and memory lines. */
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "session: first frame %s after the start (the portrait's frame, decoded while block 0 is denoised)%n",
                secs(sessionFirstFrameS())));
        b.append(String.format(Locale.ROOT, "%-14s %6s %6s %11s %9s %9s %26s %17s %9s %6s %6s %10s%n", "", "blocks", "frames", "first frame",
                "on screen", "total", "block time p50/p95/max", "DiT/decode p50", "frames/s", "RTF", "misses", "RSS after"));
        List<Row> rows = rows();
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "%-14s %6d %6d %11s %9s %9s %26s %17s %9s %6s %6s %10s%n", r.name(), r.blocks(), r.frames(),
                    secs(r.firstFrameS()), options.paced() ? secs(r.firstShownS()) : "-", secs(r.totalS()),
                    String.format(Locale.ROOT, "%s/%s/%s", secs(r.blockS()[0]), secs(r.blockS()[1]), secs(r.blockS()[2])),
                    secs(r.ditS()) + "/" + secs(r.decodeS()),
                    fixed(r.framesPerS(), 1), fixed(r.realTimeFactor(), 2), r.misses() == null ? "-" : r.misses().toString(),
                    r.memory() == null ? "" : mib(r.memory().rssBytes())));
        }
        Map<String, Object> barge = bargeIn();
        if (barge != null) {
            b.append(String.format(Locale.ROOT, "barge-in: turn %s started %.3f s into turn %s (after %s of its blocks were made); its first frame %s after the"
                            + " interrupt; %s block(s) of turn %s decoded after the cut and not shown%n", barge.get("turn"), (double) barge.get("after_s"),
                    barge.get("cut_turn"), barge.get("cut_turn_blocks"), secs(newTurnFirstFrame()), barge.get("dropped_blocks"), barge.get("cut_turn")));
        }
        b.append(String.format(Locale.ROOT, "blocks given up part way for a reply that overtook them: %d%n", overtakenBlocks));
        LiveScript.Memory first = turns.getFirst().memory, last = turns.getLast().memory;
        b.append(String.format(Locale.ROOT, "memory after turn 1 and after turn %d: RSS %s and %s; the session's own (KV cache, audio) %s and %s",
                turns.size(), mib(first.rssBytes()), mib(last.rssBytes()), mib(first.sessionBytes()), mib(last.sessionBytes())));
        if (first.gpuBytes() >= 0) b.append(String.format(Locale.ROOT, "; GPU memory held %s, %s", mib(first.gpuBytes()), mib(last.gpuBytes())));
        b.append(System.lineSeparator());
        return b.toString();
    }

    private double newTurnFirstFrame() {
        return turns.stream().filter(t -> t.cutThePrevious).findFirst().map(t -> t.firstFrameMs / 1000).orElse(Double.NaN);
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static String secs(double s) {
        return Double.isFinite(s) ? String.format(Locale.ROOT, "%.3fs", s) : "-";
    }

    private static String fixed(double v, int digits) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "-";
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
