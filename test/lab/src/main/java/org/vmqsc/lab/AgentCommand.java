package org.vmqsc.lab;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.vmqsc.agent.kvm.LabGuest;
import org.vmqsc.agent.kvm.LabMachines;
import org.vmqsc.agent.process.AgentProcess;
import org.vmqsc.server.api.ApiKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmqsc agent}: one host agent as its own process, until SIGTERM or Ctrl-C. Its guests are simulated
 * piecewise-deterministic VMs running in real time; their memory is checkpointed by the real engine.
 */
@Command(name = "agent",
    mixinStandardHelpOptions = true,
    description = {"Run a host agent: it registers with the manager, keeps its lease (and stops its VMs when it"
        + " cannot), runs the VMs of the protection groups the manager deploys to it, checkpoints them at their"
        + " class period, logs their messages, and carries out recoveries."})
public final class AgentCommand implements Callable<Integer> {

  @Option(names = "--name", required = true, description = "the host's name, as listHosts shows it")
  String name;

  @Option(names = "--manager", defaultValue = "http://127.0.0.1:8080/", description = "the manager's URL"
      + " (default: ${DEFAULT-VALUE})")
  URI manager;

  @Option(names = "--manager-home", description = "the manager's home, whose key file holds the agents' token"
      + " (default: ~/.vmqsc/manager)")
  Path managerHome;

  @Option(names = "--home", description = "this agent's folder: its host uuid and staging store"
      + " (default: ~/.vmqsc/agents/<name>)")
  Path home;

  @Option(names = "--stable", description = "stable storage shared by every agent (default: ~/.vmqsc/stable)")
  Path stable;

  @Option(names = "--sweep-grace-s", defaultValue = "120", description = "how long a sweep of the stable store"
      + " leaves a new pack, and one it moved aside, alone; far longer than a flush's last check before its manifest"
      + " (default: ${DEFAULT-VALUE})")
  long sweepGraceS;

  @Option(names = "--events", description = "write the agent's events here (JSON Lines)")
  Path events;

  @Option(names = "--kvm", description = "run real guests: the lab guest (.ci/setup-kvm.sh) under QEMU through libvirt,"
      + " one per VM, its NIC on this agent's relay and a data disk, checkpointed with background snapshots; every VM"
      + " must be SI")
  boolean kvm;

  @Override public Integer call() throws Exception {
    Path vmqsc = Path.of(System.getProperty("user.home"), ".vmqsc");
    Path keysHome = managerHome != null ? managerHome : ManagerCommand.defaultHome();
    VmqscCommand.checkOutputFile("--events", events);
    String token;
    try {
      token = ApiKeys.loadFrom(keysHome).agentToken();
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException("no manager key file in " + keysHome + ": start the manager first, or name"
          + " its home with --manager-home");
    }
    AgentProcess.Config config = new AgentProcess.Config(name, manager, token,
        home != null ? home : vmqsc.resolve("agents").resolve(name), stable != null ? stable : vmqsc.resolve("stable"),
        events, java.time.Duration.ofSeconds(sweepGraceS));
    AgentProcess agent;
    if (kvm) {
      String why = LabGuest.messagingUnavailableReason().orElse(null);
      if (why != null) throw new IllegalArgumentException("--kvm: " + why);
      agent = AgentProcess.start(config, LabMachines.open(name, config.home().resolve("guests")));
    } else {
      agent = AgentProcess.start(config);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        agent.close();
        System.err.println("agent " + name + ": stopped");
      } catch (Exception e) {
        System.err.println("agent " + name + ": stopping: " + VmqscCommand.describe(e));
      } finally {
        stopped.countDown();
      }
    }, "vmqsc-agent-stop"));
    System.out.println(agent.readyLine());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
