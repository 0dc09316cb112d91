package org.vmqsc.plugin.host;

import java.util.List;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.plugin.command.DeployGroupCommand;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.VmClass;

/** The protection group of the plugin's wrapper tests: two SI VMs, a base period of one second. */
public final class TwoVmGroup {

  public static final String GROUP = "6f1c2a4e-0000-4000-8000-0000000000a1";
  public static final String VM0 = "6f1c2a4e-0000-4000-8000-000000000000";
  public static final String VM1 = "6f1c2a4e-0000-4000-8000-000000000001";

  private TwoVmGroup() {}

  /** The manager's order deploying {@code group} on {@code host}, started at {@code epochMillis}, booting {@code boot}. */
  public static DeployGroupCommand deploy(String group, String host, List<Integer> boot, long epochMillis) {
    GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI));
    List<Member> members = List.of(new Member(0, VM0, "host-a", "10.0.0.1:4790"),
        new Member(1, VM1, "host-a", "10.0.0.1:4790"));
    Deploy d = new Deploy(group, config, epochMillis, members, new GuestProfile(0, 0, 0, 0), boot);
    return new DeployGroupCommand(group, host, json(d));
  }

  /** A command's body as the manager writes it. */
  public static String json(Object o) {
    return Wire.GSON.toJson(o);
  }
}
