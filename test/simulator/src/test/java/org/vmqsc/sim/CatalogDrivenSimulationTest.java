package org.vmqsc.sim;

import static org.junit.Assert.assertTrue;

import java.util.UUID;
import org.junit.Test;
import org.vmqsc.db.TestDatabases;
import org.vmqsc.server.catalog.StandaloneCatalog;

/**
 * The oracle over the manager that ships for production: the catalog on MariaDB (embedded), every report batch a
 * transaction, every recovery planned, claimed (with its plan stored) and finished through the database.
 */
public class CatalogDrivenSimulationTest {

  @Test public void everyRecoveryThroughTheCatalogIsConsistent() {
    long recoveries = 0;
    for (long seed = 1; seed <= 8; seed++) {
      SimConfig config = SimConfig.builder().seed(seed).hosts(3).classes(SimConfig.mixedClasses(8, 0.5, 3))
          .workload(Workload.uniform(8)).periods(20).vmFailures(3).hostFailures(3).delays(1, 60)
          .deterministicGuests(seed % 2 == 0).build();
      try (StandaloneCatalog catalog = StandaloneCatalog.open(TestDatabases.freshDatabase("simulated"),
          TestDatabases.user(), TestDatabases.password(), null, new UUID(0x6d67L, seed).toString(), 4)) {
        recoveries += new Simulator(config, EventSink.none(), catalog.catalog()).run().recoveriesChecked;
      }
    }
    System.out.println("oracle over the catalog: " + recoveries + " recoveries checked, 0 violations");
    assertTrue("too few recoveries to say anything: " + recoveries, recoveries >= 20);
  }
}
