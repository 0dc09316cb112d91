package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.assertNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The pause as QEMU's STOP and RESUME events stamp it, read from a monitor that speaks QMP's wire format. */
public class QmpSocketTest {

  private Path dir;
  private ServerSocketChannel server;
  private SocketChannel qemuSide;
  private Writer events;
  private QmpSocket qmp;

  @Before public void connect() throws Exception {
    dir = Files.createTempDirectory("qmp");
    Path socket = dir.resolve("g.qmp");
    server = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread qemu = new Thread(() -> {
      try {
        qemuSide = server.accept();
        events = Channels.newWriter(qemuSide, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(Channels.newReader(qemuSide, StandardCharsets.UTF_8));
        send("{\"QMP\": {\"version\": {}, \"capabilities\": []}}");
        in.readLine();  // qmp_capabilities
        send("{\"return\": {}}");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    qemu.start();
    qmp = QmpSocket.connect(socket);
    qemu.join();
  }

  @After public void close() throws Exception {
    qmp.close();
    qemuSide.close();
    server.close();
    Files.walk(dir).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
  }

  private void send(String line) throws IOException {
    events.write(line + "\n");
    events.flush();
  }

  private void event(String name, long seconds, long micros) throws IOException {
    send("{\"timestamp\": {\"seconds\": " + seconds + ", \"microseconds\": " + micros + "}, \"event\": \"" + name
        + "\"}");
  }

  private static void await(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(1);
  }

  @Test public void thePauseRunsFromTheLastStopToTheResumeAfterTheArm() throws Exception {
    qmp.expectStop();
    event("STOP", 100, 990_000);
    event("RESUME", 100, 995_000);   // the guest ran again for its transmit rings
    event("STOP", 101, 2_000);
    Thread.sleep(50);
    qmp.armResumeWatch();
    event("RESUME", 101, 14_500);
    await(() -> qmp.resumedAt() != 0);
    assertEquals(Duration.ofNanos(12_500_000), qmp.qemuPause());
    event("STOP", 102, 0);            // a later stop, not this cut's
    event("RESUME", 102, 1);
    Thread.sleep(50);
    assertEquals(Duration.ofNanos(12_500_000), qmp.qemuPause());
  }

  @Test public void aStopThatReachesUsAfterTheArmStillStartsThePause() throws Exception {
    qmp.expectStop();
    qmp.armResumeWatch();
    event("STOP", 7, 100);
    event("RESUME", 7, 9_100);
    await(() -> qmp.resumedAt() != 0);
    assertEquals(Duration.ofNanos(9_000_000), qmp.qemuPause());
  }

  @Test public void withoutThisCutsStopThereIsNoQemuPause() throws Exception {
    event("STOP", 5, 0);
    Thread.sleep(50);
    qmp.expectStop();  // the stop above was an earlier one
    qmp.armResumeWatch();
    event("RESUME", 6, 0);
    await(() -> qmp.resumedAt() != 0);
    assertNull(qmp.qemuPause());
  }

  @Test public void aClockThatSteppedBackGivesNoQemuPause() throws Exception {
    qmp.expectStop();
    event("STOP", 50, 0);
    Thread.sleep(50);
    qmp.armResumeWatch();
    event("RESUME", 49, 0);
    await(() -> qmp.resumedAt() != 0);
    assertNull(qmp.qemuPause());
  }

  @Test public void aWaiterWakesAtTheResumeAndNotBefore() throws Exception {
    qmp.expectStop();
    event("STOP", 8, 0);
    qmp.armResumeWatch();
    assertFalse("no RESUME yet", qmp.awaitResume(TimeUnit.MILLISECONDS.toNanos(30)));
    java.util.concurrent.CompletableFuture<Boolean> woken = awaitResumeElsewhere(10);
    Thread.sleep(20);
    assertFalse(woken.isDone());
    event("RESUME", 8, 6_000);
    assertTrue(woken.get(10, TimeUnit.SECONDS));
    assertEquals(Duration.ofNanos(6_000_000), qmp.qemuPause());
  }

  @Test public void aWaiterWakesWhenQemuGoesAway() throws Exception {
    qmp.armResumeWatch();
    java.util.concurrent.CompletableFuture<Boolean> woken = awaitResumeElsewhere(30);
    Thread.sleep(20);
    qemuSide.close();
    assertFalse("closed, not resumed", woken.get(10, TimeUnit.SECONDS));
  }

  /** {@link QmpSocket#awaitResume} on another thread, waiting up to {@code seconds}. */
  private java.util.concurrent.CompletableFuture<Boolean> awaitResumeElsewhere(long seconds) {
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return qmp.awaitResume(TimeUnit.SECONDS.toNanos(seconds));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }
}
