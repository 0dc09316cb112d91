package org.vmqsc.server.service.advice;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.advice.ClassAdvisor;
import org.vmqsc.protocol.advice.ClassAdvisor.ClassAdvice;
import org.vmqsc.server.service.Checks;
import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.Views.MemberView;

/**
 * Proposes each VM's class from the traffic its group recorded, by the protocol's {@link ClassAdvisor}. Hosts
 * report message counts, not sizes, at every boundary; the bytes a message weighs come from the log segments,
 * which hold the messages an MI VM received: its own when it logged some, else the group's mean. So a group that
 * never ran an MI VM gets proposals only for VMs that received nothing. An MI_k proposal carries a phase
 * ({@code MI_k@φ}), by the protocol's {@link ClassAdvisor#phase} over the base periods the VM's boundaries recorded:
 * the one whose checkpoints and log segments write the fewest bytes, so the VM checkpoints right after the periods
 * in which it receives most (the rule the evaluation's advisor uses).
 */
public final class TrafficAdvisor {

  /** The evaluation's default longest interval. */
  public static final int DEFAULT_MAX_K = 4;
  public static final int MAX_MAX_K = 64;

  private TrafficAdvisor() {}

  /**
   * @param proposedClass null when the traffic recorded so far cannot tell; {@code reason} then says why
   * @param receivedBytesPerPeriod null when the size of the VM's messages is not known
   */
  public record VmClassAdvice(String vmUuid, String vmClass, String proposedClass, String reason, VmTraffic traffic,
                              Double receivedBytesPerPeriod) {}

  public static List<VmClassAdvice> advise(ProtectionService service, String groupUuid, int maxK) {
    if (maxK < 2 || maxK > MAX_MAX_K) throw Checks.invalid("maxk must be between 2 and " + MAX_MAX_K + ", got " + maxK);
    List<MemberView> members = service.members(groupUuid);
    Map<String, VmTraffic> traffic = VmTraffic.of(all(p -> service.listCheckpoints(groupUuid, true, p)),
        all(p -> service.listLogSegments(groupUuid, true, p)));
    return advise(members, traffic, maxK);
  }

  static List<VmClassAdvice> advise(List<MemberView> members, Map<String, VmTraffic> traffic, int maxK) {
    long groupBytes = traffic.values().stream().mapToLong(VmTraffic::loggedBytes).sum();
    long groupMessages = traffic.values().stream().mapToLong(VmTraffic::loggedMessages).sum();
    List<VmClassAdvice> out = new ArrayList<>();
    for (MemberView m : members) {
      VmTraffic t = traffic.get(m.vmUuid());
      if (t == null || t.periods() == 0 || t.checkpointBytes() == null) {
        out.add(new VmClassAdvice(m.vmUuid(), m.vmClass(), null,
            "no traffic recorded yet: needs a checkpoint and a later boundary of the VM", t, null));
        continue;
      }
      Double bytesPerMessage = null;
      if (t.loggedMessages() > 0) bytesPerMessage = (double) t.loggedBytes() / t.loggedMessages();
      else if (groupMessages > 0) bytesPerMessage = (double) groupBytes / groupMessages;
      if (t.messagesReceived() > 0 && bytesPerMessage == null) {
        out.add(new VmClassAdvice(m.vmUuid(), m.vmClass(), null, "received " + t.messagesReceived()
            + " messages in " + t.periods() + " periods, but their size is unknown until an MI VM of the group logs"
            + " some", t, null));
        continue;
      }
      double received = 0;
      if (t.messagesReceived() > 0) received = t.messagesPerPeriod() * bytesPerMessage;
      ClassAdvice advice = ClassAdvisor.propose(t.checkpointBytes(), received, maxK);
      String sized = t.messagesReceived() == 0 ? ""
          : t.loggedMessages() > 0 ? " (messages sized by its own log)" : " (messages sized by the group's logs)";
      VmClass proposed = advice.proposed();
      String phased = "";
      if (!proposed.isSingleInterval() && t.messagesReceived() > 0) {
        proposed = phased(proposed.period(), t, bytesPerMessage);
        phased = "; phase " + proposed.phase() + " (checkpoints at the boundaries n with n mod " + proposed.period()
            + " = " + proposed.phase() + ") writes the fewest checkpoint and log bytes over the "
            + t.receivedByBoundary().size() + " periods seen";
      }
      out.add(new VmClassAdvice(m.vmUuid(), m.vmClass(), proposed.toString(), advice.reason() + sized + phased, t,
          received));
    }
    return out;
  }

  /** MI_k with the phase {@link ClassAdvisor#phase} picks from the VM's recorded periods, sized by its messages. */
  private static VmClass phased(int k, VmTraffic t, double bytesPerMessage) {
    long[] boundaries = new long[t.receivedByBoundary().size()];
    double[] received = new double[boundaries.length];
    int i = 0;
    for (Map.Entry<Long, Long> e : t.receivedByBoundary().entrySet()) {
      boundaries[i] = e.getKey();
      received[i++] = e.getValue() * bytesPerMessage;
    }
    return VmClass.mi(k, ClassAdvisor.phase(k, t.checkpointBytes(), boundaries, received));
  }

  private static <T> List<T> all(Function<PageRequest, Page<T>> listing) {
    List<T> all = new ArrayList<>();
    PageRequest chunk = PageRequest.first(PageRequest.MAX_LIMIT);
    while (true) {
      Page<T> got = listing.apply(chunk);
      all.addAll(got.items());
      if (!got.hasMore() || got.items().isEmpty()) return all;
      chunk = new PageRequest(chunk.offset() + got.items().size(), chunk.limit());
    }
  }
}
