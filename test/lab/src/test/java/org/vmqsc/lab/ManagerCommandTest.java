package org.vmqsc.lab;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.db.TestDatabases;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.server.api.ApiKeys;

/** {@code vmqsc manager} as a process of its own: ready line, a signed call, and a clean stop on SIGTERM. */
public class ManagerCommandTest {

  private static final Pattern READY =
      Pattern.compile("manager: listening on (http://127\\.0\\.0\\.1:\\d+/client/api) \\(keys in (.+)\\)");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void startsAnswersASignedCallAndStopsOnSigterm() throws Exception {
    String url = TestDatabases.freshDatabase("lab_manager"); // skips where MariaDB cannot run
    Path home = tmp.getRoot().toPath().resolve("manager-home");
    Path stderr = tmp.newFile("manager.err").toPath();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
        "org.vmqsc.lab.VmqscCommand", "manager", "--port", "0", "--home", home.toString(),
        "--db-url", url, "--db-user", TestDatabases.user(), "--db-password", TestDatabases.password()))
        .redirectError(stderr.toFile())
        .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
        try {
          for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("manager: ")) return line;
          }
          return null;
        } catch (java.io.IOException e) {
          return null;
        }
      });
      String line = ready.get(120, TimeUnit.SECONDS);
      assertNotNull("no ready line; stderr: " + Files.readString(stderr), line);
      Matcher m = READY.matcher(line);
      assertTrue(line, m.matches());
      assertEquals(home.resolve(ApiKeys.FILE_NAME).toAbsolutePath().toString(), m.group(2));

      ApiClient client = new ApiClient(URI.create(m.group(1)), ApiKeys.loadOrCreate(home));
      ApiClient.Reply created = client.get("createProtectionGroup", "name", "from-a-test", "baseperiod", "60000");
      assertTrue(created.body().toString(), created.ok());

      process.destroy(); // SIGTERM
      assertTrue("the manager did not stop within 30 s of SIGTERM", process.waitFor(30, TimeUnit.SECONDS));
      assertEquals("exit code after SIGTERM (128 + 15)", 143, process.exitValue());
      String err = Files.readString(stderr);
      assertTrue(err, err.contains("manager: stopped"));
      assertTrue("library logs at INFO: " + err, !err.contains("HHH000"));
    } finally {
      process.destroyForcibly();
    }
  }
}
