package org.vmqsc.server.api;

import java.util.Optional;
import org.vmqsc.server.service.Views.RecoveryEventView;

/**
 * What recoverProtectionGroup runs on its job thread: recovers the group now (the standalone manager plugs the
 * {@code RecoveryCoordinator} in here). Empty when nothing had to be recovered or another manager already runs the
 * recovery; a {@code ServiceException} or any other exception fails the job.
 */
@FunctionalInterface
public interface Recoverer {

  Optional<RecoveryEventView> recover(String groupUuid);
}
