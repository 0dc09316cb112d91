package org.vmqsc.lab;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.vmqsc.sim.events.EventLogOracle;
import org.vmqsc.sim.events.MergedEventLog;
import org.vmqsc.sim.events.Verdict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./vmqsc check-events FILE...}: judges a run from its event files alone (several are merged first).
 * Exit code 0 when the oracle finds nothing, 1 with violations, 2 for bad input.
 */
@Command(name = "check-events", mixinStandardHelpOptions = true,
    description = "Check an event log (or merge several processes' event files and check the result) from the "
        + "events alone: channel order, digests, restored states, orphans, one host per VM, nothing lost.")
public final class CheckEventsCommand implements Callable<Integer> {
  /** Violations printed; the rest are counted. */
  private static final int SHOWN = 20;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Event files (JSON Lines), one per process or one merged log.")
  List<Path> files;

  @Option(names = "--merged", description = "Also write the merged log to this file (with several FILEs).")
  Path mergedOut;

  @Override public Integer call() throws IOException {
    VmqscCommand.checkOutputFile("--merged", mergedOut);
    if (mergedOut != null && files.size() < 2) throw new IllegalArgumentException("--merged needs several FILEs to merge");
    Verdict v = EventLogOracle.check(files);
    // Written only once the whole input has been read without error: bad input leaves nothing behind.
    if (mergedOut != null) {
      try (Writer w = Files.newBufferedWriter(mergedOut, StandardCharsets.UTF_8)) {
        MergedEventLog.write(files, w);
      }
      System.out.println("merged: " + files.size() + " files into " + mergedOut);
    }
    System.out.println(v.checked());
    for (String violation : v.violations().subList(0, Math.min(SHOWN, v.violations().size()))) {
      System.out.println("violation: " + violation);
    }
    if (v.violationCount() > SHOWN) System.out.println("... and " + (v.violationCount() - SHOWN) + " more");
    System.out.println("oracle: " + v.violationCount() + " violations");
    return v.ok() ? 0 : 1;
  }
}
