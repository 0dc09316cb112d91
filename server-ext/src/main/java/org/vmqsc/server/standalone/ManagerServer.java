package org.vmqsc.server.standalone;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.server.api.ApiKeys;
import org.vmqsc.server.api.ApiServer;
import org.vmqsc.server.catalog.StandaloneCatalog;
import org.vmqsc.server.cluster.StandaloneCluster;
import org.vmqsc.agent.process.EventLog;
import org.vmqsc.server.recovery.RecoveryCoordinator;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.ProtectionService;

/**
 * The standalone manager: the catalog (on the embedded MariaDB in {@code <home>/mariadb}, or on a database given by
 * JDBC URL), the admin's API key pair (in {@code <home>/api-keys.properties}, owner-only; the agents' token is
 * derived from it), and one HTTP server on loopback with the CloudStack-shaped API at {@code /client/api} and the
 * agents' endpoints at {@code /agent/v1/}, and the admin UI's page at {@code /ui/} ({@link UiHandler}). Its hosts
 * are agent processes ({@link StandaloneCluster}): leases, reports,
 * and recoveries driven by a {@link RecoveryCoordinator}, automatically when a lease ends and when an admin asks.
 *
 * <p><b>An admin-asked recovery</b> ({@code recoverProtectionGroup}) recovers every VM of the group that no reachable
 * host runs; it is recorded as a {@link FailureKind#HOST} failure (what failed is "the hosts of those VMs", not one
 * VM the admin named) with the group's uuid as its failed reference. Recoveries run one at a time in a manager.
 */
public final class ManagerServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ManagerServer.class);

  /**
   * Where the manager keeps its state and where its database is.
   *
   * @param home     the manager's home: the API keys, and the embedded database when {@code dbUrl} is null
   * @param dbUrl    a jdbc:mariadb: (or jdbc:mysql:) URL, or null for the embedded MariaDB in {@code home/mariadb}
   * @param port     the API port on 127.0.0.1; 0 for any free port
   * @param cluster  leases and the simulated guests' workload
   * @param events   the JSON Lines event file, or null
   */
  public record Config(Path home, String dbUrl, String dbUser, String dbPassword, int port,
                       StandaloneCluster.Settings cluster, Path events) {
    public Config {
      if (home == null) throw new IllegalArgumentException("the manager needs a home directory");
      if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be 0..65535, got " + port);
      if (dbUrl == null && (dbUser != null || dbPassword != null)) {
        throw new IllegalArgumentException("--db-user and --db-password go with --db-url: the embedded MariaDB"
            + " uses its own account, whose password is kept in " + home.resolve("mariadb") + "/password");
      }
      if (dbUrl != null && !dbUrl.startsWith("jdbc:mariadb:") && !dbUrl.startsWith("jdbc:mysql:")) {
        throw new IllegalArgumentException("--db-url must be a jdbc:mariadb: or jdbc:mysql: URL, got " + dbUrl);
      }
      if (dbUrl != null && dbUser == null) dbUser = "root";
      if (dbUrl != null && dbPassword == null) dbPassword = "";
      if (Files.exists(home) && !Files.isDirectory(home)) {
        throw new IllegalArgumentException("--home names a file, not a folder: " + home);
      }
      if (cluster == null) cluster = StandaloneCluster.Settings.defaults();
    }

    /** With the default leases and guests, no event file. */
    public Config(Path home, String dbUrl, String dbUser, String dbPassword, int port) {
      this(home, dbUrl, dbUser, dbPassword, port, null, null);
    }

    /** The embedded database's home. */
    public Path databaseHome() {
      return home.resolve("mariadb");
    }
  }

  private final StandaloneCatalog catalog;
  private final ApiServer api;
  private final Path keysFile;
  private final StandaloneCluster cluster;
  private final EventLog events;

  private ManagerServer(StandaloneCatalog catalog, ApiServer api, Path keysFile, StandaloneCluster cluster,
                        EventLog events) {
    this.catalog = catalog;
    this.api = api;
    this.keysFile = keysFile;
    this.cluster = cluster;
    this.events = events;
  }

  public static ManagerServer start(Config config) throws Exception {
    Path home = config.home().toAbsolutePath();
    if (!Files.exists(home)) {
      Files.createDirectories(home, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    ApiKeys keys = ApiKeys.loadOrCreate(home); // before the database starts: a leaked key file stops us at once
    StandaloneCatalog catalog = StandaloneCatalog.open(config.dbUrl(), config.dbUser(), config.dbPassword(),
        config.databaseHome(), "manager-" + ProcessHandle.current().pid(), 8);
    EventLog events = EventLog.none();
    StandaloneCluster cluster = null;
    try {
      events = config.events() == null ? EventLog.none() : EventLog.open(config.events(), "manager");
      ProtectionService service = catalog.catalog();
      cluster = new StandaloneCluster(service, config.cluster(), keys.agentToken(), events);
      // The agents' endpoints and the admin UI take only their own paths; the API answers everything else.
      ApiServer api = new ApiServer(service, cluster.hosts(), cluster, keys, ApiServer.DEFAULT_HOST, config.port(),
          new org.eclipse.jetty.server.Handler.Sequence(cluster.agentEndpoints(), UiHandler.fromEnvironment()))
          .start();
      cluster.start();
      return new ManagerServer(catalog, api, home.resolve(ApiKeys.FILE_NAME), cluster, events);
    } catch (Exception | Error e) {
      if (cluster != null) cluster.close();
      events.close();
      catalog.close();
      throw e;
    }
  }

  public URI endpoint() {
    return api.endpoint();
  }

  public int port() {
    return api.port();
  }

  public Path keysFile() {
    return keysFile;
  }

  public RecoveryCoordinator coordinator() {
    return cluster.coordinator();
  }

  /** The line printed when the manager is ready. */
  public String readyLine() {
    return "manager: listening on " + endpoint() + " (keys in " + keysFile + ")";
  }

  /** Stops the API first (no request half done on a closed pool), then the catalog and its embedded database. */
  @Override public void close() throws Exception {
    try {
      cluster.close();
      api.close();
    } finally {
      try {
        catalog.close();
      } finally {
        events.close();
      }
    }
  }
}
