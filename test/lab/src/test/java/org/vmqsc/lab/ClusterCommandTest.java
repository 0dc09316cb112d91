package org.vmqsc.lab;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.lab.cluster.LocalCluster;

/**
 * {@code ./vmqsc cluster} as a person uses it: each sub-command its own process, the cluster's processes living on
 * between them. up, a second up refused, group create, status, kill-host with its recovery followed, restart-host,
 * down; then no process is left and the merged events pass the oracle.
 */
public class ClusterCommandTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private record Run(int exit, String out) {}

  private Path dir;

  private Run vmqsc(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "org.vmqsc.lab.VmqscCommand"));
    command.addAll(List.of(args));
    command.addAll(List.of("--dir", dir.toString()));
    Path log = Files.createTempFile(tmp.getRoot().toPath(), "run", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", args) + " did not end within 180 s: " + Files.readString(log));
    }
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  @Test public void upStatusKillHostRestartDownAsProcesses() throws Exception {
    dir = tmp.getRoot().toPath().resolve("cluster");
    List<Long> pids = new ArrayList<>();
    try {
      Run up = vmqsc("cluster", "up", "--agents", "3");
      assertEquals(up.out(), 0, up.exit());
      assertTrue(up.out(), up.out().contains("API endpoint: http://127.0.0.1:"));
      assertTrue(up.out(), up.out().matches("(?s).*cmk set url \\S+; cmk set apikey \\S+; cmk set secretkey \\S+; cmk sync.*"));
      assertTrue(up.out(), up.out().contains("signature="));
      LocalCluster c = LocalCluster.attach(dir);
      pids.add(c.manager().pid());
      c.agents().values().forEach(a -> pids.add(a.pid()));
      assertTrue("the processes outlive the command", c.anyAlive() && LocalCluster.alive(c.agent("h2").pid()));

      Run again = vmqsc("cluster", "up");
      assertEquals(again.out(), 2, again.exit());
      assertTrue(again.out(), again.out().startsWith("vmqsc: a cluster already runs in "));

      Run group = vmqsc("cluster", "group", "create", "--vms", "6", "--name", "play");
      assertEquals(group.out(), 0, group.exit());
      assertTrue(group.out(), group.out().contains("6 VMs enabled; VMs per host {h1="));

      // The victim must hold VMs of the group: every agent does (6 VMs placed on the least loaded of 3).
      Run status = vmqsc("cluster", "status");
      assertEquals(status.out(), 0, status.exit());
      assertTrue(status.out(), status.out().contains("hosts (listHosts): h1=ACTIVE h2=ACTIVE h3=ACTIVE"));
      assertTrue(status.out(), status.out().matches("(?s).*group play \\(\\S+\\): Enabled, 6 VMs.*VMs per host: \\{h1=.*"
          + "no recovery yet.*"));

      Run kill = vmqsc("cluster", "kill-host", "h2");
      assertEquals(kill.out(), 0, kill.exit());
      assertTrue(kill.out(), kill.out().startsWith("SIGKILL agent h2"));
      assertTrue(kill.out(), kill.out().contains("succeeded after "));
      assertFalse(LocalCluster.alive(c.agent("h2").pid()));

      Run after = vmqsc("cluster", "status");
      assertTrue(after.out(), after.out().matches("(?s).*h2: +not running.*h2=FAILED.*newest of 1 recoveries: SUCCEEDED, HOST.*"));

      Run restart = vmqsc("cluster", "restart-host", "h2");
      assertEquals(restart.out(), 0, restart.exit());
      pids.add(LocalCluster.attach(dir).agent("h2").pid());
      assertTrue(restart.out(), restart.out().contains("agent h2 runs again"));

      Run down = vmqsc("cluster", "down", "--grace-s", "10");
      assertEquals(down.out(), 0, down.exit());
      assertTrue(down.out(), down.out().contains("every process of the cluster in ") && down.out().contains("merged: "));
      for (long pid : pids) assertFalse("pid " + pid + " still runs", LocalCluster.alive(pid));

      Run check = vmqsc2("check-events", dir.resolve("events.jsonl").toString());
      assertEquals(check.out(), 0, check.exit());
      assertTrue(check.out(), check.out().contains("oracle: 0 violations"));
    } finally {
      for (long pid : pids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /** A command without --dir. */
  private Run vmqsc2(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "org.vmqsc.lab.VmqscCommand"));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(tmp.getRoot().toPath(), "run", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
