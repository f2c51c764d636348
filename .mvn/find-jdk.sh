# Sourced by ./mvnw and ./outpost: finds a JDK >= 21 so nobody sets JAVA_HOME by hand.
# Order: $JAVA_HOME if new enough, then /usr/lib/jvm/*, then the java on PATH.
# On success it exports JAVA_HOME; otherwise it prints one line saying what to install and exits 1.
# OUTPOST_JVM_DIRS (space-separated globs) replaces the JDK folders searched, e.g. for tests.
outpost_java_major() { # $1 = path to a java binary; prints its feature version, or nothing
  # A JDK's release file says its version without starting a JVM (saves ~100 ms a call).
  local release major
  release="$(dirname "$(dirname "$1")")/release"
  if [ -r "$release" ]; then
    major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release" | head -n 1)
    if [ -n "$major" ]; then echo "$major"; return 0; fi
  fi
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
outpost_find_jdk() {
  local candidate major
  for candidate in ${JAVA_HOME:+"$JAVA_HOME"} ${OUTPOST_JVM_DIRS:-/usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home}; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(outpost_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then echo "$candidate"; return 0; fi
  done
  if command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1; then
    major=$(outpost_java_major "$(command -v java)")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
      echo "$candidate"; return 0
    fi
  fi
  return 1
}
case $- in *f*) outpost_noglob=1 ;; *) outpost_noglob= ;; esac
set +f # globbing is needed for /usr/lib/jvm/*; mvnw runs with set -f
if OUTPOST_JDK=$(outpost_find_jdk); then
  export JAVA_HOME="$OUTPOST_JDK"
  # Maven's own Guice uses sun.misc.Unsafe; JDK 24+ warns about it on every build. The flag
  # does not exist before 23, so only pass it where it is understood.
  if [ "$(outpost_java_major "$JAVA_HOME/bin/java")" -ge 24 ] 2>/dev/null; then
    case " ${MAVEN_OPTS:-} " in *unsafe-memory-access*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;; esac
  fi
else
  echo "outpost: no JDK 21 or newer found (looked at \$JAVA_HOME, /usr/lib/jvm/*, PATH); install one, e.g. 'apt-get install openjdk-21-jdk' or Temurin 21, or set JAVA_HOME to it" >&2
  exit 1
fi
[ -z "$outpost_noglob" ] || set -f
