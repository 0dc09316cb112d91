package org.vmqsc.agent.kvm;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.Writer;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A QMP monitor of QEMU's own, next to libvirt's: a lab guest is started with a second {@code -qmp} socket, and the
 * commands a cut sends while the guest stands still (the transmit rings, the disks' transaction, the migration) go
 * there directly instead of through libvirt's pass-through, which costs 1.5–3 ms a command here. QEMU's STOP and
 * RESUME events, stamped by QEMU as it stops and restarts the vCPUs, say how long the guest stood still, whatever
 * delays their way to us. Only commands that leave libvirt's view of the domain true go this way (libvirt still stops
 * the guest and sees QEMU's events on its own monitor).
 */
final class QmpSocket implements Monitor, Closeable {
  private static final Pattern QMP_SOCKET =
      Pattern.compile("<qemu:arg value=['\"]-qmp['\"]/>\\s*<qemu:arg value=['\"]unix:([^,'\"]+)");
  private static final long REPLY_TIMEOUT_SECONDS = 30;

  private final SocketChannel channel;
  private final BufferedReader in;
  private final Writer out;
  private final Map<Long, CompletableFuture<JsonObject>> waiting = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private volatile boolean closed;
  private volatile boolean armed;
  private volatile long resumedAt;
  /** Notified when {@link #resumedAt} is set or the socket closes. */
  private final Object resumeSignal = new Object();
  /** QEMU's timestamp (microseconds of its wall clock) of the latest STOP since {@link #expectStop}; 0: none. */
  private volatile long stoppedAtMicros;
  /** From that STOP to the armed RESUME, by QEMU's timestamps; -1 while unknown. */
  private volatile long pauseMicros = -1;

  private QmpSocket(SocketChannel channel) {
    this.channel = channel;
    this.in = new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8));
    this.out = Channels.newWriter(channel, StandardCharsets.UTF_8);
  }

  /** The socket of the second monitor a domain's XML gives QEMU, if any. */
  static Path socketIn(String domainXml) {
    Matcher m = QMP_SOCKET.matcher(domainXml);
    return m.find() ? Path.of(m.group(1)) : null;
  }

  /** Connects and leaves QMP's negotiation mode; events and replies are read on a thread of its own from then on. */
  static QmpSocket connect(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    QmpSocket qmp = new QmpSocket(channel);
    try {
      String greeting = qmp.in.readLine();
      if (greeting == null || !greeting.contains("\"QMP\"")) throw new IOException("no QMP greeting on " + socket);
      qmp.out.write("{\"execute\":\"qmp_capabilities\"}\n");
      qmp.out.flush();
      String reply;
      do {
        reply = qmp.in.readLine();
      } while (reply != null && reply.contains("\"event\""));
      if (reply == null || !reply.contains("\"return\"")) throw new IOException("QMP refused capabilities: " + reply);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    Thread reader = new Thread(qmp::readLoop, "qmp-" + socket.getFileName());
    reader.setDaemon(true);
    reader.start();
    return qmp;
  }

  @Override public JsonObject execute(String command, JsonObject arguments) throws IOException {
    return executeAll(List.of(new Command(command, arguments))).get(0).get();
  }

  /** Writes every request in one go, then collects the replies. */
  @Override public List<Reply> executeAll(List<Command> commands) {
    List<Long> sent = new ArrayList<>();
    StringBuilder requests = new StringBuilder();
    for (Command c : commands) {
      long id = ids.incrementAndGet();
      waiting.put(id, new CompletableFuture<>());
      JsonObject request = new JsonObject();
      request.addProperty("execute", c.name());
      if (c.arguments() != null) request.add("arguments", c.arguments());
      request.addProperty("id", id);
      requests.append(request).append('\n');
      sent.add(id);
    }
    IOException notSent = null;
    try {
      synchronized (out) {
        if (closed) throw new IOException("QMP socket closed");
        out.write(requests.toString());
        out.flush();
      }
    } catch (IOException e) {
      notSent = e;
    }
    List<Reply> replies = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) {
      replies.add(notSent != null ? new Reply(null, new IOException("QMP " + commands.get(i).name() + " not sent: "
          + notSent.getMessage(), notSent)) : awaitReply(commands.get(i).name(), sent.get(i)));
      waiting.remove(sent.get(i));
    }
    return replies;
  }

  private Reply awaitReply(String command, long id) {
    try {
      JsonObject json = Qmp.checkReply(command, waiting.get(id).get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS));
      return new Reply(json.has("return") && json.get("return").isJsonObject() ? json.getAsJsonObject("return")
          : new JsonObject(), null);
    } catch (IOException e) {
      return new Reply(null, e);
    } catch (ExecutionException e) {
      return new Reply(null, new IOException("QMP " + command + " failed: " + e.getCause().getMessage(), e.getCause()));
    } catch (TimeoutException e) {
      return new Reply(null, new IOException("QMP " + command + ": no reply in " + REPLY_TIMEOUT_SECONDS + " s", e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Reply(null, new IOException("interrupted waiting for QMP " + command, e));
    }
  }

  /** Forgets earlier STOP events: the guest is about to be stopped for a cut (see {@link #qemuPause}). */
  void expectStop() {
    stoppedAtMicros = 0;
  }

  /** From now on, notes when QEMU next reports the guest running (see {@link #resumedAt}). */
  void armResumeWatch() {
    resumedAt = 0;
    pauseMicros = -1;
    armed = true;
  }

  /**
   * How long the guest stood still from its latest STOP since {@link #expectStop} to the RESUME after
   * {@link #armResumeWatch}, by QEMU's own timestamps; null when QEMU did not report both (or its clock stepped).
   */
  java.time.Duration qemuPause() {
    long micros = pauseMicros;
    return micros < 0 ? null : java.time.Duration.ofNanos(micros * 1_000);
  }

  /** When (System.nanoTime) the first RESUME event since {@link #armResumeWatch} arrived; 0 if none has. */
  long resumedAt() {
    return resumedAt;
  }

  /**
   * Waits, without spinning, until the RESUME since {@link #armResumeWatch} arrives, the socket closes or
   * {@code nanos} pass; whether it arrived. The guest's pause is QEMU's busiest moment: a waiter that polled would
   * take a core from it.
   */
  boolean awaitResume(long nanos) throws InterruptedException {
    long deadline = System.nanoTime() + nanos;
    synchronized (resumeSignal) {
      while (resumedAt == 0 && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(resumeSignal, left);
      }
    }
    return resumedAt != 0;
  }

  boolean isOpen() {
    return !closed;
  }

  private void readLoop() {
    try {
      String line;
      while ((line = in.readLine()) != null) {
        JsonObject message = JsonParser.parseString(line).getAsJsonObject();
        if (message.has("event")) {
          String event = message.get("event").getAsString();
          if ("STOP".equals(event)) {  // one that reaches us after the arm, too
            stoppedAtMicros = timestampMicros(message);
          } else if (armed && "RESUME".equals(event)) {
            resumedAt = System.nanoTime();
            long stopped = stoppedAtMicros;
            long resumed = timestampMicros(message);
            pauseMicros = stopped == 0 || resumed < stopped ? -1 : resumed - stopped;
            armed = false;
            synchronized (resumeSignal) {
              resumeSignal.notifyAll();
            }
          }
        } else if (message.has("id")) {
          CompletableFuture<JsonObject> reply = waiting.get(message.get("id").getAsLong());
          if (reply != null) reply.complete(message);
        }
      }
    } catch (IOException | RuntimeException e) {
      // QEMU went away, or the socket was closed: the waiting commands fail below
    }
    closed = true;
    synchronized (resumeSignal) {
      resumeSignal.notifyAll();
    }
    IOException gone = new IOException("QEMU closed its QMP socket");
    waiting.values().forEach(f -> f.completeExceptionally(gone));
  }

  /** An event's {@code timestamp} ({@code seconds}, {@code microseconds}) in microseconds; 0 if it has none. */
  private static long timestampMicros(JsonObject event) {
    if (!event.has("timestamp")) return 0;
    JsonObject t = event.getAsJsonObject("timestamp");
    long seconds = t.get("seconds").getAsLong();
    return seconds < 0 ? 0 : seconds * 1_000_000 + t.get("microseconds").getAsLong();
  }

  @Override public void close() {
    closed = true;
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
