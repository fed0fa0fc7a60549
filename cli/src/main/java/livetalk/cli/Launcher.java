package livetalk.cli;

import java.nio.file.Path;

/** Facts the {@code ./livetalk} launcher passes in. */
final class Launcher {
    private Launcher() {
    }

    /** The checkout the launcher ran from ({@code -Dlivetalk.home}), else the working directory. */
    static Path home() {
        String h = System.getProperty("livetalk.home");
        return Path.of(h != null ? h : ".").toAbsolutePath().normalize();
    }
}
