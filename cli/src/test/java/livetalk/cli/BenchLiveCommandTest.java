package livetalk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import livetalk.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench-live} end to end on the demo's tiny models at 32×32: the report has the scripted
 * turns, its numbers agree with each other (frames = blocks × 12, first frame within the turn,
 * quantiles in order), the barge-in is there when asked for and absent otherwise, and bad options
 * are one line and exit 2 before any model loads. No timing is asserted.
 */
class BenchLiveCommandTest {
    @TempDir
    static Path cache;

    static CommandRun benchLive(String... args) {
        List<String> all = new ArrayList<>(List.of("bench-live"));
        all.addAll(List.of(args));
        return CommandRun.of(all.toArray(String[]::new));
    }

    /** Runs the demo models at 32×32 with 1.5 s turns and one block of listening, and reads the JSON it wrote. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> report(Path dir, String... args) throws Exception {
        Path json = dir.resolve("live.json");
        List<String> all = new ArrayList<>(List.of("--demo", "--size", "32", "--turn-seconds", "1.5", "--listen-seconds", "0.75",
                "--cache", cache.toString(), "--json", json.toString()));
        all.addAll(List.of(args));
        CommandRun r = benchLive(all.toArray(String[]::new));
        assertEquals(0, r.code(), r.out() + r.err());
        Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(json));
        assertTrue(r.out().contains("json " + Json.write(m)), "the same report on stdout, one line");
        assertEquals(m.get("barge_in") != null, r.out().contains("barge-in:"), r.out());
        double sessionFirst = num(m.get("session_first_frame_s"));
        assertTrue(sessionFirst > 0 && sessionFirst < num(m.get("wall_s")), "the session's first frame inside the run: " + m);
        assertTrue(r.out().contains("session: first frame "), r.out());
        return m;
    }

    static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> turns(Map<String, Object> m) {
        return (List<Map<String, Object>>) m.get("turns");
    }

    /** What every turn and the listening row must show, whatever the script. */
    @SuppressWarnings("unchecked")
    static void checkRows(Map<String, Object> m) {
        for (Map<String, Object> t : turns(m)) {
            double blocks = num(t.get("blocks")), frames = num(t.get("frames"));
            if (Boolean.TRUE.equals(t.get("cut"))) {
                assertTrue(frames > 0 && frames <= 12 * blocks, t.toString());
            } else {
                assertEquals(2, blocks, "1.5 s of speech is 2 blocks: " + t);
                assertEquals(12 * blocks, frames, "every frame of a turn not cut is shown: " + t);
            }
            double first = num(t.get("first_frame_s")), total = num(t.get("total_s")), shown = num(t.get("first_frame_shown_s"));
            assertTrue(first > 0 && first <= total, t.toString());
            // on a player in real time no sooner than out, and, since a reply skips what is queued ahead of it, at
            // most 50 ms later (LiveStream.SKIP_MIN_S); a client that takes frames as they come shows them at once
            if (Boolean.TRUE.equals(m.get("paced"))) assertTrue(shown >= first && shown <= first + 0.0501, t.toString());
            else assertEquals(first, shown, t.toString());
            Map<String, Object> q = (Map<String, Object>) t.get("block_s");
            assertTrue(num(q.get("p50")) > 0 && num(q.get("p50")) <= num(q.get("p95")) && num(q.get("p95")) <= num(q.get("max")), q.toString());
            // each block's time is the larger of its two stages, so its median is at least either stage's
            double dit = num(t.get("dit_stage_s_p50")), decode = num(t.get("decode_stage_s_p50"));
            assertTrue(dit > 0 && decode > 0 && num(q.get("p50")) >= Math.max(dit, decode), t.toString());
            assertTrue(num(t.get("real_time_factor")) > 0, t.toString());
            assertTrue(num(t.get("rss_bytes")) > 0 && num(t.get("session_bytes")) > 0, t.toString());
            assertNull(t.get("gpu_bytes"), "no GPU memory on the CPU");
            assertEquals(Boolean.TRUE.equals(m.get("paced")), t.get("deadline_misses") != null, "misses are counted when paced: " + t);
        }
        Map<String, Object> listening = (Map<String, Object>) m.get("listening");
        // listening before the first turn and after each turn that was not cut, one block each, and at most one more
        // each while its turn was being started (that one finished, or given up and not counted); block 0 has 9 frames
        long uncut = turns(m).stream().filter(t -> !Boolean.TRUE.equals(t.get("cut"))).count();
        double listeningBlocks = num(listening.get("blocks"));
        assertTrue(listeningBlocks >= 1 + uncut && listeningBlocks <= 2 * (1 + uncut), listening.toString());
        assertEquals(9 + 12 * (listeningBlocks - 1), num(listening.get("frames")), listening.toString());
        assertTrue(num(m.get("overtaken_blocks")) >= 0);
        assertTrue(num(m.get("peak_rss_bytes")) > 0);
        assertTrue(num(m.get("warm_up_s")) > 0);
    }

    @Test
    @SuppressWarnings("unchecked")
    void threeTurnsWithABargeIn(@TempDir Path dir) throws Exception {
        Map<String, Object> m = report(dir);
        assertEquals("cpu", m.get("device"));
        assertEquals(false, m.get("paced"));
        List<Map<String, Object>> turns = turns(m);
        assertEquals(3, turns.size());
        assertEquals(List.of(false, true, false), turns.stream().map(t -> t.get("cut")).toList(), "the last turn cuts the one before it");
        checkRows(m);
        Map<String, Object> barge = (Map<String, Object>) m.get("barge_in");
        assertNotNull(barge);
        assertEquals(2, num(barge.get("cut_turn")));
        assertEquals(3, num(barge.get("turn")));
        assertEquals(turns.get(2).get("first_frame_s"), barge.get("first_frame_s"), "interrupt to first frame: the new turn's first frame");
        assertEquals(turns.get(1).get("frames"), barge.get("cut_turn_frames_shown"));
        assertTrue(num(barge.get("after_s")) > 0 && num(barge.get("dropped_blocks")) >= 0, barge.toString());
    }

    @Test
    void withoutBargeInEveryTurnFinishesAndPacedCountsMisses(@TempDir Path dir) throws Exception {
        Map<String, Object> m = report(dir, "--turns", "2", "--no-barge-in", "--paced");
        assertEquals(true, m.get("paced"));
        assertEquals(2, turns(m).size());
        assertNull(m.get("barge_in"));
        assertTrue(turns(m).stream().noneMatch(t -> Boolean.TRUE.equals(t.get("cut"))));
        checkRows(m);
    }

    @Test
    void badOptionsAreOneLineAndExit2(@TempDir Path dir) {
        String[][] cases = {
                {"", "pass either --dit FILE or --demo"},
                {"--demo --dit " + dir.resolve("dit.safetensors"), "pass either --dit FILE or --demo"},
                {"--dit " + dir.resolve("missing.safetensors"), "no such file"},
                {"--demo --turns 0", "--turns 0: expected at least 1"},
                {"--demo --turns 1", "a barge-in needs 2 or more"},
                {"--demo --turn-seconds 1", "a barge-in needs turns of 1.5 s or more"},
                {"--demo --turn-seconds 0.5 --no-barge-in", "expected 0.75 (one block) to 600"},
                {"--demo --listen-seconds 0", "--listen-seconds 0.0: expected 0.75"},
                {"--demo --size 20", "--size 20: expected a positive multiple of 16"},
                {"--demo --json " + dir.resolve("missing/live.json"), "does not exist"},
                {"--demo --json " + dir, "is a folder"},
        };
        for (String[] c : cases) {
            CommandRun r = benchLive(c[0].isEmpty() ? new String[0] : c[0].split(" "));
            assertEquals(2, r.code(), c[0] + ": " + r.err());
            List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, lines.size(), c[0] + ": " + r.err());
            assertTrue(lines.getFirst().startsWith("error: ") && lines.getFirst().contains(c[1]), c[0] + ": " + lines.getFirst());
            assertFalse(r.out().contains("bench-live:"), "nothing ran: " + r.out());
        }
    }
}
