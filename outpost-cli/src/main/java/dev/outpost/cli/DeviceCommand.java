package dev.outpost.cli;

import dev.outpost.server.DeviceInfo;
import dev.outpost.server.ServerStore;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code outpost device add|list|label|revoke}: the devices allowed to write to a server's store. */
@Command(name = "device", mixinStandardHelpOptions = true,
    description = "Manage devices and their tokens in a server store.",
    subcommands = {CommandLine.HelpCommand.class})
public final class DeviceCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: add, list, label or revoke");
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Create a device and print its token (shown only now; only its hash is stored).")
  int add(@Parameters(paramLabel = "ID", description = "device id") String id,
      @Option(names = "--label", paramLabel = "NAME=VALUE",
          description = "a label, e.g. site=berlin (repeatable); read by $device.<label> subscriptions") Map<String, String> labels,
      @Mixin StoreOptions where) {
    try (ServerStore store = ServerStore.open(where.configure().build())) {
      String token = store.devices().add(id, labels == null ? Map.of() : labels);
      PrintWriter out = spec.commandLine().getOut();
      out.println("device " + id + " added; its token (shown once, keep it):");
      out.println(token);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List devices with their counters.")
  int list(@Mixin StoreOptions where) {
    try (ServerStore store = ServerStore.open(where.configure().build())) {
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%-24s %-8s %12s %12s %10s  %-24s  %s%n", "DEVICE", "STATE", "STORED", "DUPLICATES", "REJECTED",
          "LAST SEEN", "LABELS");
      for (DeviceInfo d : store.devices().list()) {
        StringBuilder labels = new StringBuilder();
        new java.util.TreeMap<>(d.labels()).forEach((k, v) -> labels.append(labels.isEmpty() ? "" : ",").append(k).append('=').append(v));
        out.printf("%-24s %-8s %12d %12d %10d  %-24s  %s%n", d.deviceId(), d.revoked() ? "revoked" : "active",
            d.stored(), d.duplicates(), d.rejected(), d.lastSeen() == 0 ? "never" : Instant.ofEpochMilli(d.lastSeen()),
            labels);
      }
      return 0;
    }
  }

  @Command(name = "label", mixinStandardHelpOptions = true,
      description = "Replace a device's labels (none given: remove them all); its next pull resyncs.")
  int label(@Parameters(index = "0", paramLabel = "ID", description = "device id") String id,
      @Parameters(index = "1..*", paramLabel = "NAME=VALUE", arity = "0..*", description = "labels, e.g. site=berlin")
      Map<String, String> labels,
      @Mixin StoreOptions where) {
    try (ServerStore store = ServerStore.open(where.configure().build())) {
      if (!store.devices().setLabels(id, labels == null ? Map.of() : labels)) {
        spec.commandLine().getErr().println("outpost: no device '" + id + "'");
        return 1;
      }
      spec.commandLine().getOut().println("device " + id + " labels: " + new java.util.TreeMap<>(labels == null ? Map.of() : labels));
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a device's token.")
  int revoke(@Parameters(paramLabel = "ID", description = "device id") String id, @Mixin StoreOptions where) {
    try (ServerStore store = ServerStore.open(where.configure().build())) {
      if (!store.devices().revoke(id)) {
        spec.commandLine().getErr().println("outpost: no active device '" + id + "'");
        return 1;
      }
      spec.commandLine().getOut().println("device " + id + " revoked");
      return 0;
    }
  }
}
