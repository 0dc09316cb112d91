package org.vmqsc.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.vmqsc.server.cluster.ClusterProbe.await;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.vmqsc.agent.process.AgentProcess;
import org.vmqsc.server.cluster.AgentsInOneJvm;
import org.vmqsc.sim.events.EventLogOracle;
import org.vmqsc.sim.events.MergedEventLog;
import org.vmqsc.sim.events.Verdict;

/**
 * A group with phased MI VMs (MI_3@2, MI_4@1) on the manager and three agents in one JVM: a host running a phased
 * VM stops, the manager recovers its VMs on the others, and the event-log oracle judges the run from the
 * processes' event files: no violation, the recovery among the ones it checked.
 */
public class PhasedAgentsEventLogTest extends AgentsInOneJvm {

  public PhasedAgentsEventLogTest() {
    super("phased");
  }

  @Test(timeout = 120_000)
  public void aHostFailureUnderPhasedClassesPassesTheEventLogOracle() throws Exception {
    await(() -> probe.activeHosts() == 3, "three agents hold leases");
    String group = createGroup("phased");
    addVms(group, "SI", "MI_3@2", "SI", "MI_4@1", "SI", "MI_2");
    assertEquals(1, enable(group).get("jobstatus").getAsInt());
    await(() -> probe.line(group) >= 6, "the recovery line moves");

    AgentProcess victim = probe.hostOf(group, "vm-1", agents);
    assertTrue("the host of vm-1 is one of the agents", victim != null);
    victim.close();
    long lineBefore = probe.line(group);
    awaitRecovery(group);
    await(() -> probe.line(group) > lineBefore + 6, "the line moves on after the recovery");
    stopProcesses();

    List<Path> files = new ArrayList<>();
    try (var listing = Files.list(dir.resolve("events"))) {
      listing.filter(p -> p.toString().endsWith(".jsonl")).sorted().forEach(files::add);
    }
    Path merged = dir.resolve("merged.jsonl");
    try (Writer w = Files.newBufferedWriter(merged, StandardCharsets.UTF_8)) {
      MergedEventLog.write(files, w);
    }
    Verdict v = EventLogOracle.check(List.of(merged));
    StringBuilder why = new StringBuilder(v.summary());
    v.violations().stream().limit(20).forEach(s -> why.append("  ").append(s).append('\n'));
    System.out.println("phased classes on agents in one JVM: " + v.summary().strip());
    assertTrue(why.toString(), v.ok());
    assertTrue(why.toString(), v.recoveriesChecked() >= 1);
    assertTrue(why.toString(), v.restoresChecked() >= 1);
    assertTrue(why.toString(), v.deliveries() > 0);
  }

}
