package livetalk.cli;

import livetalk.io.CheckpointException;
import livetalk.io.MediaException;
import livetalk.kernels.KernelException;
import livetalk.tensor.TensorException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code livetalk} command: one subcommand class per verb. */
@Command(name = "livetalk", mixinStandardHelpOptions = true, version = "LiveTalk-J 0.1.0",
        description = "Real-time talking-avatar video diffusion (LiveTalk) in pure Java.",
        subcommands = {GenerateCommand.class, DemoCommand.class, ServeCommand.class, VerifyCommand.class, InspectCommand.class, BenchCommand.class, MakeRandomDitCommand.class, BenchDitCommand.class, BenchVaeCommand.class, BenchEncodersCommand.class, BenchGpuCommand.class, BenchPipelineCommand.class, BenchLiveCommand.class, FuzzCommand.class, GpuVerdictsCommand.class})
public final class Main implements Runnable {

    /** Exit code for bad input (files, options): distinct from 1, an internal failure. */
    public static final int EXIT_BAD_INPUT = 2;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (isUserError(ex)) {
                cmd.getErr().println("error: " + ex.getMessage());
                cmd.getErr().flush();
                return EXIT_BAD_INPUT;
            }
            throw ex;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            // One line and a pointer to --help, not the whole usage.
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("error: " + ex.getMessage().lines().findFirst().orElse(""));
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
            cmd.getErr().flush();
            return EXIT_BAD_INPUT;
        });
        return cl.execute(args);
    }

    static boolean isUserError(Throwable ex) {
        return ex instanceof CheckpointException || ex instanceof MediaException || ex instanceof livetalk.session.InputException || ex instanceof KernelException
                || ex instanceof TensorException;
    }
}
