package org.vmqsc.db;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.Before;
import org.junit.Test;
import org.mariadb.jdbc.MariaDbDataSource;

public class MigratorTest {

  private static final List<String> TABLES = List.of(
      "vmqsc_checkpoint", "vmqsc_group_member", "vmqsc_log_segment", "vmqsc_logged_message", "vmqsc_protection_group",
      "vmqsc_recovery_event", "vmqsc_recovery_line", "vmqsc_recovery_line_entry", "vmqsc_schema_history");

  private MariaDbDataSource dataSource;

  @Before public void freshDatabase() throws SQLException {
    dataSource = new MariaDbDataSource(TestDatabases.freshDatabase("migrate"));
    dataSource.setUser(TestDatabases.user());
    dataSource.setPassword(TestDatabases.password());
  }

  @Test public void migratesAnEmptyDatabaseToTheCodeVersion() throws SQLException {
    Migrator migrator = new Migrator(dataSource);
    assertEquals("none", migrator.currentVersion());

    Migrator.MigrationReport report = migrator.migrate();

    assertEquals(migrator.codeVersion(), report.toVersion());
    assertEquals(migrator.codeVersion(), migrator.currentVersion());
    assertTrue(report.migrationsApplied() >= 1);
    assertEquals(new TreeSet<>(TABLES), tables());
  }

  @Test public void version2KeepsVersion1RowsAndGivesThemTheDefaultEarlyIndexPolicy() throws SQLException {
    // A database a vmqsc of schema version 1 migrated, with a group and a finished recovery in it.
    org.flywaydb.core.Flyway.configure(Migrator.class.getClassLoader()).dataSource(dataSource)
        .table(Migrator.HISTORY_TABLE).locations(Migrator.LOCATION).baselineOnMigrate(true).baselineVersion("0")
        .target("1").load().migrate();
    exec("INSERT INTO vmqsc_protection_group (uuid, name, base_period_ms, recovery_policy, created)"
        + " VALUES ('g1', 'old', 1000, 'MANUAL', NOW())");
    exec("INSERT INTO vmqsc_recovery_event (uuid, group_id, failure_kind, failed_ref, rolled_back, state, owner,"
        + " started, created) SELECT 'e1', id, 'HOST', 'h1', '', 'SUCCEEDED', 'm1', NOW(), NOW()"
        + " FROM vmqsc_protection_group");

    Migrator migrator = new Migrator(dataSource);
    Migrator.MigrationReport report = migrator.migrate();

    assertEquals("1", report.fromVersion());
    assertEquals(migrator.codeVersion(), report.toVersion());
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT g.early_index_policy, e.plan, g.started_ms FROM vmqsc_protection_group g"
             + " JOIN vmqsc_recovery_event e ON e.group_id = g.id")) {
      assertTrue(rs.next());
      assertEquals("ADVANCE_AND_LOG", rs.getString(1));
      assertEquals(null, rs.getString(2));
      assertEquals("a group from before version 4 has not started (its agents never ran it)", null, rs.getObject(3));
    }
  }

  @Test public void rerunningIsANoOp() throws SQLException {
    new Migrator(dataSource).migrate();
    exec("INSERT INTO vmqsc_protection_group (uuid, name, base_period_ms, recovery_policy, created)"
        + " VALUES ('g1', 'kept', 1000, 'AUTOMATIC', NOW())");
    long historyRows = count("vmqsc_schema_history");

    Migrator.MigrationReport again = new Migrator(dataSource).migrate();

    assertEquals(0, again.migrationsApplied());
    assertEquals(again.fromVersion(), again.toVersion());
    assertEquals(historyRows, count("vmqsc_schema_history"));
    assertEquals(1, count("vmqsc_protection_group"));
  }

  @Test public void refusesADatabaseMigratedByNewerCode() throws SQLException {
    new Migrator(dataSource).migrate();
    exec("INSERT INTO vmqsc_schema_history (installed_rank, version, description, type, script, checksum,"
        + " installed_by, installed_on, execution_time, success)"
        + " VALUES (99, '999', 'from the future', 'SQL', 'V999__future.sql', 1, 'root', NOW(), 1, 1)");

    SchemaTooNewException refused = assertThrows(SchemaTooNewException.class,
        () -> new Migrator(dataSource).migrate());

    assertEquals("999", refused.databaseVersion());
    assertTrue(refused.getMessage(), refused.getMessage().contains("version 999, newer than this vmqsc knows"));
  }

  @Test public void leavesCloudStackTablesAlone() throws SQLException {
    // A stand-in for the cloud database: CloudStack's own version table and a core table already exist.
    exec("CREATE TABLE version (id BIGINT PRIMARY KEY, version CHAR(40) NOT NULL)");
    exec("INSERT INTO version VALUES (1, '4.22.0.0')");
    exec("CREATE TABLE vm_instance (id BIGINT PRIMARY KEY, uuid VARCHAR(40))");

    new Migrator(dataSource).migrate();

    assertEquals(1, count("version"));
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT version FROM version")) {
      rs.next();
      assertEquals("4.22.0.0", rs.getString(1));
    }
    assertTrue(tables().containsAll(TABLES));
  }

  @Test public void managersStartingTogetherMigrateOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
      List<Future<Migrator.MigrationReport>> runs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Migrator migrator = new Migrator(dataSource);
        Callable<Migrator.MigrationReport> run = () -> {
          start.await();
          return migrator.migrate();
        };
        runs.add(pool.submit(run));
      }
      start.countDown();
      int applied = 0;
      for (Future<Migrator.MigrationReport> run : runs) {
        applied += run.get().migrationsApplied();
      }
      assertEquals(new Migrator(dataSource).codeVersion(), new Migrator(dataSource).currentVersion());
      assertEquals("each migration runs exactly once", migrationCount(), applied);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test public void aVmIsAnActiveMemberOfOneGroupOnly() throws SQLException {
    new Migrator(dataSource).migrate();
    exec("INSERT INTO vmqsc_protection_group (id, uuid, name, base_period_ms, recovery_policy, created)"
        + " VALUES (1, 'g1', 'a', 1000, 'AUTOMATIC', NOW()), (2, 'g2', 'b', 1000, 'AUTOMATIC', NOW())");
    exec("INSERT INTO vmqsc_group_member (uuid, group_id, vm_uuid, vm_class, created) VALUES ('m1', 1, 'vm-1', 'SI', NOW())");

    assertThrows(SQLIntegrityConstraintViolationException.class, () -> exec(
        "INSERT INTO vmqsc_group_member (uuid, group_id, vm_uuid, vm_class, created) VALUES ('m2', 2, 'vm-1', 'SI', NOW())"));

    exec("UPDATE vmqsc_group_member SET removed = NOW() WHERE uuid = 'm1'");
    exec("INSERT INTO vmqsc_group_member (uuid, group_id, vm_uuid, vm_class, created) VALUES ('m2', 2, 'vm-1', 'SI', NOW())");
    assertEquals(2, count("vmqsc_group_member"));
  }

  @Test public void rejectsANonPositiveBasePeriod() throws SQLException {
    new Migrator(dataSource).migrate();
    assertThrows(SQLException.class, () -> exec(
        "INSERT INTO vmqsc_protection_group (uuid, name, base_period_ms, recovery_policy, created)"
            + " VALUES ('g0', 'zero', 0, 'AUTOMATIC', NOW())"));
  }

  private int migrationCount() throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM vmqsc_schema_history WHERE type = 'SQL' AND success = 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private TreeSet<String> tables() throws SQLException {
    TreeSet<String> names = new TreeSet<>();
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SHOW TABLES LIKE 'vmqsc\\_%'")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  private long count(String table) throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void exec(String sql) throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
