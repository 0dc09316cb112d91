package org.vmqsc.server.standalone;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.Response;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The admin UI's static files at /ui/: the page, its assets, nothing outside its folder, and the unbuilt case. */
public class UiHandlerTest {

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private Server jetty;
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  private URI start(UiHandler ui) throws Exception {
    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    // What ManagerServer puts after it: a handler that answers everything else (the API's place).
    Handler.Abstract rest = new Handler.Abstract() {
      @Override public boolean handle(org.eclipse.jetty.server.Request request, Response response,
                                      org.eclipse.jetty.util.Callback callback) {
        response.setStatus(299);
        callback.succeeded();
        return true;
      }
    };
    jetty.setHandler(new Handler.Sequence(ui, rest));
    jetty.start();
    return URI.create("http://127.0.0.1:" + connector.getLocalPort());
  }

  private HttpResponse<String> get(URI base, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @After
  public void stop() throws Exception {
    if (jetty != null) jetty.stop();
  }

  @Test
  public void servesTheBuiltPageAndItsAssets() throws Exception {
    Path dist = tmp.newFolder("dist").toPath();
    Files.writeString(dist.resolve("index.html"), "<!doctype html><title>vmqsc</title>");
    Files.createDirectories(dist.resolve("assets"));
    Files.writeString(dist.resolve("assets/index-abc.js"), "console.log(1)");
    Files.writeString(tmp.getRoot().toPath().resolve("api-keys.properties"), "secretkey=s");
    URI base = start(new UiHandler(dist));

    HttpResponse<String> redirect = get(base, "/ui");
    assertEquals(302, redirect.statusCode());
    assertEquals("/ui/", redirect.headers().firstValue("location").orElseThrow());
    HttpResponse<String> page = get(base, "/ui/");
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("<title>vmqsc</title>"));
    assertTrue(page.headers().firstValue("content-type").orElseThrow().startsWith("text/html"));
    assertEquals("no-cache", page.headers().firstValue("cache-control").orElseThrow());
    HttpResponse<String> js = get(base, "/ui/assets/index-abc.js");
    assertEquals(200, js.statusCode());
    assertEquals("console.log(1)", js.body());
    assertTrue(js.headers().firstValue("content-type").orElseThrow().startsWith("text/javascript"));
    assertTrue(js.headers().firstValue("cache-control").orElseThrow().contains("immutable"));

    assertEquals(404, get(base, "/ui/missing.js").statusCode());
    assertEquals(404, get(base, "/ui/assets").statusCode()); // a folder is not a file
    for (String escape : new String[] {"/ui/../api-keys.properties", "/ui/%2e%2e/api-keys.properties",
        "/ui/assets/%2e%2e/%2e%2e/api-keys.properties"}) {
      HttpResponse<String> r = get(base, escape);
      assertFalse(escape + " reached " + r.body(), r.body().contains("secretkey"));
    }
    int post = http.send(HttpRequest.newBuilder(base.resolve("/ui/")).POST(HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    assertEquals(405, post);
    assertEquals("other paths go on to the next handler", 299, get(base, "/client/api").statusCode());
    assertEquals("a path that only starts like the UI's is not the UI's", 299, get(base, "/uix").statusCode());
  }

  @Test
  public void withoutABuiltPageItSaysHowToBuildIt() throws Exception {
    URI base = start(new UiHandler(null));
    HttpResponse<String> page = get(base, "/ui/");
    assertEquals(404, page.statusCode());
    assertTrue(page.body(), page.body().contains("npm ci && npm run build"));
    assertEquals(299, get(base, "/client/api").statusCode());
  }

  @Test
  public void aFolderWithoutAnIndexCountsAsNotBuilt() throws Exception {
    System.setProperty("vmqsc.ui.dir", tmp.newFolder("empty").toString());
    try {
      assertFalse(UiHandler.fromEnvironment().built());
      Path dist = tmp.newFolder("built").toPath();
      Files.writeString(dist.resolve("index.html"), "x");
      System.setProperty("vmqsc.ui.dir", dist.toString());
      assertTrue(UiHandler.fromEnvironment().built());
    } finally {
      System.clearProperty("vmqsc.ui.dir");
    }
  }
}
