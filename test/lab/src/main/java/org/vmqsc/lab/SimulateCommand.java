package org.vmqsc.lab;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.Eta;
import org.vmqsc.sim.EventSink;
import org.vmqsc.sim.OracleViolation;
import org.vmqsc.sim.SimConfig;
import org.vmqsc.sim.SimReport;
import org.vmqsc.sim.Simulator;
import org.vmqsc.sim.Workload;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./vmqsc simulate}: one deterministic simulated run with failures, checked by the recovery oracle. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Simulate a protection group with VM and host failures; every recovery is checked by the oracle.")
public final class SimulateCommand implements Callable<Integer> {

  @Option(names = "--seed", description = "Random seed; the same seed gives the same run (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--vms", description = "VMs in the group, 2..64 (default: 8; 16 for the paper workload).")
  Integer vms;

  @Option(names = "--hosts", description = "Hosts, 1..64 (default: ${DEFAULT-VALUE}).")
  int hosts = 4;

  @Option(names = "--si-share", description = "Share of SI VMs, the rest MI_2..MI_k (default: ${DEFAULT-VALUE}).")
  double siShare = 0.5;

  @Option(names = "--max-k", description = "Largest k among MI_k VMs (default: ${DEFAULT-VALUE}).")
  int maxK = 3;

  @Option(names = "--vm-failures", description = "VM failures (default: 3; none for the paper workload).")
  Integer vmFailures;

  @Option(names = "--host-failures", description = "Host failures (default: 2; none for the paper workload).")
  Integer hostFailures;

  @Option(names = "--periods", description = "Base periods of traffic, at least 4 (default: 40; 400 for the paper workload).")
  Integer periods;

  @Option(names = "--t0", description = "Base period T0 in ms (default: ${DEFAULT-VALUE}).")
  long t0 = 1000;

  @Option(names = "--rate", description = "Messages each VM sends per base period (default: ${DEFAULT-VALUE}).")
  double rate = 8;

  @Option(names = "--drift", description = "Largest clock offset of a host, as a share of T0, in [0, 0.25) (default: ${DEFAULT-VALUE}).")
  double drift = 0.02;

  @Option(names = "--delay", description = "Mean cross-host message delay in ms (default: ${DEFAULT-VALUE}).")
  double delay = 20;

  @Option(names = "--early-index", description = "What an MI VM not due does on a higher CSN: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  EarlyIndexPolicy earlyIndex = EarlyIndexPolicy.ADVANCE_AND_LOG;

  @Option(names = "--failures-during-recovery", description = "Place some host failures inside another recovery.")
  boolean duringRecovery;

  @Option(names = "--migrations", description = "Live migrations of a random VM to a random other host (default: ${DEFAULT-VALUE}).")
  int migrations;

  @Option(names = "--workload", description = "uniform or paper (SI and MI_2 in equal numbers, the paper's rates, no delay) (default: ${DEFAULT-VALUE}).")
  String workload = "uniform";

  @Option(names = "--events", description = "Write every event as JSON Lines to this file.")
  Path eventsFile;

  @Override public Integer call() throws IOException {
    SimConfig config = config();
    VmqscCommand.checkOutputFile("--events", eventsFile);
    BufferedWriter out = eventsFile == null ? null : Files.newBufferedWriter(eventsFile, StandardCharsets.UTF_8);
    try {
      SimReport report = new Simulator(config, out == null ? EventSink.none() : new EventSink(out)).run();
      System.out.printf("group: %d VMs on %d hosts, T0 %d ms, %d periods, workload %s, seed %d%n",
          config.vms(), config.hosts(), config.basePeriod(), config.periods(), config.workload().name(), seed);
      System.out.print(report.format());
      if (config.workload().name().equals("paper")) {
        System.out.printf("eta: %.4f (analytic %.4f)%n", report.eta(), Eta.paper(4, 2, 2, 1));
      }
      System.out.printf("oracle: %d recoveries checked, 0 violations%n", report.recoveriesChecked);
      return 0;
    } catch (OracleViolation v) {
      System.out.println("oracle: VIOLATION " + v.getMessage());
      System.out.println("oracle: 1 violations");
      return 1;
    } finally {
      if (out != null) out.close();
    }
  }

  SimConfig config() {
    // The paper's setting is failure-free and long, so that eta is estimated tightly.
    boolean paper = workload.equals("paper");
    int vms = this.vms != null ? this.vms : paper ? 16 : 8;
    int periods = this.periods != null ? this.periods : paper ? 400 : 40;
    int vmFailures = this.vmFailures != null ? this.vmFailures : paper ? 0 : 3;
    int hostFailures = this.hostFailures != null ? this.hostFailures : paper ? 0 : 2;
    if (vms < 2 || vms > 64) throw new IllegalArgumentException("--vms must be in 2..64, got " + vms);
    if (hosts < 1 || hosts > 64) throw new IllegalArgumentException("--hosts must be in 1..64, got " + hosts);
    if (!(siShare >= 0 && siShare <= 1)) {
      throw new IllegalArgumentException("--si-share must be in [0, 1], got " + siShare);
    }
    if (maxK < 2 || maxK > 64) throw new IllegalArgumentException("--max-k must be in 2..64, got " + maxK);
    if (!(rate > 0 && rate <= 10_000)) throw new IllegalArgumentException("--rate must be in (0, 10000], got " + rate);
    if (!(drift >= 0 && drift < 0.25)) throw new IllegalArgumentException("--drift must be in [0, 0.25), got " + drift);
    if (!(delay >= 0 && delay <= 3_600_000)) {
      throw new IllegalArgumentException("--delay must be a number of ms in [0, 3600000], got " + delay);
    }
    if (t0 < 1 || t0 > SimConfig.MAX_BASE_PERIOD_MS) {
      throw new IllegalArgumentException("--t0 must be in 1.." + SimConfig.MAX_BASE_PERIOD_MS + " ms, got " + t0);
    }
    SimConfig.Builder b = SimConfig.builder().seed(seed).hosts(hosts).basePeriod(t0).periods(periods)
        .vmFailures(vmFailures).hostFailures(hostFailures).maxDrift(drift).delays(delay / 100, delay)
        .earlyIndexPolicy(earlyIndex).failuresDuringRecovery(duringRecovery).migrations(migrations);
    switch (workload) {
      case "uniform" -> b.classes(SimConfig.mixedClasses(vms, siShare, maxK)).workload(Workload.uniform(rate));
      case "paper" -> b.classes(SimConfig.mixedClasses(vms, 0.5, 2))
          // The paper's rates (a1:a2 = 2:1, b1:b2 = 2:1, a2:b2 = 2:1), scaled so each period has traffic.
          .workload(Workload.paper(4 * rate / 2, 2 * rate / 2, 2 * rate / 2, rate / 2))
          .maxDrift(0).delays(0, 0);
      default -> throw new IllegalArgumentException("unknown --workload '" + workload + "': expected uniform or paper");
    }
    return b.build();
  }
}
