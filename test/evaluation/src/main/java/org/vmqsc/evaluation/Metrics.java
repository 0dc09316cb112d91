package org.vmqsc.evaluation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One protocol's figures for one scenario, in report order, with the run's parameters ({@link RunParameters}).
 * Names are the CSV column names; {@link #DESCRIPTIONS} says what each one means.
 */
public record Metrics(String protocol, String workload, Map<String, Double> values, Map<String, String> parameters) {

  /** Without the run's parameters. */
  public Metrics(String protocol, String workload, Map<String, Double> values) {
    this(protocol, workload, values, Map.of());
  }

  public static final Map<String, String> DESCRIPTIONS = new LinkedHashMap<>();
  static {
    d("messages", "application messages in the scenario");
    d("bytes", "application bytes in the scenario");
    d("basic_checkpoints", "checkpoints the protocol's own schedule takes");
    d("forced_checkpoints", "checkpoints forced by messages");
    d("forced_per_basic", "forced checkpoints per basic checkpoint");
    d("logged_messages", "messages written to stable storage (logs and channel states)");
    d("eta_messages", "share of messages written to stable storage");
    d("eta_bytes", "bytes of messages written to stable storage over bytes sent (a message written twice counts twice)");
    d("control_messages", "protocol messages between hosts and the manager (markers, requests, reports)");
    d("piggyback_bytes_per_message", "bytes the protocol adds to each application message");
    d("blocking_vm_seconds", "VM-seconds spent waiting on the protocol (coordination, drains, synchronous log writes)");
    d("stable_mb_written", "MB written to stable storage, checkpoints and logs");
    d("peak_storage_mb_per_s", "peak stable-storage write rate over one base period (checkpoints and logs), MB/s");
    d("overhead_percent", "failure-free overhead: checkpoint pauses and blocking over total VM time, %");
    d("vm_failure_rolled_back", "VMs rolled back per VM failure (mean)");
    d("vm_failure_work_lost_s", "seconds of re-execution per VM failure, summed over rolled-back VMs (mean)");
    d("vm_failure_replayed", "messages replayed per VM failure (mean)");
    d("host_failure_rolled_back", "VMs rolled back per host failure (mean)");
    d("host_failure_work_lost_s", "seconds of re-execution per host failure, summed over rolled-back VMs (mean)");
    d("host_failure_work_lost_failed_s", "of host_failure_work_lost_s, the failed host's VMs");
    d("host_failure_work_lost_survivors_s", "of host_failure_work_lost_s, VMs of surviving hosts rolled back");
    d("host_failure_log_replay_s", "of host_failure_work_lost_s, deterministic replay of logs from the restored"
        + " checkpoints up to the recovered states (to their last event)");
    d("host_failure_reexecution_s", "of host_failure_work_lost_s, execution again from the recovered states to the"
        + " failure");
    d("host_failure_replayed", "messages replayed per host failure (mean)");
    d("inconsistent_recoveries", "recoveries the oracle rejects (orphan, lost or duplicated message, lost checkpoint)");
  }

  private static void d(String name, String description) {
    DESCRIPTIONS.put(name, description);
  }

  public Metrics {
    values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
    parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    for (String k : values.keySet()) {
      if (!DESCRIPTIONS.containsKey(k)) throw new IllegalArgumentException("unknown metric " + k);
    }
  }

  public double get(String name) {
    Double v = values.get(name);
    if (v == null) throw new IllegalArgumentException("no metric " + name);
    return v;
  }
}
