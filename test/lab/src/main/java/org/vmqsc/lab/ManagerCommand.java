package org.vmqsc.lab;

import java.nio.file.Path;
import java.time.Duration;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.server.cluster.StandaloneCluster;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.vmqsc.server.standalone.ManagerServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmqsc manager}: the standalone manager, serving the CloudStack-shaped API on loopback until SIGTERM or
 * Ctrl-C, when a shutdown hook stops the API and the (embedded) database cleanly.
 */
@Command(name = "manager",
    mixinStandardHelpOptions = true,
    description = {"Run the standalone manager: the protection-group API (CloudStack-shaped, signed requests) on"
        + " 127.0.0.1, on the embedded MariaDB in --home or on the database at --db-url, and the endpoints of its"
        + " host agents (./vmqsc agent). A host whose lease ends is recovered automatically."})
public final class ManagerCommand implements Callable<Integer> {

  @Option(names = "--port", defaultValue = "8080", description = "API port on 127.0.0.1; 0 for any free port"
      + " (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--home", description = "the manager's home: its API keys, and the embedded MariaDB"
      + " (default: ~/.vmqsc/manager)")
  Path home;

  @Option(names = "--db-url", description = "JDBC URL of the database, e.g. jdbc:mariadb://db:3306/cloud."
      + " Without it, the embedded MariaDB in --home is started and used.")
  String dbUrl;

  @Option(names = "--db-user", description = "database user, with --db-url (default: root)")
  String dbUser;

  @Option(names = "--db-password", description = "database password, with --db-url (default: empty)")
  String dbPassword;

  @Option(names = "--lease-ms", defaultValue = "3000", description = "a host's lease: it is declared failed when"
      + " it has not heartbeated for this long (default: ${DEFAULT-VALUE})")
  long leaseMs;

  @Option(names = "--heartbeat-ms", defaultValue = "1000", description = "how often agents heartbeat"
      + " (default: ${DEFAULT-VALUE})")
  long heartbeatMs;

  @Option(names = "--guest-messages", defaultValue = "4", description = "simulated guests: messages each VM sends"
      + " per base period (default: ${DEFAULT-VALUE})")
  double guestMessages;

  @Option(names = "--guest-memory-mib", defaultValue = "16", description = "simulated guests: memory each VM"
      + " checkpoints, MiB (default: ${DEFAULT-VALUE})")
  int guestMemoryMib;

  @Option(names = "--kept-behind-line", defaultValue = "0", description = "checkpoints per VM kept behind the"
      + " recovery line, with the log segments after them, before they are deleted from storage"
      + " (default: ${DEFAULT-VALUE})")
  int keptBehindLine;

  @Option(names = "--storage-grace-s", description = "how old a checkpoint or log record the catalog no longer names"
      + " must be before the hosts delete it; they are told once per this (default: 20 leases, at least 120)")
  Long storageGraceS;

  @Option(names = "--events", description = "write the manager's events here (JSON Lines)")
  Path events;

  static Path defaultHome() {
    return Path.of(System.getProperty("user.home"), ".vmqsc", "manager");
  }

  @Override public Integer call() throws Exception {
    // Every check before anything starts or is written; a bad value is an IllegalArgumentException: one line, exit 2.
    if (!(guestMessages >= 0 && guestMessages <= 10_000)) {
      throw new IllegalArgumentException("--guest-messages must be 0..10000, got " + guestMessages);
    }
    if (guestMemoryMib < 1 || guestMemoryMib > 4096) {
      throw new IllegalArgumentException("--guest-memory-mib must be 1..4096, got " + guestMemoryMib);
    }
    if (leaseMs > 600_000) throw new IllegalArgumentException("--lease-ms must be at most 600000, got " + leaseMs);
    if (keptBehindLine < 0 || keptBehindLine > 1000) {
      throw new IllegalArgumentException("--kept-behind-line must be 0..1000, got " + keptBehindLine);
    }
    Duration grace = storageGraceS == null ? StandaloneCluster.Settings.defaultGrace(Duration.ofMillis(leaseMs))
        : Duration.ofSeconds(storageGraceS);
    if (grace.toMillis() < 2 * leaseMs || grace.toDays() > 30) {
      throw new IllegalArgumentException("--storage-grace-s must be at least two leases (" + 2 * leaseMs / 1000.0
          + " s) and at most 30 days, got " + storageGraceS);
    }
    StandaloneCluster.Settings cluster = new StandaloneCluster.Settings(Duration.ofMillis(leaseMs),
        Duration.ofMillis(heartbeatMs), new GuestProfile(guestMessages, guestMemoryMib, 200, 7), keptBehindLine,
        grace);
    VmqscCommand.checkOutputFile("--events", events);
    ManagerServer.Config config = new ManagerServer.Config(home != null ? home : defaultHome(), dbUrl, dbUser,
        dbPassword, port, cluster, events);
    VmqscCommand.checkOutputFolder("--home", home); // a given home's parent must exist; the default's is made
    // Hibernate logs through JBoss Logging, by default to java.util.logging at INFO: route it to the command's
    // slf4j settings (simplelogger.properties: libraries at WARN), so the manager's own lines stand out.
    if (System.getProperty("org.jboss.logging.provider") == null) {
      System.setProperty("org.jboss.logging.provider", "slf4j");
    }
    ManagerServer server = ManagerServer.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
        System.err.println("manager: stopped");
      } catch (Exception e) {
        System.err.println("manager: stopping: " + VmqscCommand.describe(e));
      } finally {
        stopped.countDown();
      }
    }, "vmqsc-manager-stop"));
    System.out.println(server.readyLine());
    System.out.flush();
    stopped.await(); // until SIGTERM or Ctrl-C: the JVM then runs the hook and exits
    return 0;
  }
}
