package org.vmqsc.plugin.host;

import java.util.ArrayList;
import java.util.List;
import org.vmqsc.plugin.command.CheckpointTickCommand;
import org.vmqsc.plugin.command.DeployGroupCommand;
import org.vmqsc.plugin.command.EmigrateVmCommand;
import org.vmqsc.plugin.command.EvictVmCommand;
import org.vmqsc.plugin.command.FenceHostCommand;
import org.vmqsc.plugin.command.FetchPayloadsCommand;
import org.vmqsc.plugin.command.FreezeGroupCommand;
import org.vmqsc.plugin.command.ImmigrateVmCommand;
import org.vmqsc.plugin.command.PlacementCommand;
import org.vmqsc.plugin.command.RecoveryLineCommand;
import org.vmqsc.plugin.command.DropGroupCommand;
import org.vmqsc.plugin.command.ReconcileStorageCommand;
import org.vmqsc.plugin.command.ReplayMessagesCommand;
import org.vmqsc.plugin.command.RestoreVmCommand;
import org.vmqsc.plugin.command.RollbackVmCommand;
import org.vmqsc.plugin.command.SnapshotHostCommand;
import org.vmqsc.plugin.command.ThawGroupCommand;

/** The commands the management server sends a host, each of which a KVM agent and a Xen resource must handle. */
public final class PluginCommands {

  public static final List<Class<?>> ALL = List.of(DeployGroupCommand.class, CheckpointTickCommand.class,
      SnapshotHostCommand.class, FetchPayloadsCommand.class, RestoreVmCommand.class, RollbackVmCommand.class,
      ReplayMessagesCommand.class, RecoveryLineCommand.class, PlacementCommand.class, FenceHostCommand.class,
      FreezeGroupCommand.class, ThawGroupCommand.class, EvictVmCommand.class, EmigrateVmCommand.class,
      ImmigrateVmCommand.class, ReconcileStorageCommand.class, DropGroupCommand.class);

  private PluginCommands() {}

  /** Each command's wrapper in {@code wrapperPackage}, named {@code Vmqsc<Command>Wrapper}; fails on one missing. */
  public static List<Class<?>> wrappersIn(String wrapperPackage) {
    List<Class<?>> out = new ArrayList<>();
    for (Class<?> command : ALL) {
      String name = wrapperPackage + ".Vmqsc" + command.getSimpleName() + "Wrapper";
      try {
        out.add(Class.forName(name));
      } catch (ClassNotFoundException e) {
        throw new AssertionError(command.getSimpleName() + " has no wrapper " + name, e);
      }
    }
    return out;
  }
}
