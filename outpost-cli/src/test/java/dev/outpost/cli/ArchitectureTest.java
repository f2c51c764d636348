package dev.outpost.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import dev.outpost.edge.internal.StoreFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The architecture in docs/architecture.md, checked on the class files of every module's main
 * code: each module depends only on the modules below it, and an {@code internal} package is
 * used only from the package that owns it. This module sees every other one, so the test lives
 * here. A failure names the class, the dependency and the line.
 */
class ArchitectureTest {
  private static JavaClasses main;

  /** Main classes only, from target/classes or the module jars, whichever the build put on the path. */
  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.outpost");
  }

  @Test
  void everyModuleIsImported() {
    for (String module : List.of("core", "sqlite", "edge", "agent", "server", "sim", "bench", "cli")) {
      assertThat(main.stream().anyMatch(c -> c.getPackageName().startsWith("dev.outpost." + module)))
          .as("classes of outpost-" + module + " found").isTrue();
    }
  }

  /** The table of docs/architecture.md: what each module may depend on. */
  @Test
  void modulesDependOnlyOnTheModulesBelowThem() {
    check(mayOnlyUse("core"));
    check(mayOnlyUse("sqlite"));
    check(mayOnlyUse("edge", "core", "sqlite"));
    check(mayOnlyUse("agent", "edge", "core"));
    check(mayOnlyUse("server", "core", "sqlite"));
    check(mayOnlyUse("sim", "edge", "server", "core"));
    check(mayOnlyUse("bench", "sim", "agent", "edge", "server", "core", "sqlite"));
  }

  /** The uplink and its transports use the outbox through its public interfaces only. */
  @Test
  void theUplinkDoesNotReachIntoTheOutboxStore() {
    check(noClasses().that().resideInAnyPackage("dev.outpost.edge.sync..", "dev.outpost.edge.http..")
        .should().dependOnClassesThat().resideInAPackage("dev.outpost.edge.internal.."));
    check(noClasses().that().resideInAPackage("dev.outpost.edge.internal..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.outpost.edge.sync..", "dev.outpost.edge.http.."));
  }

  @Test
  void internalPackagesAreUsedOnlyByTheirOwners() {
    check(internalsStayHome());
  }

  /** The rule above can fail: a class outside edge that reaches into edge.internal breaks it. */
  @Test
  void theInternalRuleCatchesAnIntruder() {
    JavaClasses intruder = new ClassFileImporter().importClasses(Intruder.class, StoreFile.class);
    EvaluationResult result = internalsStayHome().evaluate(intruder);
    assertThat(result.hasViolation()).isTrue();
    assertThat(result.getFailureReport().toString())
        .contains(Intruder.class.getName()).contains(StoreFile.class.getName());
  }

  /** A class in the CLI's package that uses the outbox's internals, as the CLI once did. */
  static final class Intruder {
    static Path file(Path dir) {
      return StoreFile.dbPath(dir);
    }
  }

  private static void check(ArchRule rule) {
    rule.check(main);
  }

  private static ArchRule mayOnlyUse(String module, String... allowed) {
    List<String> forbidden = new java.util.ArrayList<>();
    for (String other : List.of("core", "sqlite", "edge", "agent", "server", "sim", "bench", "cli")) {
      if (!other.equals(module) && !List.of(allowed).contains(other)) {
        forbidden.add("dev.outpost." + other + "..");
      }
    }
    return noClasses().that().resideInAPackage("dev.outpost." + module + "..")
        .should().dependOnClassesThat().resideInAnyPackage(forbidden.toArray(String[]::new))
        .because("outpost-" + module + " may depend on " + (allowed.length == 0 ? "no other module" : String.join(", ", allowed)));
  }

  /**
   * A class in {@code a.b.internal[.x]} is used only from {@code a.b} and its subpackages: the
   * internal package of the outbox store only from the edge library, the agent's only from the
   * agent, and so on.
   */
  private static ArchRule internalsStayHome() {
    return classes().should(new ArchCondition<JavaClass>("use internal packages of their own module part only") {
      @Override
      public void check(JavaClass origin, ConditionEvents events) {
        for (Dependency d : origin.getDirectDependenciesFromSelf()) {
          String target = d.getTargetClass().getPackageName();
          int at = target.indexOf(".internal");
          if (!target.startsWith("dev.outpost.") || at < 0) {
            continue;
          }
          String owner = target.substring(0, at);
          String from = origin.getPackageName();
          if (!(from.equals(owner) || from.startsWith(owner + "."))) {
            events.add(SimpleConditionEvent.violated(d, d.getDescription()
                + " (only " + owner + " and its subpackages may use " + owner + ".internal)"));
          }
        }
      }
    });
  }
}
