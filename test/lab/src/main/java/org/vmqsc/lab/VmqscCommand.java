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
        ManagerCommand.class,
        AgentCommand.class,
        CheckEventsCommand.class,
        ClusterCommand.class,
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
    // Bad arguments: one clear line on stderr, exit code 2.
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine c = ex.getCommandLine();
      c.getErr().println("vmqsc: " + oneLine(ex.getMessage()) + " (see: vmqsc " + c.getCommandSpec().qualifiedName(" ")
          .replaceFirst("^vmqsc ?", "") + (c.getCommandSpec().name().equals("vmqsc") ? "" : " ") + "--help)");
      return 2;
    });
    // Whatever the command raises: one clear line, exit code 2, no stack trace (VMQSC_DEBUG=1 adds it).
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      c.getErr().println("vmqsc: " + describe(ex));
      if (System.getenv("VMQSC_DEBUG") != null) ex.printStackTrace(c.getErr());
      c.getErr().flush();
      return 2;
    });
    return cl;
  }

  /** One line for an error: bad values say what is wrong; I/O and database errors say which file or what failed. */
  static String describe(Throwable ex) {
    if (ex instanceof java.io.UncheckedIOException u && u.getCause() != null) ex = u.getCause();
    if (ex instanceof IllegalArgumentException || ex instanceof org.vmqsc.db.SchemaTooNewException) {
      return oneLine(ex.getMessage());
    }
    if (ex instanceof java.nio.file.NoSuchFileException e) return e.getFile() + ": no such file or directory";
    if (ex instanceof java.nio.file.AccessDeniedException e) return e.getFile() + ": permission denied";
    if (ex instanceof java.nio.file.FileSystemException e) {
      return e.getFile() + ": " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName());
    }
    if (ex instanceof java.nio.charset.CharacterCodingException) return "a file is not UTF-8 text";
    if (ex instanceof OutOfMemoryError) return "out of memory: the input is too large for this Java heap";
    Throwable sql = ex;
    while (sql != null && !(sql instanceof java.sql.SQLException)) sql = sql.getCause();
    if (sql != null) return "database error: " + oneLine(sql.getMessage());
    if (ex instanceof java.io.IOException) return "I/O error: " + oneLine(String.valueOf(ex.getMessage()));
    if (ex instanceof IllegalStateException && ex.getMessage() != null) return oneLine(ex.getMessage());
    return "internal error: " + oneLine(ex.toString()) + " (VMQSC_DEBUG=1 prints the stack trace)";
  }

  private static String oneLine(String message) {
    return message == null ? "(no message)" : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
  }

  /** Refuses an output file that cannot be written: a directory, or one whose folder does not exist. */
  static void checkOutputFile(String option, java.nio.file.Path file) {
    if (file == null) return;
    if (java.nio.file.Files.isDirectory(file)) {
      throw new IllegalArgumentException(option + " names a directory, not a file: " + file);
    }
    java.nio.file.Path parent = file.toAbsolutePath().getParent();
    if (parent != null && !java.nio.file.Files.isDirectory(parent)) {
      throw new IllegalArgumentException(option + ": the folder " + parent + " does not exist");
    }
  }

  /** Refuses an output folder that is a file or whose parent folder does not exist. */
  static void checkOutputFolder(String option, java.nio.file.Path dir) {
    if (dir == null) return;
    if (java.nio.file.Files.exists(dir) && !java.nio.file.Files.isDirectory(dir)) {
      throw new IllegalArgumentException(option + " names a file, not a folder: " + dir);
    }
    java.nio.file.Path parent = dir.toAbsolutePath().getParent();
    if (parent != null && !java.nio.file.Files.isDirectory(parent)) {
      throw new IllegalArgumentException(option + ": the folder " + parent + " does not exist");
    }
  }
}
