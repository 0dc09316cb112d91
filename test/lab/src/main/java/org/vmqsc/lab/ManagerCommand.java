package org.vmqsc.lab;

import java.nio.file.Path;
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
        + " 127.0.0.1, on the embedded MariaDB in --home or on the database at --db-url.",
        "No agent process connects yet: listHosts is empty and a recovery finds no host to restore on."})
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

  static Path defaultHome() {
    return Path.of(System.getProperty("user.home"), ".vmqsc", "manager");
  }

  @Override public Integer call() throws Exception {
    // Every check before anything starts or is written; a bad value is an IllegalArgumentException: one line, exit 2.
    ManagerServer.Config config = new ManagerServer.Config(home != null ? home : defaultHome(), dbUrl, dbUser,
        dbPassword, port);
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
