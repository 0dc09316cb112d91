package org.vmqsc.lab;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import org.mariadb.jdbc.MariaDbDataSource;
import org.vmqsc.db.EmbeddedDatabase;
import org.vmqsc.db.Migrator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./vmqsc db migrate|status}: the plugin's schema, on a given database or on the embedded one. */
@Command(name = "db",
    mixinStandardHelpOptions = true,
    description = "The plugin's database schema (vmqsc_ tables).",
    subcommands = {DbCommand.Migrate.class, DbCommand.Status.class})
public final class DbCommand implements Runnable {

  @Override public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  /** Where the schema lives: an external database by JDBC URL, or the embedded MariaDB. */
  static final class Target {
    @Option(names = "--url", description = "JDBC URL of the database, e.g. jdbc:mariadb://db:3306/cloud."
        + " Without it, the embedded MariaDB in --home is started and used.")
    String url;

    @Option(names = "--user", description = "database user, with --url (default: root)")
    String user;

    @Option(names = "--password", description = "database password, with --url (default: empty)")
    String password;

    @Option(names = "--home", description = "home of the embedded MariaDB (default: ~/.vmqsc/mariadb)")
    Path home;

    /**
     * Checks the options: credentials belong to an external database; the embedded one has its own account,
     * whose generated password is kept in its home.
     */
    Target checked() {
      if (url == null && (user != null || password != null)) {
        throw new IllegalArgumentException("--user and --password go with --url: the embedded MariaDB uses its own"
            + " account, whose password is kept in " + (home != null ? home : EmbeddedDatabase.defaultHome())
            + "/password");
      }
      if (url != null && user == null) user = "root";
      if (url != null && password == null) password = "";
      return this;
    }
  }

  abstract static class OnDatabase implements Callable<Integer> {
    @picocli.CommandLine.Mixin Target target = new Target();

    @Override public Integer call() throws SQLException {
      target.checked();
      if (target.url != null) {
        return run(dataSource(target.url, target.user, target.password));
      }
      try (EmbeddedDatabase embedded = EmbeddedDatabase.start(
          target.home != null ? target.home : EmbeddedDatabase.defaultHome(), 0)) {
        String url = embedded.createDatabase("vmqsc");
        System.out.println("embedded MariaDB: " + url + " (data in " + embedded.home().resolve("data") + ")");
        return run(dataSource(url, embedded.user(), embedded.password()));
      }
    }

    abstract int run(MariaDbDataSource dataSource);

    private static MariaDbDataSource dataSource(String url, String user, String password) throws SQLException {
      if (!url.startsWith("jdbc:mariadb:") && !url.startsWith("jdbc:mysql:")) {
        throw new IllegalArgumentException("--url must be a jdbc:mariadb: or jdbc:mysql: URL, got " + url);
      }
      MariaDbDataSource dataSource = new MariaDbDataSource(url.replaceFirst("^jdbc:mysql:", "jdbc:mariadb:"));
      dataSource.setUser(user);
      dataSource.setPassword(password);
      return dataSource;
    }
  }

  @Command(name = "migrate", mixinStandardHelpOptions = true,
      description = "Create or upgrade the vmqsc_ tables; a no-op when up to date; refuses a newer schema.")
  static final class Migrate extends OnDatabase {
    @Override int run(MariaDbDataSource dataSource) {
      System.out.println(new Migrator(dataSource).migrate());
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Print the schema version of the database and the one this vmqsc knows.")
  static final class Status extends OnDatabase {
    @Override int run(MariaDbDataSource dataSource) {
      Migrator migrator = new Migrator(dataSource);
      System.out.println("database schema version: " + migrator.currentVersion());
      System.out.println("code schema version: " + migrator.codeVersion());
      return 0;
    }
  }
}
