package dev.outpost.agent;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How a config value is written as text and what it becomes. {@link #parse} throws
 * {@link IllegalArgumentException} with a short reason; {@link #allowed} describes the accepted
 * form for error messages and docs. Immutable and thread-safe.
 */
public record ValueType<T>(String allowed, Function<String, T> parser) {

  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(B|KB|MB|GB|KIB|MIB|GIB)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION =
      Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  public T parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("no value");
    }
    return parser.apply(text.trim());
  }

  /** A byte count: a whole number with an optional unit (B, KB/MB/GB = 1000, KiB/MiB/GiB = 1024). */
  public static ValueType<Long> size(long min, long max) {
    return new ValueType<>(
        "a size from " + formatBytes(min) + " to " + formatBytes(max)
            + ", e.g. 500MiB (units B, KB, MB, GB, KiB, MiB, GiB)",
        text -> {
          Matcher m = SIZE.matcher(text);
          if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size");
          }
          long unit = switch (m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT)) {
            case "KB" -> 1000L;
            case "MB" -> 1000L * 1000;
            case "GB" -> 1000L * 1000 * 1000;
            case "KIB" -> 1L << 10;
            case "MIB" -> 1L << 20;
            case "GIB" -> 1L << 30;
            default -> 1L;
          };
          long bytes;
          try {
            bytes = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
          } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large");
          }
          if (bytes < min || bytes > max) {
            throw new IllegalArgumentException("'" + text + "' is out of range");
          }
          return bytes;
        });
  }

  /** A duration: a whole number with a unit (ms, s, m, h, d), or ISO-8601 like PT30S. */
  public static ValueType<Duration> duration(Duration min, Duration max) {
    return new ValueType<>(
        "a duration from " + formatDuration(min) + " to " + formatDuration(max)
            + ", e.g. 30s (units ms, s, m, h, d)",
        text -> {
          Duration d = parseDuration(text);
          if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException("'" + text + "' is out of range");
          }
          return d;
        });
  }

  /** Like {@link #duration} but also {@code none}, which parses to {@link Duration#ZERO}. */
  public static ValueType<Duration> durationOrNone(Duration min, Duration max) {
    ValueType<Duration> d = duration(min, max);
    return new ValueType<>(
        "'none' or " + d.allowed(),
        text -> text.equalsIgnoreCase("none") ? Duration.ZERO : d.parse(text));
  }

  public static ValueType<Integer> integer(int min, int max) {
    return new ValueType<>(
        "a whole number from " + min + " to " + max,
        text -> {
          int v;
          try {
            v = Integer.parseInt(text);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number");
          }
          if (v < min || v > max) {
            throw new IllegalArgumentException("'" + text + "' is out of range");
          }
          return v;
        });
  }

  /** A share strictly above 0 and at most 1, e.g. 0.9. */
  public static ValueType<Double> fraction() {
    return new ValueType<>(
        "a number above 0 and at most 1, e.g. 0.9",
        text -> {
          double v;
          try {
            v = Double.parseDouble(text);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number");
          }
          if (!(v > 0 && v <= 1)) {
            throw new IllegalArgumentException("'" + text + "' is out of range");
          }
          return v;
        });
  }

  public static ValueType<Boolean> bool() {
    return new ValueType<>(
        "true or false",
        text -> switch (text.toLowerCase(Locale.ROOT)) {
          case "true" -> true;
          case "false" -> false;
          default -> throw new IllegalArgumentException("'" + text + "' is not a boolean");
        });
  }

  public static <E extends Enum<E>> ValueType<E> oneOf(Class<E> type) {
    String names = Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
    return new ValueType<>(
        "one of " + names,
        text -> {
          for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(text)) {
              return e;
            }
          }
          throw new IllegalArgumentException("'" + text + "' is not a known value");
        });
  }

  /** Non-empty text matching {@code pattern}. */
  public static ValueType<String> text(String pattern, String allowed) {
    Pattern p = Pattern.compile(pattern);
    return new ValueType<>(
        allowed,
        text -> {
          if (!p.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not valid");
          }
          return text;
        });
  }

  /** An absolute http:// or https:// URL with a host. */
  public static ValueType<URI> httpUrl() {
    return new ValueType<>(
        "an http:// or https:// URL, e.g. https://outpost.example.com:8443",
        text -> {
          URI uri;
          try {
            uri = new URI(text);
          } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason());
          }
          String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
          if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + text + "' is not an http(s) URL with a host");
          }
          return uri;
        });
  }

  public static ValueType<Path> path() {
    return new ValueType<>(
        "a file system path",
        text -> {
          if (text.isEmpty()) {
            throw new IllegalArgumentException("the path is empty");
          }
          try {
            return Path.of(text);
          } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + text + "' is not a path: " + e.getReason());
          }
        });
  }

  static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text);
    if (m.matches()) {
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is too large");
      }
      return switch (m.group(2).toLowerCase(Locale.ROOT)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    if (text.toUpperCase(Locale.ROOT).startsWith("P")) {
      try {
        return Duration.parse(text);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("'" + text + "' is not a duration");
      }
    }
    throw new IllegalArgumentException("'" + text + "' is not a duration");
  }

  /** 1048576 → "1MiB"; exact multiples only, else bytes. */
  public static String formatBytes(long bytes) {
    if (bytes >= (1L << 30) && bytes % (1L << 30) == 0) {
      return (bytes >> 30) + "GiB";
    }
    if (bytes >= (1L << 20) && bytes % (1L << 20) == 0) {
      return (bytes >> 20) + "MiB";
    }
    if (bytes >= (1L << 10) && bytes % (1L << 10) == 0) {
      return (bytes >> 10) + "KiB";
    }
    return bytes + "B";
  }

  /** For people: 1536 → "1.5 KiB", 0 → "0 B". */
  public static String formatBytesApprox(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
  }

  /** 30 s → "30s", 2 ms → "2ms"; the largest whole unit. */
  public static String formatDuration(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    if (ms % 86_400_000L == 0) {
      return (ms / 86_400_000L) + "d";
    }
    if (ms % 3_600_000L == 0) {
      return (ms / 3_600_000L) + "h";
    }
    if (ms % 60_000L == 0) {
      return (ms / 60_000L) + "m";
    }
    if (ms % 1000L == 0) {
      return (ms / 1000L) + "s";
    }
    return ms + "ms";
  }
}
