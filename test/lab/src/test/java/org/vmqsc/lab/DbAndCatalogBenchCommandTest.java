package org.vmqsc.lab;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.Test;
import org.vmqsc.db.TestDatabases;
import picocli.CommandLine;

/** {@code ./vmqsc db ...} and {@code ./vmqsc bench catalog} on the test MariaDB. */
public class DbAndCatalogBenchCommandTest {

  private record Run(int exitCode, String out, String err) {}

  @Test public void migrateCreatesTheSchemaOnceAndStatusReportsIt() {
    String url = TestDatabases.freshDatabase("lab_db");

    Run first = runAsTestUser("db", "migrate", "--url", url);
    Run second = runAsTestUser("db", "migrate", "--url", url);
    Run status = runAsTestUser("db", "status", "--url", url);

    assertEquals(0, first.exitCode());
    String code = reached(first);
    assertTrue(first.out(), first.out().contains("schema migrated from version none to " + code));
    assertTrue(second.out(), second.out().contains("schema up to date at version " + code));
    assertTrue(status.out(), status.out().contains("database schema version: " + code));
  }

  @Test public void aNewerSchemaAndABadUrlAreRefusedWithOneLine() throws Exception {
    String url = TestDatabases.freshDatabase("lab_db");
    String code = reached(runAsTestUser("db", "migrate", "--url", url));
    try (Connection c = DriverManager.getConnection(url, TestDatabases.user(), TestDatabases.password()); Statement s = c.createStatement()) {
      s.execute("INSERT INTO vmqsc_schema_history (installed_rank, version, description, type, script, checksum,"
          + " installed_by, installed_on, execution_time, success)"
          + " VALUES (99, '999', 'future', 'SQL', 'V999__future.sql', 1, 'root', NOW(), 1, 1)");
    }

    Run newer = runAsTestUser("db", "migrate", "--url", url);
    Run badUrl = runAsTestUser("db", "migrate", "--url", "postgres://nope");

    assertEquals(2, newer.exitCode());
    assertTrue(newer.err(), newer.err().contains("at version 999, newer than this vmqsc knows (" + code + ")"));
    assertEquals(2, badUrl.exitCode());
    assertTrue(badUrl.err(), badUrl.err().contains("--url must be a jdbc:mariadb: or jdbc:mysql: URL"));
  }

  @Test public void theCatalogBenchPrintsItsFiguresAndMovesEveryLine() {
    String url = TestDatabases.freshDatabase("lab_bench");

    Run bench = runAsTestUser("bench", "catalog", "--url", url, "--vms", "30", "--group-size", "10", "--boundaries",
        "2",
        "--threads", "2");

    assertEquals(bench.err(), 0, bench.exitCode());
    assertTrue(bench.out(), bench.out().matches("(?s).*reports/s: \\d+\\n.*"));
    assertTrue(bench.out(), bench.out().matches("(?s).*line-advance p99 ms: [0-9.]+\\n.*"));
    // 3 groups, each line moving at each of the 2 boundaries.
    assertTrue(bench.out(), bench.out().contains("line advances: 6\n"));
  }

  /** With the test server's account: it refuses anyone else. */
  private static Run runAsTestUser(String... args) {
    String[] withCredentials = java.util.Arrays.copyOf(args, args.length + 4);
    System.arraycopy(new String[] {"--user", TestDatabases.user(), "--password", TestDatabases.password()}, 0,
        withCredentials, args.length, 4);
    return run(withCredentials);
  }

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      CommandLine cl = VmqscCommand.commandLine();
      cl.setErr(new PrintWriter(err, true));
      int code = cl.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(stdout);
    }
  }

  /** The version a first migration reached: the newest this code's migrations make. */
  private static String reached(Run firstMigration) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("schema migrated from version none to (\\d+)")
        .matcher(firstMigration.out());
    assertTrue(firstMigration.out(), m.find());
    return m.group(1);
  }
}
