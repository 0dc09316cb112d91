package org.vmqsc.lab;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./vmqsc} command. Each sub-command is a class of its own in this package. */
@Command(name = "vmqsc",
    mixinStandardHelpOptions = true,
    version = "vmqsc 0.1.0",
    description = "Group-consistent quasi-synchronous VM checkpointing (VM_QSC): simulator, evaluation, tools.",
    subcommands = {
        CommandLine.HelpCommand.class,
        DemoCommand.class,
        SimulateCommand.class,
        EvaluateCommand.class,
        DbCommand.class,
        BenchCommand.class,
    })
public final class VmqscCommand implements Runnable {

  @Override public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Shared by main and tests so both see the same parsing and error handling. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new VmqscCommand());
    // Bad arguments: one clear line plus usage on stderr, exit code 2.
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine c = ex.getCommandLine();
      c.getErr().println("vmqsc: " + ex.getMessage());
      c.usage(c.getErr());
      return 2;
    });
    // Errors the command itself raises for bad values: one clear line, exit code 2, no stack trace.
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      if (ex instanceof IllegalArgumentException || ex instanceof org.vmqsc.db.SchemaTooNewException) {
        c.getErr().println("vmqsc: " + ex.getMessage());
        return 2;
      }
      throw ex;
    });
    return cl;
  }
}
