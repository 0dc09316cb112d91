package org.vmqsc.lab;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.vmqsc.agent.kvm.GuestVerdict;
import org.vmqsc.agent.kvm.LabGuest;
import org.vmqsc.lab.cluster.ClusterDemo;
import org.vmqsc.lab.cluster.RealGuestRun;
import org.vmqsc.protocol.Eta;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.sim.EventSink;
import org.vmqsc.sim.OracleViolation;
import org.vmqsc.sim.SimConfig;
import org.vmqsc.sim.SimReport;
import org.vmqsc.sim.Simulator;
import org.vmqsc.sim.Workload;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmqsc demo}: the standalone showcase. A protection group of 12 VMs (SI, MI_2, MI_3) on 4 simulated
 * hosts runs with VM and host failures (one of them during another recovery), every recovery checked by the
 * oracle; then the paper's setting for eta. Writes the event file and a space-time diagram around the first host failure.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Run the standalone demo: a manager and 3 agents as processes, a protection group of 8 VMs with"
        + " traffic, one agent killed with SIGKILL and the group recovered automatically; the processes' events"
        + " merged and checked by the oracle, the recovery time, a timeline.",
        "With --simulated: the same protocol in the simulator, with VM and host failures and a chart.",
        "With --kvm: real QEMU guests (run .ci/setup-kvm.sh as root first) on 2 agents, exchanging numbered UDP"
            + " messages through the relay; one agent killed; the guests' own records judge the recovery."})
public final class DemoCommand implements Callable<Integer> {

  @Option(names = "--simulated", description = "run the simulated group instead of processes")
  boolean simulated;

  @Option(names = "--kvm", description = "real QEMU guests instead of simulated ones (needs .ci/setup-kvm.sh)")
  boolean kvm;

  @Option(names = "--out", description = "Where to write events.jsonl and space-time.svg (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("vmqsc-demo");

  @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed = 2026;

  /** The demo with real guests: what the guests' own records say about the recovery. */
  private int kvm() throws IOException, InterruptedException {
    String why = LabGuest.messagingUnavailableReason().orElse(null);
    if (why != null) throw new IllegalArgumentException("--kvm: " + why);
    long start = System.nanoTime();
    RealGuestRun.Outcome o = new RealGuestRun(out, System.out::println, 4000, Duration.ofSeconds(10),
        Duration.ofSeconds(20)).run();
    GuestVerdict.Result v = o.verdict();
    System.out.printf(java.util.Locale.ROOT, "      the guests' records: %d channels, %d receipts, %d messages in flight at"
        + " the end; %s%n", v.channels(), v.receipts(), v.inFlight(), v.clean() ? "no orphan, no loss, no duplicate"
        : v.faults().size() + " faults: " + v.faults());
    System.out.println("      disk and memory: " + (o.diskFaults().isEmpty() ? "every guest's disk holds the records it"
        + " counts" : o.diskFaults()));
    System.out.println("      counting on: sends per guest at the recovery's end " + o.sendsAtRecovery() + ", at the"
        + " end " + o.sendsAtEnd() + (o.countingOn() ? "" : "  (a guest stopped sending!)"));
    System.out.printf(java.util.Locale.ROOT, "      recovery time: %.1f s = detection %.1f s + recovery %.1f s (restores"
        + " of real guests, replays); events: %s (%.0f s in all)%n", o.detectionSeconds() + o.recoverySeconds(),
        o.detectionSeconds(), o.recoverySeconds(), o.events(), (System.nanoTime() - start) / 1e9);
    return v.clean() && o.diskFaults().isEmpty() && o.countingOn() ? 0 : 1;
  }

  @Override public Integer call() throws IOException, InterruptedException {
    VmqscCommand.checkOutputFolder("--out", out);
    Files.createDirectories(out);
    if (kvm && simulated) throw new IllegalArgumentException("--kvm and --simulated exclude each other");
    if (kvm) return kvm();
    if (!simulated) {
      ClusterDemo.Outcome o = new ClusterDemo(out, System.out::println, 2000, Duration.ofSeconds(16),
          Duration.ofSeconds(10)).run();
      return o.verdict().ok() ? 0 : 1;
    }
    List<VmClass> classes = new ArrayList<>();
    for (int i = 0; i < 12; i++) classes.add(i < 6 ? VmClass.SI : VmClass.mi(i < 9 ? 2 : 3));
    SimConfig config = SimConfig.builder().seed(seed).hosts(4).classes(classes)
        .workload(Workload.skewed(10, 3)).periods(60).vmFailures(4).hostFailures(3).failuresDuringRecovery(true)
        .build();
    System.out.println("[1/2] protection group: 12 VMs (6 SI, 3 MI_2, 3 MI_3) on 4 hosts, T0 1 s, 60 periods,"
        + " 4 VM failures, 3 host failures");
    StringWriter events = new StringWriter();
    SimReport report;
    try {
      report = new Simulator(config, new EventSink(events)).run();
    } catch (OracleViolation v) {
      System.out.println("oracle: VIOLATION " + v.getMessage());
      return 1;
    }
    Files.writeString(out.resolve("events.jsonl"), events.toString(), StandardCharsets.UTF_8);
    System.out.print(indent(report.format()));
    System.out.printf("      oracle: %d recoveries checked, 0 violations%n", report.recoveriesChecked);
    Path chart = out.resolve("space-time.svg");
    Files.writeString(chart, chart(events.toString(), config.vms()), StandardCharsets.UTF_8);
    System.out.println("      events: " + out.resolve("events.jsonl") + "   chart: " + chart);

    System.out.println("[2/2] the paper's setting (SI and MI_2 in equal numbers, its Poisson rates, no delay)");
    SimConfig paper = SimConfig.builder().seed(1).hosts(4).classes(SimConfig.mixedClasses(16, 0.5, 2))
        .workload(Workload.paper(16, 8, 8, 4)).periods(400).maxDrift(0).delays(0, 0)
        .vmFailures(0).hostFailures(0).build();
    SimReport p = new Simulator(paper, EventSink.none()).run();
    System.out.printf("      eta: %.4f (analytic %.4f)%n", p.eta(), Eta.paper(16, 8, 8, 4));
    return 0;
  }

  /** Four base periods around the first host failure, as a space-time diagram. */
  private static String chart(String jsonLines, int vms) {
    double failure = 0;
    for (String l : jsonLines.split("\n")) {
      JsonObject o = JsonParser.parseString(l).getAsJsonObject();
      if (o.get("event").getAsString().equals("host_failure")) {
        failure = o.get("t").getAsDouble();
        break;
      }
    }
    double from = Math.max(0, failure - 2500);
    return new SpaceTimeDiagram(vms, from, from + 4000)
        .render(jsonLines, "VM_QSC around the first host failure (one lane per VM)");
  }

  private static String indent(String s) {
    return s.replaceAll("(?m)^", "      ");
  }
}
