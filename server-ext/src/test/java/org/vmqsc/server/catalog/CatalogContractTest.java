package org.vmqsc.server.catalog;

import org.junit.After;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.ProtectionServiceContract;

/** The service contract on the catalog: MariaDB (embedded), a fresh database per test. */
public class CatalogContractTest extends ProtectionServiceContract {

  private CatalogFixture fixture;

  @Override protected ProtectionService newService() {
    fixture = CatalogFixture.fresh("contract");
    return fixture.catalog("00000000-0000-0000-0000-00000000000a");
  }

  @After public void closeDatabase() {
    if (fixture != null) fixture.close();
  }
}
