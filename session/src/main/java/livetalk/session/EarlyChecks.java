package livetalk.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import livetalk.io.video.VideoWriter;

/**
 * What {@code generate} checks before any model is loaded, so a mistake costs a second, not a
 * whole generated video: the output path (its folder exists and is writable, it is not a folder,
 * not one of the inputs, and has an extension the video writer supports), the frames folder, the
 * prompt, and the thread count. Each failure is one {@link InputException} line.
 */
public final class EarlyChecks {
    private EarlyChecks() {
    }

    /** The most kernel threads {@code --threads} accepts: 8 per core, at least 64. */
    public static int maxThreads() {
        return Math.max(64, 8 * Runtime.getRuntime().availableProcessors());
    }

    public static void threads(Integer threads) {
        if (threads == null) return;
        int max = maxThreads();
        if (threads < 1 || threads > max) {
            throw new InputException("--threads " + threads + ": expected 1 to " + max + " (this machine has "
                    + Runtime.getRuntime().availableProcessors() + " cores)");
        }
    }

    /** Every check on the paths and the prompt of a run; {@code inputs} are the files it reads. */
    public static void run(FileGeneration.Options o) {
        if (o.prompt() == null || o.prompt().isBlank()) throw new InputException("--prompt is empty");
        List<Path> inputs = new ArrayList<>(List.of(o.image(), o.audio()));
        ModelLayout m = o.models();
        if (m != null) inputs.addAll(List.of(m.dit(), m.vae(), m.t5()));
        output(o.out(), inputs);
        if (o.framesDir() != null) writableFolder("--frames " + o.framesDir(), o.framesDir());
    }

    /** The output video path: see the class comment. */
    public static void output(Path out, List<Path> inputs) {
        String name = out.getFileName() == null ? "" : out.getFileName().toString();
        if (Files.isDirectory(out)) throw new InputException("--out " + out + ": is a folder; expected a video file name such as talk.mp4");
        String ext = name.contains(".") ? name.substring(name.lastIndexOf('.')).toLowerCase(Locale.ROOT) : "";
        if (!VideoWriter.EXTENSIONS.contains(ext)) {
            throw new InputException("--out " + out + ": extension '" + ext + "' is not supported; the video writer writes "
                    + String.join(", ", VideoWriter.EXTENSIONS));
        }
        for (Path in : inputs) {
            if (in != null && same(out, in)) throw new InputException("--out " + out + ": is one of the inputs (" + in + "); choose another name");
        }
        Path dir = out.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) throw new InputException("--out " + out + ": the folder " + dir + " does not exist");
        writableFolder("--out " + out, dir);
    }

    /** A folder the run can create files in: tried with a probe file, since permissions alone do not tell (root, read-only mounts). */
    static void writableFolder(String what, Path dir) {
        if (!Files.isDirectory(dir)) throw new InputException(what + ": the folder " + dir + " does not exist");
        try {
            Path probe = Files.createTempFile(dir, ".livetalk-probe", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new InputException(what + ": cannot write in the folder " + dir + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static boolean same(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
}
