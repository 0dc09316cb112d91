package org.vmqsc.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Objects;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the plugin's {@code vmqsc_} tables to the version this code knows, and only those tables.
 *
 * <p>Flyway keeps its bookkeeping in {@value #HISTORY_TABLE}, so CloudStack's own {@code version} table and core
 * tables are never read or written. Running it again is a no-op; a database migrated by a newer vmqsc is refused
 * with {@link SchemaTooNewException} instead of being silently used by older code. Several management servers may
 * start at once: they take turns on a MySQL/MariaDB named lock ({@value #LOCK_NAME}), held on a connection of its
 * own, so the data source needs one connection more than Flyway uses (three suffice).
 */
public final class Migrator {

  public static final String HISTORY_TABLE = "vmqsc_schema_history";
  static final String LOCATION = "classpath:db/vmqsc";
  static final String LOCK_NAME = "vmqsc_schema_migration";
  private static final int LOCK_WAIT_SECONDS = 300;

  private final DataSource dataSource;
  private final Flyway flyway;

  public Migrator(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.flyway = Flyway.configure(Migrator.class.getClassLoader())
        .dataSource(dataSource)
        .table(HISTORY_TABLE)
        .locations(LOCATION)
        // The cloud database is never empty (CloudStack's tables are there): start our own history at 0
        // instead of refusing a non-empty schema, so V1 still runs.
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .baselineDescription("before vmqsc")
        // Never drop anything: this is a shared production database.
        .cleanDisabled(true)
        .load();
  }

  /** Applies the pending migrations (none when up to date) and tells what happened. */
  public MigrationReport migrate() {
    // Flyway locks only once its history table exists: two servers starting on an empty database would both try
    // to create it. The named lock makes them take turns from the very start.
    try (Connection lock = dataSource.getConnection()) {
      acquire(lock);
      try {
        refuseNewerSchema();
        String before = currentVersion();
        MigrateResult result = flyway.migrate();
        return new MigrationReport(before, currentVersion(), result.migrationsExecuted);
      } finally {
        release(lock);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot migrate the vmqsc schema: " + e.getMessage(), e);
    }
  }

  private static void acquire(Connection connection) throws SQLException {
    try (PreparedStatement s = connection.prepareStatement("SELECT GET_LOCK(?, ?)")) {
      s.setString(1, LOCK_NAME);
      s.setInt(2, LOCK_WAIT_SECONDS);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next() || rs.getInt(1) != 1) {
          throw new IllegalStateException("another vmqsc has been migrating this database's schema for more than "
              + LOCK_WAIT_SECONDS + " s (named lock " + LOCK_NAME + "); try again when it is done");
        }
      }
    }
  }

  private static void release(Connection connection) throws SQLException {
    try (PreparedStatement s = connection.prepareStatement("SELECT RELEASE_LOCK(?)")) {
      s.setString(1, LOCK_NAME);
      s.executeQuery().close();
    }
  }

  /** The schema version the database is at, or {@code "none"} when the plugin's tables were never created. */
  public String currentVersion() {
    MigrationInfo current = flyway.info().current();
    return current == null || current.getVersion() == null ? "none" : current.getVersion().getVersion();
  }

  /** The newest schema version this code can create. */
  public String codeVersion() {
    return latestKnown().getVersion();
  }

  private MigrationVersion latestKnown() {
    return Arrays.stream(flyway.info().all())
        // Resolved = found in this code's migrations; baseline markers are bookkeeping, not migrations.
        .filter(info -> info.getState().isResolved() && !info.getType().isBaseline())
        .map(MigrationInfo::getVersion)
        .filter(Objects::nonNull)
        .max(MigrationVersion::compareTo)
        .orElse(MigrationVersion.EMPTY);
  }

  // Flyway by default ignores "future" migrations, i.e. it would happily run old code on a newer schema.
  private void refuseNewerSchema() {
    MigrationInfo current = flyway.info().current();
    if (current == null || current.getVersion() == null) {
      return;
    }
    MigrationVersion known = latestKnown();
    if (current.getVersion().compareTo(known) > 0) {
      throw new SchemaTooNewException(current.getVersion().getVersion(), known.getVersion());
    }
  }

  /** What one {@link #migrate()} did. */
  public record MigrationReport(String fromVersion, String toVersion, int migrationsApplied) {
    @Override public String toString() {
      return migrationsApplied == 0
          ? "schema up to date at version " + toVersion
          : "schema migrated from version " + fromVersion + " to " + toVersion
              + " (" + migrationsApplied + " migration" + (migrationsApplied == 1 ? "" : "s") + ")";
    }
  }
}
