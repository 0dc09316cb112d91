package org.vmqsc.sim.events;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Judges a run from its event log alone (the schema is in test/simulator/README.md), without any ground truth
 * kept in the process that ran it. Feed it the events in log order ({@link #accept}), then ask for the
 * {@link #verdict()}; or call {@link #check(List)} on files. It checks:
 *
 * <ol type="a">
 *   <li>per channel, deliveries and replays to the receiver's current execution come in seq order, without gaps
 *       or duplicates (a restore resets the receiver's count from its {@code received} vector);</li>
 *   <li>a delivered message's digest is the digest of that send in the sender's current execution (a restore of
 *       the sender cuts its history back to its {@code sent} vector);</li>
 *   <li>a restored state is the one recorded at the boundary it restores to (line restores), or the one the VM
 *       failed in (VM-failure rebuilds); a boundary's counters agree with the messages seen;</li>
 *   <li>after each recovery, no running VM has received more from a peer than the peer's execution sent it;</li>
 *   <li>a VM acts only on the host it last started on (vm_start, restore, migrate) and only while it runs, and a
 *       process killed by the launcher writes nothing after;</li>
 *   <li>at a drained end, every channel's received count equals its sent count, and every VM runs.</li>
 * </ol>
 */
public final class EventLogOracle {
  /** Violations kept verbatim; beyond them they are only counted. */
  public static final int KEPT = 200;

  private final Channels channels = new Channels();
  private final Map<Integer, VmExecution> vms = new HashMap<>();
  private final List<String> violations = new ArrayList<>();
  private long violationCount;
  private long line;
  private long events;
  private long messages;
  private long deliveries;
  private long restores;
  private long recoveries;
  private int truncatedLines;
  /** Per src (file of a merged log): its process name and pid, from the merged header. */
  private final Map<Integer, JsonObject> processes = new HashMap<>();
  private final Map<Integer, String> killed = new HashMap<>();

  /** Reads one file (a single process's, a simulator's, or a merged log) or merges several, and judges them. */
  public static Verdict check(List<Path> files) throws IOException {
    EventLogOracle oracle = new EventLogOracle();
    if (files.size() == 1) {
      try (EventFile f = EventFile.open(files.get(0))) {
        if (f.header() == null) {
          throw new IllegalArgumentException(files.get(0)
              + ": no header line (the file is empty or its only line is cut short)");
        }
        oracle.accept(f.header());
        for (JsonObject e = f.next(); e != null; e = f.next()) oracle.accept(e);
        oracle.truncatedLines += f.truncatedLines();
      }
    } else {
      MergedEventLog.merge(files, oracle::accept);
    }
    return oracle.verdict();
  }

  public Verdict verdict() {
    return new Verdict(List.copyOf(violations), violationCount, events, messages, deliveries, restores, recoveries,
        truncatedLines);
  }

  /** The next event of the log, in log order. */
  public void accept(JsonObject json) {
    Event e = new Event(json, ++line);
    events++;
    try {
      checkProcessAlive(e);
      switch (e.type) {
        case "header" -> onHeader(e);
        case "vm_start" -> vm(e.vm("vm")).startOn(e.host("host"), e.where());
        case "vm_stop" -> onStop(e);
        case "vm_failure" -> onVmFailure(e);
        case "host_failure" -> stopAllOn(e.host("host"));
        case "process_killed" -> onProcessKilled(e);
        case "migrate" -> onMigrate(e);
        case "send" -> onSend(e);
        case "deliver", "replay" -> onDeliver(e);
        case "checkpoint", "log_segment" -> onBoundary(e);
        case "restore" -> onRestore(e);
        case "recovery" -> onRecovery(e);
        case "end" -> onEnd(e);
        default -> { } // informational: placed, moved, stable, line, ack, drop, lost, in_transit, ...
      }
    } catch (Event.BadEvent bad) {
      violation(e, bad.getMessage());
    }
  }

  // ---- processes and placement (e) --------------------------------------------------------------------------

  private void onHeader(Event e) {
    if (e.has("truncated_lines")) truncatedLines += (int) e.number("truncated_lines");
    if (!e.json.has("merged_from") || !e.json.get("merged_from").isJsonArray()) return;
    JsonArray from = e.json.getAsJsonArray("merged_from");
    for (int i = 0; i < from.size(); i++) {
      JsonElement p = from.get(i);
      if (p.isJsonObject()) processes.put(i, p.getAsJsonObject());
    }
  }

  private void onProcessKilled(Event e) {
    String name = e.text("process");
    String pid = e.has("pid") ? e.json.get("pid").getAsString() : null;
    processes.forEach((src, p) -> {
      boolean same = pid != null ? p.has("pid") && p.get("pid").getAsString().equals(pid)
          : p.has("process") && p.get("process").getAsString().equals(name);
      if (same) killed.put(src, e.where());
    });
    if (e.has("host")) stopAllOn(e.host("host"));
  }

  private void checkProcessAlive(Event e) {
    if (killed.isEmpty() || !e.has("src")) return;
    String when = killed.get((int) e.number("src"));
    if (when != null) {
      violation(e, "written by " + processes.get((int) e.number("src")) + " after it was killed (" + when + ")");
    }
  }

  private void stopAllOn(String host) {
    for (VmExecution v : vms.values()) if (v.host.equals(host)) v.running = false;
  }

  private void onStop(Event e) {
    VmExecution v = vm(e.vm("vm"));
    if (v.host.equals(e.host("host"))) v.running = false; // a stop from a host it no longer runs on changes nothing
  }

  private void onVmFailure(Event e) {
    VmExecution v = vm(e.vm("vm"));
    v.failedAs = new VmExecution.Failure(e.number("state"), e.number("position"), e.where());
    if (v.host.equals(e.host("host"))) v.running = false;
  }

  private void onMigrate(Event e) {
    VmExecution v = vm(e.vm("vm"));
    String from = e.host("from_host");
    if (!v.running || !v.host.equals(from)) {
      violation(e, "VM " + v.vm + " migrates from host " + from + " but " + runsWhere(v));
    }
    v.startOn(e.host("to_host"), e.where()); // the same execution goes on elsewhere
  }

  /** The VM must run, and on {@code host}. */
  private void active(Event e, int vm, String host) {
    VmExecution v = vm(vm);
    if (v.running && v.host.equals(host)) return;
    violation(e, "VM " + vm + " is active on host " + host + " but " + runsWhere(v));
  }

  private static String runsWhere(VmExecution v) {
    if (!v.started) return "it never started";
    if (!v.running) return "it is stopped (it last started on host " + v.host + ", " + v.startedAt + ")";
    return "it runs on host " + v.host + " (since " + v.startedAt + ")";
  }

  // ---- messages (a, b) --------------------------------------------------------------------------------------

  private void onSend(Event e) {
    int from = e.vm("from");
    int to = e.vm("to");
    long seq = e.number("seq");
    long digest = e.number("digest");
    active(e, from, e.host("host"));
    messages++;
    long before = channels.sentCount(from, to);
    if (seq != before + 1) {
      violation(e, "VM " + from + " sent #" + seq + " to VM " + to + " but its execution had sent " + before
          + " on that channel");
    }
    channels.send(from, to, seq, digest);
  }

  private void onDeliver(Event e) {
    int from = e.vm("from");
    int to = e.vm("to");
    long seq = e.number("seq");
    long digest = e.number("digest");
    active(e, to, e.host("host"));
    deliveries++;
    long had = channels.received(from, to);
    if (seq <= had) {
      violation(e, "duplicate: VM " + to + " had already received " + had + " messages from VM " + from);
      return;
    }
    if (seq > had + 1) {
      violation(e, "gap: VM " + to + " had received " + had + " messages from VM " + from + ", so #" + (had + 1)
          + (seq > had + 2 ? ".." + (seq - 1) : "") + " never came");
    }
    channels.setReceived(from, to, seq);
    long sent = channels.sentCount(from, to);
    Long expected = channels.digest(from, to, seq);
    if (seq > sent) {
      violation(e, "orphan: VM " + from + "'s current execution sent only " + sent + " messages to VM " + to);
    } else if (expected != null && expected != digest) {
      violation(e, "digest " + digest + " is not " + expected + ", that of send #" + seq + " of VM " + from
          + "'s current execution");
    }
  }

  // ---- boundaries and restores (c) --------------------------------------------------------------------------

  private void onBoundary(Event e) {
    int vm = e.vm("vm");
    active(e, vm, e.host("host"));
    long[] sent = e.vector("sent");
    long[] received = e.vector("received");
    for (int p = 0; p < Math.max(sent.length, received.length); p++) {
      if (p == vm) continue;
      long s = p < sent.length ? sent[p] : 0;
      long r = p < received.length ? received[p] : 0;
      if (s != channels.sentCount(vm, p) || r != channels.received(p, vm)) {
        violation(e, "VM " + vm + " records sent " + s + " / received " + r + " for VM " + p
            + ", the messages seen say " + channels.sentCount(vm, p) + " / " + channels.received(p, vm));
        break;
      }
    }
    vm(vm).boundaries.put(e.number("index"),
        new VmExecution.Boundary(e.number("state"), e.number("position"), sent, received, e.where()));
  }

  private void onRestore(Event e) {
    VmExecution v = vm(e.vm("vm"));
    String kind = e.text("kind");
    long state = e.number("state");
    long position = e.number("position");
    long[] sent = e.vector("sent");
    long[] received = e.vector("received");
    restores++;
    if (kind.equals("line")) {
      long line = e.number("line");
      VmExecution.Boundary b = v.boundaries.get(line);
      if (b == null) {
        violation(e, "VM " + v.vm + " restored to line " + line + ", but no checkpoint or log_segment of its"
            + " execution is at index " + line);
      } else if (b.state() != state || b.position() != position) {
        violation(e, "VM " + v.vm + " restored to line " + line + " with state " + state + " at position " + position
            + ", but at that boundary it had state " + b.state() + " at position " + b.position() + " (" + b.where() + ")");
      } else if (!java.util.Arrays.equals(b.sent(), sent) || !java.util.Arrays.equals(b.received(), received)) {
        violation(e, "VM " + v.vm + " restored to line " + line + " with other counters than it had there ("
            + b.where() + ")");
      }
      v.boundaries.tailMap(line, false).clear(); // the execution after the line is discarded
    } else if (kind.equals("vm")) {
      VmExecution.Failure f = v.failedAs;
      if (f == null) {
        violation(e, "VM " + v.vm + " rebuilt after a VM failure, but no vm_failure of it came before");
      } else if (f.state() != state || f.position() != position) {
        violation(e, "VM " + v.vm + " rebuilt to state " + state + " at position " + position + ", but it failed"
            + " with state " + f.state() + " at position " + f.position() + " (" + f.where() + ")");
      }
      v.failedAs = null;
    } else {
      throw e.bad("kind \"" + kind + "\" is neither line nor vm");
    }
    for (int p = 0; p < Math.max(sent.length, received.length); p++) {
      if (p == v.vm) continue;
      long s = p < sent.length ? sent[p] : 0;
      if (s > channels.sentCount(v.vm, p)) {
        violation(e, "VM " + v.vm + " restored having sent " + s + " to VM " + p + ", but only "
            + channels.sentCount(v.vm, p) + " such sends were seen");
      }
      channels.truncateSent(v.vm, p, s);
      channels.setReceived(p, v.vm, p < received.length ? received[p] : 0);
    }
    v.startOn(e.host("host"), e.where());
  }

  // ---- recoveries and the end (d, f) ------------------------------------------------------------------------

  private void onRecovery(Event e) {
    recoveries++;
    for (long k : channels.keys()) {
      int from = Channels.from(k);
      int to = Channels.to(k);
      if (!vm(from).running || !vm(to).running) continue; // a VM down is recovered later
      long got = channels.received(from, to);
      long sent = channels.sentCount(from, to);
      if (got > sent) {
        violation(e, "orphan after the recovery: VM " + to + " has received " + got + " messages from VM " + from
            + ", whose current execution sent " + sent);
      }
    }
  }

  private void onEnd(Event e) {
    if (!e.flag("drained")) return;
    for (VmExecution v : vms.values()) {
      if (v.started && !v.running) violation(e, "VM " + v.vm + " is not running at the end (" + runsWhere(v) + ")");
    }
    for (long k : channels.keys()) {
      int from = Channels.from(k);
      int to = Channels.to(k);
      long got = channels.received(from, to);
      long sent = channels.sentCount(from, to);
      if (got != sent) {
        violation(e, "after the drain VM " + to + " has received " + got + " of the " + sent + " messages VM "
            + from + " sent it" + (got < sent ? ": lost" : ""));
      }
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------------------------

  private VmExecution vm(int vm) {
    return vms.computeIfAbsent(vm, VmExecution::new);
  }

  private void violation(Event e, String what) {
    violationCount++;
    if (violations.size() < KEPT) violations.add(e.where() + ": " + what);
  }
}
