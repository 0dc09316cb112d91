package org.vmqsc.lab;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Evaluation;
import org.vmqsc.evaluation.Metrics;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.ScenarioBuilder;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.advisor.Advisor;
import org.vmqsc.evaluation.advisor.AdvisorReport;
import org.vmqsc.evaluation.policy.Policies;
import org.vmqsc.evaluation.report.MarkdownReport;
import org.vmqsc.evaluation.report.ReportWriter;
import org.vmqsc.evaluation.sim.Simulation;
import org.vmqsc.evaluation.trace.CsvTrace;
import org.vmqsc.evaluation.trace.SimGridTiTrace;
import org.vmqsc.evaluation.workload.Traffic;
import org.vmqsc.evaluation.workload.Workloads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ./vmqsc evaluate}: every chosen protocol over the same workloads or traces, reported side by side. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {"Run checkpointing protocols side by side over the same message events and failures.",
        "Writes results.csv, results.md, chart-<metric>.svg and report.html into --out.",
        "Workloads: paper, poisson, halo2d, halo3d, alltoall, master-worker, pipeline; parameters as",
        "  name:key=value,... (e.g. poisson:k=3,si=0.25,vms=32). Traces: csv:<file> (time,src,dst,bytes) or",
        "  simgrid:<index or actions file> (SimGrid time-independent trace)."})
public final class EvaluateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--workload", paramLabel = "SPEC", description = "A synthetic workload (repeatable).")
  List<String> workloads = new ArrayList<>();

  @Option(names = "--trace", paramLabel = "FORMAT:FILE", description = "A recorded trace: csv:FILE or simgrid:FILE (repeatable).")
  List<String> traces = new ArrayList<>();

  @Option(names = "--protocols", paramLabel = "LIST", description = "Comma-separated, or all (default): ${DEFAULT-VALUE}.",
      defaultValue = "all")
  String protocols;

  @Option(names = "--seed", defaultValue = "1", description = "Seed for traffic, placement drift and failures (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", defaultValue = "evaluation-out", description = "Output folder (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--t0", paramLabel = "SECONDS|young",
      description = "Base period: seconds, or young for the advisor's sqrt(2 C MTBF) (default: the workload's t0, or trace length / 16).")
  String basePeriod;

  @Option(names = "--classes", defaultValue = "auto",
      description = "VM_QSC classes: auto (the workload's own, else advised), advised, blind, all-si, or SI,MI_2,MI_4@1,... per VM (@: the MI phase).")
  String classes;

  @Option(names = "--max-k", defaultValue = "4", description = "Largest k the advisor hands out (default ${DEFAULT-VALUE}).")
  int maxK;

  @Option(names = "--vms-per-host", defaultValue = "4", description = "VMs per host, packed in numbering order (default ${DEFAULT-VALUE}).")
  int vmsPerHost;

  @Option(names = "--vm-failures", defaultValue = "25", description = "VM crashes to recover from (default ${DEFAULT-VALUE}).")
  int vmFailures;

  @Option(names = "--host-failures", defaultValue = "25", description = "Host crashes to recover from (default ${DEFAULT-VALUE}).")
  int hostFailures;

  @Option(names = "--latency", defaultValue = "50e-6", description = "Link latency, s (default ${DEFAULT-VALUE}).")
  double latency;

  @Option(names = "--bandwidth", defaultValue = "125e6", description = "Link bandwidth, bytes/s (default ${DEFAULT-VALUE}).")
  double bandwidth;

  @Option(names = "--drift-ppm", defaultValue = "50", description = "Largest host clock drift, ppm (default ${DEFAULT-VALUE}).")
  double driftPpm;

  @Option(names = "--host-speed", defaultValue = "1e9", description = "Host speed for trace compute actions, flops/s (default ${DEFAULT-VALUE}).")
  double hostSpeed;

  @Option(names = "--checkpoint-pause", defaultValue = "0.3", description = "VM pause per checkpoint, s (default ${DEFAULT-VALUE}).")
  double checkpointPause;

  @Option(names = "--checkpoint-mb", defaultValue = "64", description = "Bytes one checkpoint writes, MiB (default ${DEFAULT-VALUE}).")
  double checkpointMb;

  @Option(names = "--stable-mbps", defaultValue = "200", description = "Stable storage write bandwidth, MB/s (default ${DEFAULT-VALUE}).")
  double stableMbps;

  @Option(names = "--log-write", defaultValue = "0.5e-3", description = "Synchronous stable log write latency, s (default ${DEFAULT-VALUE}).")
  double logWrite;

  @Option(names = "--host-mtbf-hours", defaultValue = "720", description = "Host MTBF for the advisor's T0, hours (default ${DEFAULT-VALUE}).")
  double hostMtbfHours;

  @Override public Integer call() throws IOException {
    if (workloads.isEmpty() && traces.isEmpty()) throw new IllegalArgumentException("give at least one --workload or --trace");
    VmqscCommand.checkOutputFolder("--out", out);
    positive("--latency", latency, 1e3);
    positive("--bandwidth", bandwidth, 1e15);
    positive("--host-speed", hostSpeed, 1e18);
    positive("--checkpoint-mb", checkpointMb, 1e7);
    positive("--stable-mbps", stableMbps, 1e9);
    positive("--host-mtbf-hours", hostMtbfHours, 1e9);
    if (!(driftPpm >= 0 && driftPpm <= 1e5)) throw new IllegalArgumentException("--drift-ppm must be in [0, 100000], got " + driftPpm);
    if (!(checkpointPause >= 0 && checkpointPause <= 3600)) {
      throw new IllegalArgumentException("--checkpoint-pause must be a number of seconds in [0, 3600], got " + checkpointPause);
    }
    if (!(logWrite >= 0 && logWrite <= 60)) throw new IllegalArgumentException("--log-write must be in [0, 60] s, got " + logWrite);
    if (vmFailures < 0 || vmFailures > 100_000 || hostFailures < 0 || hostFailures > 100_000) {
      throw new IllegalArgumentException("--vm-failures and --host-failures must be in 0..100000");
    }
    if (maxK < 2 || maxK > 64) throw new IllegalArgumentException("--max-k must be in 2..64, got " + maxK);
    if (vmsPerHost > 4096) throw new IllegalArgumentException("--vms-per-host must be at most 4096, got " + vmsPerHost);
    List<String> names = Policies.parse(protocols);
    TimeModel time = new TimeModel(latency, latency / 10, bandwidth, hostSpeed, driftPpm);
    CostModel cost = new CostModel(checkpointPause, (long) (checkpointMb * (1 << 20)), stableMbps * 1e6, logWrite);
    if (hostMtbfHours <= 0) throw new IllegalArgumentException("--host-mtbf-hours must be > 0");
    if (vmsPerHost < 1) throw new IllegalArgumentException("--vms-per-host must be at least 1");
    List<Traffic> inputs = new ArrayList<>();
    for (String w : workloads) inputs.add(Workloads.generate(w, seed));
    for (String t : traces) inputs.add(readTrace(t, time));

    PrintWriter err = spec.commandLine().getErr();
    ProgressBar bar = new ProgressBar(err);
    Evaluation evaluation = new Evaluation(time, cost, seed);
    List<Metrics> rows = new ArrayList<>();
    StringBuilder notes = new StringBuilder("Produced by `./vmqsc "
        + String.join(" ", spec.commandLine().getParseResult().originalArgs()) + "`.\n\n");
    for (int i = 0; i < inputs.size(); i++) {
      Traffic traffic = inputs.get(i);
      Scenario s = new ScenarioBuilder().timeModel(time).costModel(cost).vmsPerHost(vmsPerHost)
          .basePeriod(basePeriod(traffic, cost)).failures(vmFailures, hostFailures).classes(classes).maxK(maxK)
          .hostMtbf(hostMtbfHours * 3600)
          .seed(seed).build(traffic);
      String label = (i + 1) + "/" + inputs.size() + " " + s.name();
      for (Simulation.Outcome o : evaluation.run(s, names, (done, total) -> bar.show(label, done, total))) rows.add(o.metrics());
      bar.show(label + " (advisor)", 1, 1);
      AdvisorReport.Result advice = AdvisorReport.compare(s, time, cost, hostMtbfHours * 3600, maxK, seed);
      notes.append(AdvisorReport.markdown(s, advice, hostMtbfHours * 3600)).append('\n');
    }
    bar.done();
    ReportWriter.write(out, rows, notes.toString());
    PrintWriter o = spec.commandLine().getOut();
    for (var e : MarkdownReport.byWorkload(rows).entrySet()) {
      o.println("## " + e.getKey());
      o.println();
      o.print(MarkdownReport.table(e.getValue()));
      o.println();
    }
    o.println("wrote " + out.resolve("results.csv") + ", results.md, report.html and one chart-<metric>.svg per metric");
    o.flush();
    return 0;
  }

  /** A finite number in (0, max]; NaN and infinities are refused with the option's name. */
  private static void positive(String option, double value, double max) {
    if (!(value > 0 && value <= max)) {
      throw new IllegalArgumentException(option + " must be a number in (0, " + max + "], got " + value);
    }
  }

  /** null keeps the workload's own; "young" asks the advisor for this group's hosts. */
  private Double basePeriod(Traffic traffic, CostModel cost) {
    if (basePeriod == null) return null;
    if (basePeriod.equalsIgnoreCase("young")) {
      int hosts = (traffic.vms() + vmsPerHost - 1) / vmsPerHost;
      return Advisor.youngPeriod(cost, hostMtbfHours * 3600, hosts);
    }
    try {
      double t0 = Double.parseDouble(basePeriod);
      if (!(t0 > 0) || Double.isInfinite(t0)) throw new NumberFormatException();
      return t0;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--t0 must be a number of seconds > 0 or young, got '" + basePeriod + "'");
    }
  }

  private static Traffic readTrace(String spec, TimeModel time) throws IOException {
    int colon = spec.indexOf(':');
    if (colon < 0) throw new IllegalArgumentException("--trace needs FORMAT:FILE (csv or simgrid), got '" + spec + "'");
    String format = spec.substring(0, colon);
    Path file = Path.of(spec.substring(colon + 1));
    if (Files.isDirectory(file)) throw new IllegalArgumentException("trace file " + file + " is a directory");
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("trace file " + file + " does not exist");
    return switch (format) {
      case "csv" -> CsvTrace.read(file);
      case "simgrid" -> SimGridTiTrace.read(file, time);
      default -> throw new IllegalArgumentException("unknown trace format '" + format + "' (csv or simgrid)");
    };
  }

  /** A one-line bar on stderr, redrawn in place; silent when nothing changed by a whole percent. */
  static final class ProgressBar {
    private final PrintWriter err;
    private String lastLine = "";

    ProgressBar(PrintWriter err) { this.err = err; }

    void show(String label, long done, long total) {
      int pct = total == 0 ? 100 : (int) (100 * done / total);
      int filled = pct / 5;
      String line = "[" + "#".repeat(filled) + ".".repeat(20 - filled) + "] " + String.format("%3d%%", pct) + " " + label;
      if (line.equals(lastLine)) return;
      lastLine = line;
      err.print("\r" + line);
      err.flush();
    }

    void done() {
      err.println();
      err.flush();
    }
  }
}
