package org.vmqsc.evaluation;

/**
 * One application message between two VMs of the group, as every protocol sees it: who sent how many bytes to
 * whom, when it left and when it arrived. {@code id} is its rank in the scenario's send order.
 */
public record MessageEvent(int id, double sendTime, double receiveTime, int src, int dst, long bytes) {
  public MessageEvent {
    if (src == dst) throw new IllegalArgumentException("message " + id + " is sent by VM " + src + " to itself");
    if (bytes < 0) throw new IllegalArgumentException("message " + id + " has negative size " + bytes);
    if (!(receiveTime > sendTime)) {
      throw new IllegalArgumentException("message " + id + " arrives (" + receiveTime + ") no later than it leaves (" + sendTime + ")");
    }
  }
}
