package org.vmqsc.server.catalog;

import org.vmqsc.server.service.Views;
import org.vmqsc.server.service.BoundaryReport;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.mockito.AdditionalAnswers.delegatesTo;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.withSettings;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.db.TestDatabases;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.manager.RecoveryLine;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.ReportResult;
import org.vmqsc.server.persistence.CatalogDatabase;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.persistence.RetryPolicy;

/** The database goes away mid-transaction or restarts mid-run: nothing half-done remains, nothing committed is lost. */
public class DatabaseFaultTest {

  private CatalogFixture fixture;

  @Before public void setUp() {
    fixture = CatalogFixture.fresh("faults");
  }

  @After public void tearDown() {
    fixture.close();
  }

  @Test public void aConnectionKilledMidTransactionLeavesNoPartialStateAndTheRetryCompletesIt() throws Exception {
    KillingDataSource killing = new KillingDataSource(fixture.pool(4));
    Catalog catalog = fixture.catalog("manager-a", killing.dataSource);
    GroupView group = twoVmGroup(catalog);
    Feeding.one(catalog, group.uuid(), checkpoint0("vm-0"));

    // The report that completes line 0 is killed while it writes the line, after it inserted its checkpoint.
    killing.armFor("vmqsc_recovery_line_entry");
    ReportResult result = Feeding.one(catalog, group.uuid(), checkpoint0("vm-1"));

    assertEquals(1, killing.kills.get());
    assertNotNull("the retried transaction moved the line", result.lineMoved());
    assertEquals(2, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint"));
    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_recovery_line"));
    assertEquals(2, fixture.count("SELECT COUNT(*) FROM vmqsc_recovery_line_entry"));
    assertEquals(0L, (long) catalog.listGroups(org.vmqsc.server.service.PageRequest.first(5)).items().get(0).lineIndex());
    assertEquals(0, catalog.currentLine(group.uuid()).orElseThrow().index());
  }

  @Test public void withoutRetriesAKilledTransactionLeavesNothingAndTheNextReportIsExact() throws Exception {
    KillingDataSource killing = new KillingDataSource(fixture.pool(4));
    CatalogDatabase noRetries = CatalogDatabase.open(killing.dataSource,
        new RetryPolicy(Duration.ZERO, Duration.ZERO, Duration.ZERO));
    Catalog catalog = new Catalog(noRetries, "manager-a");
    GroupView group = twoVmGroup(catalog);
    Feeding.one(catalog, group.uuid(), checkpoint0("vm-0"));
    long versionBefore = fixture.count("SELECT state_version FROM vmqsc_protection_group");

    killing.armFor("vmqsc_recovery_line_entry");
    assertThrows(RuntimeException.class, () -> Feeding.one(catalog, group.uuid(), checkpoint0("vm-1")));

    // Nothing of the killed transaction is in the database: not the checkpoint, not the line, not the version.
    assertEquals(1, fixture.count("SELECT COUNT(*) FROM vmqsc_checkpoint"));
    assertEquals(0, fixture.count("SELECT COUNT(*) FROM vmqsc_recovery_line"));
    assertEquals(0, fixture.count("SELECT COUNT(*) FROM vmqsc_recovery_line_entry"));
    assertEquals(versionBefore, fixture.count("SELECT state_version FROM vmqsc_protection_group"));
    // The host sends the report again: it is recorded as new and the line moves (no stale cached state).
    assertEquals(Views.ReportOutcome.RECORDED, Feeding.one(catalog, group.uuid(), checkpoint0("vm-1")).outcome());
    assertEquals(0, catalog.currentLine(group.uuid()).orElseThrow().index());
    noRetries.close();
  }

  @Test public void aDatabaseRestartMidRunLosesNoCommittedReportAndTheCatalogCarriesOn() throws Exception {
    // Connections the catalog could not get while the database was down: each one failed an attempt that the
    // catalog then retried.
    HikariDataSource pool = fixture.pool(8);
    AtomicInteger refused = new AtomicInteger();
    java.util.concurrent.CountDownLatch firstRefusal = new java.util.concurrent.CountDownLatch(1);
    DataSource counting = mock(DataSource.class, withSettings().defaultAnswer(delegatesTo(pool)));
    doAnswer(call -> {
      try {
        return pool.getConnection();
      } catch (SQLException down) {
        refused.incrementAndGet();
        firstRefusal.countDown();
        throw down;
      }
    }).when(counting).getConnection();
    Catalog catalog = fixture.catalog("manager-a", counting);
    SimulatedGroup sim = new SimulatedGroup("restart", List.of(VmClass.SI, VmClass.mi(2), VmClass.SI), 2, 3);
    GroupView view = Feeding.register(catalog, sim);
    for (int i = 0; i < 12; i++) sim.runInterval(6);
    sim.drain();
    List<SimulatedGroup.Report> reports = sim.all();
    AtomicInteger committed = new AtomicInteger();

    ExecutorService feeder = Executors.newSingleThreadExecutor();
    try {
      for (SimulatedGroup.Report r : reports.subList(0, reports.size() / 2)) {
        Feeding.feed(catalog, r);
        committed.incrementAndGet();
      }
      TestDatabases.server().stop();  // the second half starts while the database is away
      Future<?> run = feeder.submit(() -> {
        for (SimulatedGroup.Report r : reports.subList(reports.size() / 2, reports.size())) {
          Feeding.feed(catalog, r); // retried by the catalog while the database is away
          committed.incrementAndGet();
        }
      });
      firstRefusal.await();  // an attempt failed against the stopped database; bring it back
      TestDatabases.server().restart();
      run.get();
    } finally {
      feeder.shutdownNow();
      if (!TestDatabases.server().isRunning()) TestDatabases.server().restart();
    }

    assertTrue("no attempt was refused, so nothing was retried", refused.get() >= 1);
    assertEquals(reports.size(), committed.get());
    long boundaries = reports.stream().filter(r -> r instanceof SimulatedGroup.Boundary).count() / 2;
    assertEquals(boundaries, fixture.count("SELECT (SELECT COUNT(*) FROM vmqsc_checkpoint WHERE state = 'STABLE')"
        + " + (SELECT COUNT(*) FROM vmqsc_log_segment WHERE state = 'STABLE')"));
    RecoveryLine expected = sim.reference.advance().orElse(sim.reference.line());
    LineView line = catalog.currentLine(view.uuid()).orElseThrow();
    assertEquals(expected.index(), line.index());
    long[] csns = new long[sim.size()];
    for (int vm = 0; vm < sim.size(); vm++) csns[vm] = line.checkpointIndexOf(sim.vmUuid(vm));
    assertArrayEquals(expected.checkpointOf(), csns);
  }

  private static GroupView twoVmGroup(Catalog catalog) {
    GroupView group = catalog.createGroup("pair", 1000, RecoveryPolicy.AUTOMATIC, null);
    catalog.addVm(group.uuid(), "vm-0", "SI", "host-a");
    catalog.addVm(group.uuid(), "vm-1", "SI", "host-b");
    return group;
  }

  private static BoundaryReport checkpoint0(String vm) {
    return new BoundaryReport(vm, BoundaryKind.CHECKPOINT, 0, 0, false, true, 10, "stable://" + vm + "/0",
        "sha256:" + vm, 0, 0, new long[2], new long[2]);
  }

  /**
   * Fault injection: a DataSource whose connections, once armed, have the server kill them (KILL CONNECTION from
   * another session) just before a statement touching a given table runs.
   */
  static final class KillingDataSource {
    final DataSource dataSource;
    final AtomicInteger kills = new AtomicInteger();
    private volatile String armedTable;

    KillingDataSource(HikariDataSource pool) throws SQLException {
      dataSource = mock(DataSource.class, withSettings().defaultAnswer(delegatesTo(pool)));
      doAnswer(invocation -> wrap(pool.getConnection())).when(dataSource).getConnection();
    }

    void armFor(String table) {
      armedTable = table;
    }

    private Connection wrap(Connection real) throws SQLException {
      Connection connection = mock(Connection.class, withSettings().defaultAnswer(delegatesTo(real)));
      doAnswer(invocation -> {
        String sql = invocation.getArgument(0);
        killIfArmed(real, sql);
        return real.prepareStatement(sql);
      }).when(connection).prepareStatement(anyString());
      return connection;
    }

    private synchronized void killIfArmed(Connection victim, String sql) throws SQLException {
      String table = armedTable;
      if (table == null || !sql.toLowerCase().contains(table)) return;
      armedTable = null;
      long id;
      try (Statement s = victim.createStatement(); ResultSet rs = s.executeQuery("SELECT CONNECTION_ID()")) {
        rs.next();
        id = rs.getLong(1);
      }
      try (Connection admin = DriverManager.getConnection(TestDatabases.server().jdbcUrl(""),
          TestDatabases.user(), TestDatabases.password());
           Statement s = admin.createStatement()) {
        s.execute("KILL CONNECTION " + id);
      }
      kills.incrementAndGet();
    }
  }
}
