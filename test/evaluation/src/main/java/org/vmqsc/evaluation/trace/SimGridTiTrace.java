package org.vmqsc.evaluation.trace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.workload.Traffic;

/**
 * Reads a SimGrid time-independent (TI) trace, as {@code smpirun -trace-ti} writes it, and replays it under a time
 * model to give each message a send time.
 *
 * <p>Input: the index file SimGrid writes (one per-rank trace file per line, rank order, paths relative to the
 * index), or a single file holding every rank's actions. Each action line is {@code <rank> <action> <args...>}:
 * {@code compute <flops>}, {@code send|isend <dst> <tag> <count> [type]}, {@code recv|irecv <src> <tag> <count>
 * [type]}, {@code wait}, {@code waitall [n]}, {@code test}, {@code sendRecv <scount> <dst> <rcount> <src> [stype
 * rtype]}, {@code barrier}, {@code bcast <count> [root [type]]}, {@code reduce <count> <flops> [root [type]]},
 * {@code allreduce <count> <flops> [type]}, {@code gather|scatter <scount> <rcount> [root [stype [rtype]]]},
 * {@code allgather|alltoall <scount> <rcount> [stype [rtype]]}, and {@code init [type]}, {@code finalize},
 * {@code comm_size},
 * {@code comm_split}, {@code comm_dup}, which take no time. Type codes seen in SimGrid 3.32 output: 0 = double,
 * 1 = int, 2 = char; without a code the size is one byte per element, or eight if {@code init} named a type (as
 * SimGrid's own replay does). Collectives become point-to-point messages through the root (rank 0 unless given):
 * gather in, scatter out, allgather both (the whole gathered vector out); alltoall goes straight between ranks.
 *
 * <p>Replay: a rank's clock advances by flops / host speed for {@code compute}; a send leaves at the sender's clock
 * (a blocking send also spends size / bandwidth pushing it) and arrives latency + size / bandwidth later; a receive
 * or wait blocks until the matching message (same source, same tag, in order) has arrived.
 */
public final class SimGridTiTrace {
  private SimGridTiTrace() {}

  private record Action(String file, int line, String verb, String[] args) {}

  private record Sent(double arrival, String tag) {}

  /** Ranks are VMs: at most {@link CsvTrace#MAX_VMS}. A clock beyond this many seconds (30 million years) is an error. */
  static final double MAX_SECONDS = 1e15;

  public static Traffic read(Path path, TimeModel time) throws IOException {
    List<List<Action>> ranks = load(path);
    Traffic t = replay(path.getFileName().toString(), ranks, time);
    return new Traffic(label(path), t.vms(), t.sends(), null, t.suggestedBasePeriod());
  }

  /** A trace is named by its folder and file, e.g. halo2d/trace.index. */
  static String label(Path path) {
    Path abs = path.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    return (parent == null || parent.getFileName() == null ? "" : parent.getFileName() + "/") + abs.getFileName();
  }

  static List<List<Action>> load(Path path) throws IOException {
    if (Files.isDirectory(path)) throw new TraceFormatException(path.toString(), 0, "is a directory, not a trace file");
    if (!Files.isRegularFile(path)) throw new TraceFormatException(path.toString(), 0, "no such trace file");
    List<String> lines = CsvTrace.readLines(path);
    String first = lines.stream().map(String::strip).filter(s -> !s.isEmpty() && !s.startsWith("#")).findFirst().orElse("");
    if (first.isEmpty()) throw new TraceFormatException(path.getFileName().toString(), 1, "the trace is empty");
    if (first.matches("-?\\d+\\s+\\S.*")) {
      Map<Integer, List<Action>> byRank = new HashMap<>();
      parse(path.getFileName().toString(), lines, -1, byRank);
      int max = byRank.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
      List<List<Action>> out = new ArrayList<>();
      for (int r = 0; r <= max; r++) out.add(byRank.getOrDefault(r, List.of()));
      return out;
    }
    List<List<Action>> out = new ArrayList<>();
    int no = 0;
    for (String l : lines) {
      no++;
      String s = l.strip();
      if (s.isEmpty() || s.startsWith("#")) continue;
      // Rank files resolve below the index's own folder only: an index cannot make the reader open other files.
      Path folder = path.toAbsolutePath().normalize().getParent();
      Path rankFile = folder.resolve(s).normalize();
      String shown = CsvTrace.shorten(s);
      if (!rankFile.startsWith(folder) || rankFile.equals(folder)) {
        throw new TraceFormatException(path.getFileName().toString(), no, "rank file '" + shown
            + "' is not below the index's folder");
      }
      if (!Files.isRegularFile(rankFile)) {
        throw new TraceFormatException(path.getFileName().toString(), no, "rank file '" + shown + "' does not exist");
      }
      if (!rankFile.toRealPath().startsWith(folder.toRealPath())) {
        throw new TraceFormatException(path.getFileName().toString(), no, "rank file '" + shown
            + "' links out of the index's folder");
      }
      if (out.size() >= CsvTrace.MAX_VMS) {
        throw new TraceFormatException(path.getFileName().toString(), no, "more than " + CsvTrace.MAX_VMS + " ranks");
      }
      Map<Integer, List<Action>> byRank = new HashMap<>();
      int rank = out.size();
      parse(s, CsvTrace.readLines(rankFile), rank, byRank);
      out.add(byRank.getOrDefault(rank, List.of()));
    }
    return out;
  }

  private static void parse(String file, List<String> lines, int expectedRank, Map<Integer, List<Action>> byRank) {
    int no = 0;
    for (String l : lines) {
      no++;
      String s = l.strip();
      if (s.isEmpty() || s.startsWith("#")) continue;
      String[] f = s.split("\\s+");
      if (f.length < 2) throw new TraceFormatException(file, no, "expected '<rank> <action> ...', got '" + CsvTrace.shorten(s) + "'");
      int rank;
      try {
        rank = Integer.parseInt(f[0]);
      } catch (NumberFormatException e) {
        throw new TraceFormatException(file, no, "rank must be a whole number, got '" + f[0] + "'");
      }
      if (rank < 0) throw new TraceFormatException(file, no, "negative rank " + rank);
      if (rank >= CsvTrace.MAX_VMS) {
        throw new TraceFormatException(file, no, "rank " + rank + " is too large: at most " + CsvTrace.MAX_VMS
            + " ranks (0.." + (CsvTrace.MAX_VMS - 1) + ")");
      }
      if (expectedRank >= 0 && rank != expectedRank) {
        throw new TraceFormatException(file, no, "line of rank " + rank + " in the file of rank " + expectedRank);
      }
      String[] args = java.util.Arrays.copyOfRange(f, 2, f.length);
      checkArity(file, no, f[1], args.length);
      byRank.computeIfAbsent(rank, k -> new ArrayList<>()).add(new Action(file, no, f[1], args));
    }
  }

  private static void checkArity(String file, int no, String verb, int n) {
    int min, max;
    switch (verb) {
      case "init" -> { min = 0; max = 1; }
      case "finalize", "barrier", "wait", "test", "comm_dup" -> { min = 0; max = 8; }
      case "comm_size", "comm_split" -> { min = 0; max = 8; }
      case "waitall" -> { min = 0; max = 1; }
      case "compute" -> { min = 1; max = 1; }
      case "send", "isend", "recv", "irecv" -> { min = 3; max = 4; }
      case "sendRecv" -> { min = 4; max = 6; }
      case "bcast" -> { min = 1; max = 3; }
      case "reduce" -> { min = 2; max = 4; }
      case "allreduce" -> { min = 2; max = 3; }
      case "alltoall", "allgather" -> { min = 2; max = 4; }
      case "gather", "scatter" -> { min = 2; max = 5; }
      default -> throw new TraceFormatException(file, no, "action '" + verb + "' is not supported by this reader");
    }
    if (n < min || n > max) {
      throw new TraceFormatException(file, no, "'" + verb + "' takes " + (min == max ? min : min + " to " + max)
          + " arguments, got " + n);
    }
  }

  private static final class Rank {
    final List<Action> actions;
    int pc;
    double clock;
    boolean finished;
    long defaultTypeBytes = 1;
    final Deque<Action> pendingReceives = new ArrayDeque<>();   // posted irecvs, oldest first
    int collectives;

    Rank(List<Action> actions) { this.actions = actions; }
  }

  static Traffic replay(String name, List<List<Action>> actions, TimeModel time) {
    int n = actions.size();
    if (n < 2) throw new TraceFormatException(name, 0, "a trace needs at least 2 ranks, found " + n);
    Rank[] ranks = new Rank[n];
    for (int r = 0; r < n; r++) ranks[r] = new Rank(actions.get(r));
    Map<Long, Deque<Sent>> channels = new HashMap<>();
    List<double[]> sends = new ArrayList<>();
    Map<Integer, List<Integer>> atCollective = new HashMap<>();
    boolean progress = true;
    while (progress) {
      progress = false;
      for (int r = 0; r < n; r++) {
        Rank me = ranks[r];
        while (!me.finished && me.pc < me.actions.size()) {
          Action a = me.actions.get(me.pc);
          if (!step(r, me, a, ranks, channels, sends, atCollective, time)) break;
          if (!(me.clock <= MAX_SECONDS)) {  // also NaN and infinity
            throw new TraceFormatException(a.file(), a.line(), "rank " + r + "'s clock passes " + MAX_SECONDS
                + " s here: a count, size or flops value is too large");
          }
          me.pc++;
          progress = true;
        }
        if (me.pc >= me.actions.size() && !me.finished) { me.finished = true; progress = true; }
      }
    }
    for (int r = 0; r < n; r++) {
      if (!ranks[r].finished) {
        Action a = ranks[r].actions.get(ranks[r].pc);
        throw new TraceFormatException(a.file(), a.line(), "rank " + r + " waits forever at '" + a.verb()
            + " " + String.join(" ", a.args()) + "': the trace deadlocks or lacks the matching send");
      }
    }
    if (sends.isEmpty()) throw new TraceFormatException(name, 0, "the trace has no messages");
    double last = 0;
    for (double[] s : sends) last = Math.max(last, s[0]);
    return new Traffic(name, n, sends, null, last > 0 ? last / 16 : 1);
  }

  /** Runs one action; false if the rank must wait for another rank first. */
  private static boolean step(int r, Rank me, Action a, Rank[] ranks, Map<Long, Deque<Sent>> channels,
                              List<double[]> sends, Map<Integer, List<Integer>> atCollective, TimeModel time) {
    String[] x = a.args();
    switch (a.verb()) {
      case "init" -> me.defaultTypeBytes = x.length > 0 ? 8 : 1;
      case "finalize", "comm_size", "comm_split", "comm_dup", "test" -> { }
      case "compute" -> me.clock += nonNegative(a, x[0], "flops") / time.hostFlopsPerSecond();
      case "send", "isend" -> {
        int dst = peer(a, x[0], ranks.length, r);
        long bytes = (long) nonNegative(a, x[2], "count") * typeBytes(a, x.length > 3 ? x[3] : null, me);
        send(r, dst, x[1], bytes, me, channels, sends, time);
        if (a.verb().equals("send")) me.clock += bytes / time.bandwidthBytesPerSecond();
      }
      case "recv" -> {
        Sent s = take(channels, peer(a, x[0], ranks.length, r), r, x[1]);
        if (s == null) return false;
        me.clock = Math.max(me.clock, s.arrival());
      }
      case "irecv" -> {
        peer(a, x[0], ranks.length, r);
        nonNegative(a, x[2], "count");
        me.pendingReceives.add(a);
      }
      case "wait" -> {
        if (me.pendingReceives.isEmpty()) return true;   // waits on a send: sends are eager
        if (!completeReceive(r, me, channels)) return false;
      }
      case "waitall" -> {
        while (!me.pendingReceives.isEmpty()) if (!completeReceive(r, me, channels)) return false;
      }
      case "sendRecv" -> {
        // Split in two steps so that a rank blocked on the receive does not send twice.
        int dst = peer(a, x[1], ranks.length, r), src = peer(a, x[3], ranks.length, r);
        if (me.pendingReceives.stream().noneMatch(p -> p == a)) {
          long bytes = (long) nonNegative(a, x[0], "send count") * typeBytes(a, x.length > 4 ? x[4] : null, me);
          send(r, dst, null, bytes, me, channels, sends, time);
          me.pendingReceives.addFirst(a);
        }
        Sent s = take(channels, src, r, null);
        if (s == null) return false;
        me.pendingReceives.remove(a);
        me.clock = Math.max(me.clock, s.arrival());
      }
      case "barrier", "bcast", "reduce", "allreduce", "alltoall", "allgather", "gather", "scatter" -> {
        return collective(r, me, a, ranks, sends, atCollective, time);
      }
      default -> throw new TraceFormatException(a.file(), a.line(), "action '" + a.verb() + "' is not supported");
    }
    return true;
  }

  private static boolean completeReceive(int r, Rank me, Map<Long, Deque<Sent>> channels) {
    Action p = me.pendingReceives.peekFirst();
    Sent s = take(channels, Integer.parseInt(p.args()[0]), r, p.args()[1]);
    if (s == null) return false;
    me.pendingReceives.pollFirst();
    me.clock = Math.max(me.clock, s.arrival());
    return true;
  }

  private static void send(int src, int dst, String tag, long bytes, Rank me, Map<Long, Deque<Sent>> channels,
                           List<double[]> sends, TimeModel time) {
    double arrival = me.clock + time.transferSeconds(bytes, false);
    channels.computeIfAbsent(key(src, dst), k -> new ArrayDeque<>()).add(new Sent(arrival, tag));
    sends.add(new double[] {me.clock, src, dst, bytes});
  }

  /** The oldest message from src to dst with this tag (a null tag, from sendRecv, matches any). */
  private static Sent take(Map<Long, Deque<Sent>> channels, int src, int dst, String tag) {
    Deque<Sent> q = channels.get(key(src, dst));
    if (q == null) return null;
    for (Iterator<Sent> it = q.iterator(); it.hasNext(); ) {
      Sent s = it.next();
      if (tag == null || s.tag() == null || s.tag().equals(tag)) { it.remove(); return s; }
    }
    return null;
  }

  private static long key(int src, int dst) {
    return ((long) src << 32) | dst;
  }

  /** Collectives wait for every rank, then run as messages to and from the root. */
  /** atCollective: for collective k, the ranks standing at it; key -1-k marks it as already turned into messages. */
  private static boolean collective(int r, Rank me, Action a, Rank[] ranks, List<double[]> sends,
                                    Map<Integer, List<Integer>> atCollective, TimeModel time) {
    int k = me.collectives;
    List<Integer> arrived = atCollective.computeIfAbsent(k, x -> new ArrayList<>());
    if (!arrived.contains(r)) arrived.add(r);
    if (arrived.size() < ranks.length) return false;
    // The last rank to arrive turns the collective into messages, while every rank still stands at it.
    if (arrived.size() == ranks.length && arrived.get(arrived.size() - 1) == r && me.collectives == k
        && !atCollective.containsKey(-1 - k)) {
      atCollective.put(-1 - k, List.of());
      resolve(k, ranks, sends, time);
    }
    me.collectives++;
    return true;
  }

  private static void resolve(int k, Rank[] ranks, List<double[]> sends, TimeModel time) {
    Action first = ranks[0].actions.get(ranks[0].pc);
    for (Rank other : ranks) {
      Action a = other.actions.get(other.pc);
      if (!a.verb().equals(first.verb())) {
        throw new TraceFormatException(a.file(), a.line(), "collective #" + (k + 1) + " is '" + a.verb()
            + "' here but '" + first.verb() + "' on rank 0 (" + first.file() + ":" + first.line() + ")");
      }
    }
    String[] x = first.args();
    String verb = first.verb();
    int root = 0;
    long count = 0;
    double flops = 0;
    String type = null;
    switch (verb) {
      case "bcast" -> { count = (long) nonNegative(first, x[0], "count"); if (x.length > 1) root = peer(first, x[1], ranks.length, -1); if (x.length > 2) type = x[2]; }
      case "reduce" -> { count = (long) nonNegative(first, x[0], "count"); flops = nonNegative(first, x[1], "flops"); if (x.length > 2) root = peer(first, x[2], ranks.length, -1); if (x.length > 3) type = x[3]; }
      case "allreduce" -> { count = (long) nonNegative(first, x[0], "count"); flops = nonNegative(first, x[1], "flops"); if (x.length > 2) type = x[2]; }
      // <send count> <recv count> [root] [send type [recv type]]: the send count and type size each piece.
      case "alltoall", "allgather" -> { count = (long) nonNegative(first, x[0], "send count"); nonNegative(first, x[1], "recv count"); if (x.length > 2) type = x[2]; }
      case "gather", "scatter" -> { count = (long) nonNegative(first, x[0], "send count"); nonNegative(first, x[1], "recv count"); if (x.length > 2) root = peer(first, x[2], ranks.length, -1); if (x.length > 3) type = x[3]; }
      default -> { }
    }
    long bytes = count * typeBytes(first, type, ranks[0]);
    if (verb.equals("alltoall")) {
      allToAll(ranks, bytes, sends, time);
      return;
    }
    // Through the root: gather pieces in, and send the result (for allgather, every piece) out.
    boolean gather = !verb.equals("bcast") && !verb.equals("scatter");
    boolean scatter = !verb.equals("reduce") && !verb.equals("gather");
    long outBytes = verb.equals("allgather") ? bytes * ranks.length : bytes;
    double rootTime = ranks[root].clock;
    if (gather) {
      for (int r = 0; r < ranks.length; r++) {
        if (r == root) continue;
        sends.add(new double[] {ranks[r].clock, r, root, bytes});
        rootTime = Math.max(rootTime, ranks[r].clock + time.transferSeconds(bytes, false));
      }
      rootTime += flops / time.hostFlopsPerSecond();
      ranks[root].clock = rootTime;
    }
    if (scatter) {
      for (int r = 0; r < ranks.length; r++) {
        if (r == root) continue;
        sends.add(new double[] {rootTime, root, r, outBytes});
        ranks[r].clock = Math.max(ranks[r].clock, rootTime + time.transferSeconds(outBytes, false));
      }
    }
  }

  /** Every rank sends its piece straight to every other; each goes on once all its pieces are in. */
  private static void allToAll(Rank[] ranks, long bytes, List<double[]> sends, TimeModel time) {
    double[] done = new double[ranks.length];
    for (int r = 0; r < ranks.length; r++) done[r] = ranks[r].clock;
    for (int from = 0; from < ranks.length; from++) {
      for (int to = 0; to < ranks.length; to++) {
        if (from == to) continue;
        sends.add(new double[] {ranks[from].clock, from, to, bytes});
        done[to] = Math.max(done[to], ranks[from].clock + time.transferSeconds(bytes, false));
      }
    }
    for (int r = 0; r < ranks.length; r++) ranks[r].clock = done[r];
  }

  private static int peer(Action a, String s, int ranks, int self) {
    int p;
    try {
      p = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new TraceFormatException(a.file(), a.line(), "rank '" + s + "' is not a whole number");
    }
    if (p < 0 || p >= ranks) throw new TraceFormatException(a.file(), a.line(), "rank " + p + " is outside 0.." + (ranks - 1));
    if (p == self) throw new TraceFormatException(a.file(), a.line(), "rank " + p + " sends to or receives from itself");
    return p;
  }

  private static double nonNegative(Action a, String s, String what) {
    double d;
    try {
      d = Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new TraceFormatException(a.file(), a.line(), what + " '" + s + "' is not a number");
    }
    if (!Double.isFinite(d) || d < 0) throw new TraceFormatException(a.file(), a.line(), what + " must be >= 0, got " + s);
    return d;
  }

  private static long typeBytes(Action a, String code, Rank me) {
    if (code == null) return me.defaultTypeBytes;
    return switch (code) {
      case "0" -> 8;   // MPI_DOUBLE
      case "1" -> 4;   // MPI_INT
      case "2" -> 1;   // MPI_CHAR
      default -> throw new TraceFormatException(a.file(), a.line(), "datatype code " + code + " is not known to this reader (0, 1, 2 are)");
    };
  }
}
