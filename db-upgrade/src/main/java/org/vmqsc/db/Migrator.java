package org.vmqsc.db;

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
 * start at once: Flyway serialises them with a MySQL/MariaDB named lock.
 */
public final class Migrator {

  public static final String HISTORY_TABLE = "vmqsc_schema_history";
  static final String LOCATION = "classpath:db/vmqsc";

  private final Flyway flyway;

  public Migrator(DataSource dataSource) {
    Objects.requireNonNull(dataSource, "dataSource");
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
    refuseNewerSchema();
    String before = currentVersion();
    MigrateResult result = flyway.migrate();
    return new MigrationReport(before, currentVersion(), result.migrationsExecuted);
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
