package org.vmqsc.server.service.memory;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.ProtectionServiceContract;

public class InMemoryProtectionServiceContractTest extends ProtectionServiceContract {

  @Override protected ProtectionService newService() {
    return new InMemoryProtectionService(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC),
        InMemoryProtectionService.counterIds(), "manager-a");
  }
}
