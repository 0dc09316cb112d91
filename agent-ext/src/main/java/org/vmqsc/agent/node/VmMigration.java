package org.vmqsc.agent.node;

import java.util.Map;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.VmTransfer;

/**
 * What a live migration carries from the old host's node to the new one's, beside the guest itself: the VM's
 * protocol state, the payloads of every message in it, and where its latest checkpoint lies on stable storage
 * (a VM failure on the new host restores it from there).
 */
public record VmMigration(String groupId, VmTransfer transfer, Map<Message, byte[]> payloads,
                          String checkpointLocation) {

  public VmMigration {
    if (groupId == null || transfer == null) throw new IllegalArgumentException("a migration needs a group and a transfer");
    for (Message m : transfer.messages()) {
      if (!payloads.containsKey(m)) {
        throw new IllegalArgumentException("VM " + transfer.vm() + "'s migration lacks the payload of " + m);
      }
    }
    payloads = Map.copyOf(payloads);
  }

  public int vm() {
    return transfer.vm();
  }
}
