package org.vmqsc.server.catalog;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.vmqsc.db.Migrator;
import org.vmqsc.db.TestDatabases;
import org.vmqsc.server.persistence.CatalogDatabase;
import org.vmqsc.server.persistence.RetryPolicy;

/** A fresh migrated database on the shared test MariaDB, and catalogs ("management servers") on it. */
final class CatalogFixture implements AutoCloseable {

  static final RetryPolicy TEST_RETRIES =
      new RetryPolicy(Duration.ofSeconds(30), Duration.ofMillis(10), Duration.ofMillis(500));

  final String url;
  private final List<AutoCloseable> open = new ArrayList<>();

  private CatalogFixture(String url) {
    this.url = url;
  }

  static CatalogFixture fresh(String prefix) {
    CatalogFixture fixture = new CatalogFixture(TestDatabases.freshDatabase(prefix));
    new Migrator(fixture.pool(3)).migrate();
    return fixture;
  }

  HikariDataSource pool(int size) {
    HikariDataSource pool = CatalogDatabase.pooledDataSource(url, "root", "", size);
    open.add(0, pool);
    return pool;
  }

  /** A management server: its own pool, its own Hibernate, its own cache. */
  Catalog catalog(String managerId) {
    return catalog(managerId, pool(8));
  }

  Catalog catalog(String managerId, DataSource dataSource) {
    CatalogDatabase database = CatalogDatabase.open(dataSource, TEST_RETRIES);
    open.add(0, database);
    return new Catalog(database, managerId);
  }

  long count(String sql) {
    try (Connection c = java.sql.DriverManager.getConnection(url, "root", "");
         Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Another session takes the group's row lock and holds it until it commits. */
  Connection holdGroupLock(String groupUuid) throws SQLException {
    Connection c = java.sql.DriverManager.getConnection(url, "root", "");
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.executeQuery("SELECT id FROM vmqsc_protection_group WHERE uuid = '" + groupUuid + "' FOR UPDATE").close();
    }
    return c;
  }

  /**
   * Waits until {@code n} statements have run for a while, in a test where only lock waits do (so the test knows
   * the order in which they queued).
   */
  void awaitLockWaits(int n) throws InterruptedException {
    for (int i = 0; i < 1000; i++) {
      if (count("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query'"
          + " AND ID <> CONNECTION_ID() AND TIME_MS > 50") >= n) return;
      Thread.sleep(10);
    }
    throw new AssertionError("fewer than " + n + " transactions ever waited for a lock");
  }

  @Override public void close() {
    for (AutoCloseable c : open) {
      try {
        c.close();
      } catch (Exception ignored) {
        // closing test resources: nothing to do about a failure
      }
    }
  }
}
