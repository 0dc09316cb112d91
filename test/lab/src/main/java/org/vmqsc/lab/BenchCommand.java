package org.vmqsc.lab;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./vmqsc bench}: benchmarks, one sub-command each. They measure; they never pass or fail. */
@Command(name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks (figures with a baseline measured side by side in the same run).",
    subcommands = {
        EngineBenchCommand.class,
        KvmBenchCommand.class,
        CatalogBenchCommand.class,
        RecoveryBenchCommand.class,
        RelayBenchCommand.class,
        StorageBenchCommand.class,
    })
public final class BenchCommand implements Runnable {

  @Override public void run() {
    new CommandLine(this).usage(System.out);
  }
}
