package org.vmqsc.server.standalone;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.server.api.ApiKeys;
import org.vmqsc.server.api.ApiServer;
import org.vmqsc.server.api.FailureDetectorHosts;
import org.vmqsc.server.api.Recoverer;
import org.vmqsc.server.catalog.StandaloneCatalog;
import org.vmqsc.server.failure.FailureDetector;
import org.vmqsc.server.recovery.HostChannel;
import org.vmqsc.server.recovery.RecoveryCoordinator;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.Views.RecoveryEventView;

/**
 * The standalone manager: the catalog (on the embedded MariaDB in {@code <home>/mariadb}, or on a database given by
 * JDBC URL), the admin's API key pair (in {@code <home>/api-keys.properties}, owner-only), and the CloudStack-shaped
 * API on loopback, with listHosts from a failure detector and recoverProtectionGroup run by a
 * {@link RecoveryCoordinator}.
 *
 * <p>No agent process exists yet, so the coordinator talks to hosts through {@link NoAgentsChannel}: no host is
 * live, and a recovery records that it found no host to restore on. The agents' HTTP channel comes with the agent
 * process; {@link #start(Config, HostChannel)} already takes any channel.
 *
 * <p><b>An admin-asked recovery</b> ({@code recoverProtectionGroup}) recovers every VM of the group that no reachable
 * host runs; it is recorded as a {@link FailureKind#HOST} failure (what failed is "the hosts of those VMs", not one
 * VM the admin named) with the group's uuid as its failed reference. Recoveries run one at a time in a manager.
 */
public final class ManagerServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ManagerServer.class);

  /** A host's lease: it must heartbeat within this long (used once agents connect). */
  public static final Duration LEASE = Duration.ofSeconds(30);

  /**
   * Where the manager keeps its state and where its database is.
   *
   * @param home     the manager's home: the API keys, and the embedded database when {@code dbUrl} is null
   * @param dbUrl    a jdbc:mariadb: (or jdbc:mysql:) URL, or null for the embedded MariaDB in {@code home/mariadb}
   * @param port     the API port on 127.0.0.1; 0 for any free port
   */
  public record Config(Path home, String dbUrl, String dbUser, String dbPassword, int port) {
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
    }

    /** The embedded database's home. */
    public Path databaseHome() {
      return home.resolve("mariadb");
    }
  }

  private final StandaloneCatalog catalog;
  private final ApiServer api;
  private final Path keysFile;
  private final RecoveryCoordinator coordinator;

  private ManagerServer(StandaloneCatalog catalog, ApiServer api, Path keysFile, RecoveryCoordinator coordinator) {
    this.catalog = catalog;
    this.api = api;
    this.keysFile = keysFile;
    this.coordinator = coordinator;
  }

  /** With {@link NoAgentsChannel}: the manager as it ships until the agent process exists. */
  public static ManagerServer start(Config config) throws Exception {
    return start(config, new NoAgentsChannel());
  }

  public static ManagerServer start(Config config, HostChannel channel) throws Exception {
    Path home = config.home().toAbsolutePath();
    if (!Files.exists(home)) {
      Files.createDirectories(home, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    ApiKeys keys = ApiKeys.loadOrCreate(home); // before the database starts: a leaked key file stops us at once
    StandaloneCatalog catalog = StandaloneCatalog.open(config.dbUrl(), config.dbUser(), config.dbPassword(),
        config.databaseHome(), "manager-" + ProcessHandle.current().pid(), 8);
    try {
      ProtectionService service = catalog.catalog();
      RecoveryCoordinator coordinator = new RecoveryCoordinator(service, channel);
      resumeLeftovers(service, coordinator);
      Clock clock = Clock.systemUTC();
      FailureDetector detector = new FailureDetector(clock, LEASE);
      Object oneAtATime = new Object();
      Recoverer recoverer = group -> {
        synchronized (oneAtATime) {
          return coordinator.recover(group, FailureKind.HOST, group, Set.of());
        }
      };
      ApiServer api = new ApiServer(service, new FailureDetectorHosts(detector, clock, uuid -> uuid), recoverer,
          keys, config.port()).start();
      return new ManagerServer(catalog, api, home.resolve(ApiKeys.FILE_NAME), coordinator);
    } catch (Exception | Error e) {
      catalog.close();
      throw e;
    }
  }

  /**
   * Recoveries a previous manager claimed and left RUNNING: their orders again. A recovery that fails (no host
   * answers) is recorded failed by the coordinator and logged here; the manager starts anyway.
   */
  private static void resumeLeftovers(ProtectionService service, RecoveryCoordinator coordinator) {
    int left = service.runningRecoveries().size();
    // resume() stops at the first recovery that fails, after recording it failed: go on with the others.
    for (int attempt = 0; attempt <= left; attempt++) {
      try {
        for (RecoveryEventView done : coordinator.resume()) {
          log.info("resumed recovery {} of group {}: {}", done.uuid(), done.groupUuid(), done.state());
        }
        return;
      } catch (RuntimeException e) {
        log.warn("a recovery left running by a previous manager could not be resumed: {}", e.getMessage());
      }
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
    return coordinator;
  }

  /** The line printed when the manager is ready. */
  public String readyLine() {
    return "manager: listening on " + endpoint() + " (keys in " + keysFile + ")";
  }

  /** Stops the API first (no request half done on a closed pool), then the catalog and its embedded database. */
  @Override public void close() throws Exception {
    try {
      api.close();
    } finally {
      catalog.close();
    }
  }
}
