package org.vmqsc.lab;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import picocli.CommandLine;

/**
 * Every bad input to the command line: exit code 2, exactly one line on standard error, no stack trace, nothing
 * written, and an answer within seconds. One row per input; each row names what the message must mention.
 */
public class BadInputTableTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private record Case(String mentions, String... args) {}

  @Test public void everyBadInputGetsOneClearLineAndExitCode2() throws IOException {
    Path dir = tmp.newFolder("inputs").toPath();
    Path folder = Files.createDirectories(dir.resolve("a-folder"));
    Path missingParent = dir.resolve("no-such-folder").resolve("events.jsonl");
    Path binary = Files.write(dir.resolve("binary.csv"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0xc3});
    Path hugeVm = Files.writeString(dir.resolve("huge-vm.csv"), "0.1,0,5000000,100\n");
    Path maxIntVm = Files.writeString(dir.resolve("max-int.csv"), "0.1,0,2147483647,100\n");
    Path hugeTime = Files.writeString(dir.resolve("huge-time.csv"), "1e300,0,1,100\n");
    Path bomHeader = Files.writeString(dir.resolve("bom.csv"), "\uFEFFtime,src,dst,bytes\n0.1,0,1,x\n");
    Path hugeRank = Files.writeString(dir.resolve("huge-rank.txt"), "1000000000 init\n");
    Path hugeFlops = Files.writeString(dir.resolve("flops.txt"), "0 init\n0 compute 1e308\n1 init\n"
        + "0 send 1 0 10\n1 recv 0 0 10\n");
    Path sub = Files.createDirectories(dir.resolve("trace"));
    Path escaping = Files.writeString(sub.resolve("trace.index"), "../../../../../../../../etc/passwd\nrank-1.txt\n");
    Path absolute = Files.writeString(dir.resolve("absolute.index"), "/etc/passwd\n");
    Path outFile = Files.writeString(dir.resolve("a-file"), "keep");
    Path events = Files.writeString(dir.resolve("events.jsonl"), "{\"t\":0,\"event\":\"header\"}\n"
        + "{\"t\":1,\"event\":\"send\",\"from\":0,\"to\":1,\"seq\":1,\"digest\":7,\"host\":0}\n");
    Path brokenEvents = Files.writeString(dir.resolve("broken.jsonl"), "{\"t\":0,\"event\":\"header\"}\n{\"t\":1,\n"
        + "{\"t\":2,\"event\":\"end\",\"drained\":true}\n");
    Path binaryLines = Files.write(dir.resolve("binary.jsonl"), new byte[] {(byte) 0xff, (byte) 0xfe, '\n', 1, '\n'});
    Path msEvents = Files.writeString(dir.resolve("ms.jsonl"), "{\"t\":0,\"event\":\"header\",\"time_unit\":\"ms\"}\n");

    // A cluster folder whose processes are gone (its pids are -1: never alive).
    Path deadCluster = Files.createDirectories(dir.resolve("dead-cluster"));
    Files.writeString(deadCluster.resolve("cluster.json"), "{\"dir\":\"" + deadCluster + "\",\"managerPort\":1,"
        + "\"settings\":{\"agents\":1,\"leaseMs\":3000,\"heartbeatMs\":1000,\"guestMessages\":4,"
        + "\"guestMemoryMib\":16},\"manager\":{\"name\":\"manager\",\"pid\":-1,\"url\":\"http://127.0.0.1:1/\"},"
        + "\"agents\":{\"h1\":{\"name\":\"h1\",\"pid\":-1,\"url\":\"http://127.0.0.1:1/\",\"hostUuid\":\"x\"}}}");
    String noCluster = dir.resolve("no-cluster").toString();

    List<Case> cases = List.of(
        new Case("--agents", "cluster", "up", "--agents", "0", "--dir", noCluster),
        new Case("--agents", "cluster", "up", "--agents", "17", "--dir", noCluster),
        new Case("--lease-ms", "cluster", "up", "--lease-ms", "100", "--dir", noCluster),
        new Case("--heartbeat-ms", "cluster", "up", "--heartbeat-ms", "3000", "--dir", noCluster),
        new Case("--memory-mib", "cluster", "up", "--memory-mib", "0", "--dir", noCluster),
        new Case("names a file", "cluster", "up", "--dir", outFile.toString()),
        new Case("not empty", "cluster", "up", "--dir", dir.toString()),
        new Case("does not exist", "cluster", "up", "--dir", missingParent.toString()),
        new Case("no cluster in", "cluster", "status", "--dir", noCluster),
        new Case("names a file", "cluster", "status", "--dir", outFile.toString()),
        new Case("no cluster in", "cluster", "kill-host", "h1", "--dir", noCluster),
        new Case("does not run", "cluster", "kill-host", "h1", "--dir", deadCluster.toString()),
        new Case("--timeout-s", "cluster", "kill-host", "h1", "--timeout-s", "0", "--dir", deadCluster.toString()),
        new Case("Missing required parameter", "cluster", "kill-host", "--dir", deadCluster.toString()),
        new Case("does not run", "cluster", "restart-host", "h1", "--dir", deadCluster.toString()),
        new Case("--vms", "cluster", "group", "create", "--vms", "0", "--dir", deadCluster.toString()),
        new Case("does not run", "cluster", "group", "create", "--dir", deadCluster.toString()),
        new Case("--grace-s", "cluster", "down", "--grace-s", "-1", "--dir", deadCluster.toString()),
        new Case("no cluster in", "cluster", "down", "--dir", noCluster),
        new Case("--kills", "bench", "recovery", "--kills", "0"),
        new Case("--vms", "bench", "recovery", "--vms", "0"),
        new Case("--memory-mib", "bench", "recovery", "--memory-mib", "-1"),
        new Case("--agents", "bench", "recovery", "--agents", "1"),
        new Case("--lease-ms", "bench", "recovery", "--lease-ms", "50"),
        new Case("--heartbeat-ms", "bench", "recovery", "--heartbeat-ms", "5000"),
        new Case("directory", "bench", "recovery", "--out", folder.toString()),
        new Case("does not exist", "bench", "recovery", "--out", missingParent.toString()),
        new Case("must name a new or empty folder", "bench", "recovery", "--dir", dir.toString()),
        new Case("--seed", "bench", "recovery", "--seed", "x"),
        new Case("--seconds", "bench", "storage", "--seconds", "5"),
        new Case("--vms", "bench", "storage", "--vms", "0"),
        new Case("--sweep-grace-s", "bench", "storage", "--sweep-grace-s", "0"),
        new Case("--sample-s", "bench", "storage", "--seconds", "20", "--sample-s", "30"),
        new Case("--drift", "simulate", "--drift", "NaN"),
        new Case("--drift", "simulate", "--drift", "-0.1"),
        new Case("--rate", "simulate", "--rate", "NaN"),
        new Case("--rate", "simulate", "--rate", "1e300"),
        new Case("--si-share", "simulate", "--si-share", "NaN"),
        new Case("--delay", "simulate", "--delay", "NaN"),
        new Case("--delay", "simulate", "--delay", "-5"),
        new Case("--t0", "simulate", "--t0", "0"),
        new Case("--t0", "simulate", "--t0", "9223372036854775807"),
        new Case("--periods", "simulate", "--periods", "2000000000"),
        new Case("--host-failures", "simulate", "--host-failures", "100000"),
        new Case("negative", "simulate", "--vm-failures", "-1"),
        new Case("--migrations", "simulate", "--migrations", "-1"),
        new Case("at least 2 hosts", "simulate", "--hosts", "1", "--migrations", "1"),
        new Case("--vms", "simulate", "--vms", "100000"),
        new Case("--max-k", "simulate", "--max-k", "1000000"),
        new Case("--seed", "simulate", "--seed", "abc"),
        new Case("directory", "simulate", "--events", folder.toString()),
        new Case("does not exist", "simulate", "--events", missingParent.toString()),
        new Case("--size-mib", "bench", "engine", "--size-mib", "4096"),
        new Case("--size-mib", "bench", "engine", "--size-mib", "100000000"),
        new Case("--size-mib", "bench", "engine", "--size-mib", "-1"),
        new Case("--rewrite-percent", "bench", "engine", "--rewrite-percent", "NaN"),
        new Case("--warm-up", "bench", "engine", "--warm-up", "-1"),
        new Case("--percents", "bench", "kvm", "--percents", "150"),
        new Case("--percents", "bench", "kvm", "--percents", "NaN"),
        new Case("--memory-mib", "bench", "kvm", "--memory-mib", "-1"),
        new Case("--rounds", "bench", "kvm", "--compare-snapshots", "--rounds", "1"),
        new Case("--warm-up", "bench", "kvm", "--compare-snapshots", "--warm-up", "-1"),
        new Case("--without-own-monitor", "bench", "kvm", "--without-own-monitor"),
        new Case("--next-image", "bench", "engine", "--next-image", "/nonexistent.img"),
        new Case("--threads", "bench", "catalog", "--threads", "0"),
        new Case("--url", "db", "migrate", "--url", "postgres://nope"),
        new Case("database error", "db", "status", "--url", "jdbc:mariadb://127.0.0.1:1/none?connectTimeout=500"),
        new Case("is a directory", "evaluate", "--trace", "csv:" + folder),
        new Case("does not exist", "evaluate", "--trace", "csv:" + dir.resolve("missing.csv")),
        new Case("UTF-8", "evaluate", "--trace", "csv:" + binary, "--out", dir.resolve("o1").toString()),
        new Case("0..1023", "evaluate", "--trace", "csv:" + hugeVm, "--out", dir.resolve("o2").toString()),
        new Case("2147483647", "evaluate", "--trace", "csv:" + maxIntVm, "--out", dir.resolve("o3").toString()),
        new Case("huge-time.csv:1", "evaluate", "--trace", "csv:" + hugeTime, "--out", dir.resolve("o4").toString()),
        new Case("bom.csv:2", "evaluate", "--trace", "csv:" + bomHeader, "--out", dir.resolve("o5").toString()),
        new Case("too large", "evaluate", "--trace", "simgrid:" + hugeRank, "--out", dir.resolve("o6").toString()),
        new Case("flops.txt:2", "evaluate", "--trace", "simgrid:" + hugeFlops, "--out", dir.resolve("o7").toString()),
        new Case("not below", "evaluate", "--trace", "simgrid:" + escaping, "--out", dir.resolve("o8").toString()),
        new Case("not below", "evaluate", "--trace", "simgrid:" + absolute, "--out", dir.resolve("o9").toString()),
        new Case("--latency", "evaluate", "--workload", "paper", "--latency", "NaN"),
        new Case("--bandwidth", "evaluate", "--workload", "paper", "--bandwidth", "-1"),
        new Case("--checkpoint-mb", "evaluate", "--workload", "paper", "--checkpoint-mb", "Infinity"),
        new Case("names a file", "evaluate", "--workload", "paper", "--out", outFile.toString()),
        new Case("does not exist", "evaluate", "--workload", "paper", "--out", missingParent.toString()),
        new Case("names a file", "demo", "--out", outFile.toString()),
        new Case("Unknown option", "simulate", "--no-such-option"),
        new Case("go with --url", "db", "status", "--user", "someone", "--password", "guess",
            "--home", dir.resolve("db-home").toString()),
        new Case("go with --url", "bench", "catalog", "--password", "guess", "--home",
            dir.resolve("db-home").toString()),
        new Case("--port", "manager", "--port", "70000", "--home", dir.resolve("mgr-home").toString()),
        new Case("--port", "manager", "--port", "-1", "--home", dir.resolve("mgr-home").toString()),
        new Case("--kept-behind-line", "manager", "--kept-behind-line", "-1", "--home",
            dir.resolve("mgr-home").toString()),
        new Case("--storage-grace-s", "manager", "--storage-grace-s", "1", "--home", dir.resolve("mgr-home").toString()),
        new Case("--port", "manager", "--port", "http", "--home", dir.resolve("mgr-home").toString()),
        new Case("go with --db-url", "manager", "--db-user", "someone", "--home", dir.resolve("mgr-home").toString()),
        new Case("go with --db-url", "manager", "--db-password", "guess", "--home",
            dir.resolve("mgr-home").toString()),
        new Case("--db-url", "manager", "--db-url", "postgres://nope", "--home", dir.resolve("mgr-home").toString()),
        new Case("names a file", "manager", "--home", outFile.toString()),
        new Case("does not exist", "manager", "--home", dir.resolve("no-such-folder").resolve("home").toString()),
        new Case("no such file", "check-events", dir.resolve("missing.jsonl").toString()),
        new Case("is a directory", "check-events", folder.toString()),
        new Case("broken.jsonl:2: not a JSON object", "check-events", brokenEvents.toString()),
        new Case("no header line", "check-events", binary.toString()),
        new Case("UTF-8", "check-events", binaryLines.toString()),
        new Case("different time units", "check-events", events.toString(), msEvents.toString()),
        new Case("does not exist", "check-events", events.toString(), msEvents.toString(), "--merged",
            missingParent.toString()),
        new Case("Missing required parameter", "check-events"));

    List<String> before = listing(dir);
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      long start = System.nanoTime();
      Run run = run(c.args());
      double seconds = (System.nanoTime() - start) / 1e9;
      String what = String.join(" ", c.args()) + " -> exit " + run.exitCode() + ", stderr: " + run.err();
      List<String> lines = run.err().lines().filter(l -> !l.isBlank()).toList();
      if (run.exitCode() != 2) failures.add("exit code: " + what);
      else if (lines.size() != 1) failures.add(lines.size() + " lines: " + what);
      else if (!lines.get(0).startsWith("vmqsc: ")) failures.add("no 'vmqsc: ' prefix: " + what);
      else if (!lines.get(0).contains(c.mentions())) failures.add("does not mention '" + c.mentions() + "': " + what);
      else if (run.err().contains("\tat ") || run.err().contains("Exception")) failures.add("stack trace: " + what);
      else if (seconds > 10) failures.add("took " + seconds + " s: " + what);
    }
    assertEquals("nothing was written", before, listing(dir));
    assertEquals("keep", Files.readString(outFile));
    assertTrue(failures.size() + " of " + cases.size() + " bad inputs handled badly:\n" + String.join("\n", failures),
        failures.isEmpty());
    assertFalse(Files.exists(Path.of("evaluation-out", "results.csv").toAbsolutePath().normalize())
        && Files.getLastModifiedTime(Path.of("evaluation-out", "results.csv")).toMillis() > startMillis);
  }

  private final long startMillis = System.currentTimeMillis();

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream stray = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(stray, true, StandardCharsets.UTF_8));
    try {
      CommandLine cl = VmqscCommand.commandLine();
      cl.setErr(new PrintWriter(err, true));
      int code = cl.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err + stray.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }
}
