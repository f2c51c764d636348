package dev.outpost.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code outpost docs get|put|patch|delete|list} and {@code outpost conflicts list|resolve}: the
 * back office's document and conflict API of a running server (docs/sync-model.md), from a shell;
 * with {@code --agent URL}, the documents of a running agent's replica (docs/agent.md). Prints the
 * JSON answer; a refusal prints the error and exits 1.
 */
final class DocsCommand {
  private DocsCommand() {}

  /** Where the server is and the admin token; shared by both commands. */
  static final class ServerOptions {
    @Option(names = "--server", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080", scope = CommandLine.ScopeType.INHERIT,
        description = "The server's base URL. Default: http://127.0.0.1:8080")
    URI server;

    @Option(names = "--admin-token", paramLabel = "TOKEN", scope = CommandLine.ScopeType.INHERIT,
        description = "The admin token (or env OUTPOST_ADMIN_TOKEN)")
    String adminToken;

    @Option(names = "--agent", paramLabel = "URL", scope = CommandLine.ScopeType.INHERIT,
        description = "Talk to a running agent's replica instead of the server, e.g. http://127.0.0.1:7411 (no token)")
    URI agent;

    String token(CommandSpec spec) {
      String t = adminToken != null ? adminToken : System.getenv("OUTPOST_ADMIN_TOKEN");
      if (t == null || t.isBlank()) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "the admin token is missing: give --admin-token or set OUTPOST_ADMIN_TOKEN");
      }
      return t;
    }

    /** Sends a request and prints the answer; the exit code: 0 for 2xx, 1 otherwise. */
    int call(CommandSpec spec, String method, String path, String body) {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      URI target = agent != null ? agent : server;
      String base = target.toString().endsWith("/") ? target.toString().substring(0, target.toString().length() - 1)
          : target.toString();
      HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/json");
      if (agent == null) {
        req.header("Authorization", "Bearer " + token(spec)); // the agent's local API has no auth
      }
      req
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
        HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() / 100 == 2) {
          if (!r.body().isEmpty()) {
            out.println(r.body());
          }
          return 0;
        }
        err.println("outpost: " + method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        return 1;
      } catch (IOException e) {
        err.println("outpost: cannot reach the " + (agent != null ? "agent" : "server") + " at " + target + ": "
            + e.getMessage());
        return 1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      }
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Command(name = "docs", mixinStandardHelpOptions = true,
      description = "Read and write replicated documents on a running server (admin token), or a running agent's"
          + " replica (--agent URL).",
      subcommands = {CommandLine.HelpCommand.class})
  static final class Docs implements Runnable {
    @Spec CommandSpec spec;
    @CommandLine.Mixin ServerOptions server = new ServerOptions();

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "a subcommand is required: get, put, patch, delete or list");
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print a document.")
    int get(@Parameters(paramLabel = "COLLECTION") String collection, @Parameters(paramLabel = "ID") String id) {
      return server.call(spec, "GET", "/v1/docs/" + enc(collection) + "/" + enc(id), null);
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
        description = "Replace a document's register fields with a JSON object.")
    int put(@Parameters(paramLabel = "COLLECTION") String collection, @Parameters(paramLabel = "ID") String id,
        @Parameters(paramLabel = "JSON") String json) {
      return server.call(spec, "PUT", "/v1/docs/" + enc(collection) + "/" + enc(id), json);
    }

    @Command(name = "patch", mixinStandardHelpOptions = true,
        description = "A JSON merge patch, plus {\"$inc\": n} on counters and {\"$add\"|\"$remove\": [..]} on sets.")
    int patch(@Parameters(paramLabel = "COLLECTION") String collection, @Parameters(paramLabel = "ID") String id,
        @Parameters(paramLabel = "JSON") String json) {
      return server.call(spec, "PATCH", "/v1/docs/" + enc(collection) + "/" + enc(id), json);
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a document.")
    int delete(@Parameters(paramLabel = "COLLECTION") String collection, @Parameters(paramLabel = "ID") String id) {
      int rc = server.call(spec, "DELETE", "/v1/docs/" + enc(collection) + "/" + enc(id), null);
      if (rc == 0) {
        spec.commandLine().getOut().println("deleted " + collection + "/" + id);
      }
      return rc;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List a collection's documents by id.")
    int list(@Parameters(paramLabel = "COLLECTION") String collection,
        @Option(names = "--after", paramLabel = "ID", description = "Start after this id") String after,
        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N (1..1000). Default: 100") int limit,
        @Option(names = "--where", paramLabel = "FIELD=VALUE",
            description = "Only documents whose field equals the value (with --agent; repeatable)") java.util.Map<String, String> where) {
      StringBuilder q = new StringBuilder("?limit=").append(limit).append(after == null ? "" : "&after=" + enc(after));
      if (where != null && !where.isEmpty()) {
        if (server.agent == null) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--where queries an agent's replica: give --agent URL");
        }
        where.forEach((f, v) -> q.append("&where.").append(enc(f)).append('=').append(enc(v)));
      }
      return server.call(spec, "GET", "/v1/docs/" + enc(collection) + q, null);
    }
  }

  @Command(name = "conflicts", mixinStandardHelpOptions = true,
      description = "List and resolve conflicts of manual collections on a running server (admin token).",
      subcommands = {CommandLine.HelpCommand.class})
  static final class Conflicts implements Runnable {
    @Spec CommandSpec spec;
    @CommandLine.Mixin ServerOptions server = new ServerOptions();

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: list or resolve");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List open conflicts (--all: resolved too).")
    int list(@Option(names = "--all", description = "Also the resolved ones") boolean all) {
      return server.call(spec, "GET", "/v1/conflicts?open=" + !all, null);
    }

    @Command(name = "resolve", mixinStandardHelpOptions = true,
        description = "Resolve a conflict: --take current|proposed, or --value JSON.")
    int resolve(@Parameters(paramLabel = "ID") long id,
        @Option(names = "--take", paramLabel = "SIDE", description = "current or proposed") String take,
        @Option(names = "--value", paramLabel = "JSON", description = "the value to write instead") String value) {
      if ((take == null) == (value == null)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --take current|proposed or --value JSON");
      }
      String body = take != null ? "{\"take\":\"" + take.replace("\"", "") + "\"}" : "{\"value\":" + value + "}";
      return server.call(spec, "POST", "/v1/conflicts/" + id + "/resolve", body);
    }
  }
}
