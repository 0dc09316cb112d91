package org.vmqsc.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.Assume;

/**
 * One embedded MariaDB per test JVM, shared by every test class; each test gets a database of its own on it.
 * Where MariaDB cannot start (missing system libraries on a developer machine) the tests skip with the reason;
 * with {@code CI=true} in the environment they fail instead (CI installs the libraries with .ci/setup-db.sh).
 */
public final class TestDatabases {

  private static final AtomicInteger counter = new AtomicInteger();
  private static EmbeddedDatabase server;
  private static String startFailure;

  private TestDatabases() {}

  public static synchronized EmbeddedDatabase server() {
    if (server == null && startFailure == null) {
      try {
        Path home = Files.createTempDirectory("vmqsc-test-mariadb");
        // The older fixtures connect as root without password: that account exists on this throwaway server only.
        server = EmbeddedDatabase.start(home, 0, true);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          server.stop();
          deleteTree(home);
        }, "vmqsc-test-mariadb-stop"));
      } catch (IOException | RuntimeException e) {
        startFailure = e.getMessage();
      }
    }
    if (server == null && "true".equals(System.getenv("CI"))) {
      // In CI .ci/setup-db.sh installed what MariaDB needs: a server that does not start is a failure, not a skip.
      throw new AssertionError("embedded MariaDB cannot start (CI=true, so this fails instead of skipping): "
          + startFailure);
    }
    Assume.assumeTrue("SKIPPED: embedded MariaDB cannot start on this machine: " + startFailure, server != null);
    return server;
  }

  /** The shared server's account with every privilege (see {@link EmbeddedDatabase#user()}). */
  public static String user() {
    return server().user();
  }

  public static String password() {
    return server().password();
  }

  /** A new, empty database on the shared server; returns its JDBC URL (for {@link #user()}, {@link #password()}). */
  public static String freshDatabase(String prefix) {
    return server().createDatabase(prefix + "_" + ProcessHandle.current().pid() + "_" + counter.incrementAndGet());
  }

  /** Deletes a server home a test made (hundreds of MB: the unpacked server and its log files). */
  public static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: it is a temporary directory
    }
  }
}
