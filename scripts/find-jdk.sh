# Sourced by ./livetalk and ./build: defines find_jdk, which prints the home of a JDK 25 or newer.
java_version() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

find_jdk() {
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/temurin-25* \
           /usr/lib/jvm/java-25* /usr/lib/jvm/jdk-25* /opt/java/openjdk /opt/jdk-25* "$HOME"/.sdkman/candidates/java/25* \
           /Library/Java/JavaVirtualMachines/*25*/Contents/Home; do
    if [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ]; then
      local v; v="$(java_version "$c/bin/java")"
      if [ "${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
    fi
  done
  if command -v javac >/dev/null 2>&1; then
    local j; j="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
    local v; v="$(java_version "$j/bin/java")"
    if [ "${v%%.*}" -ge 25 ] 2>/dev/null; then echo "$j"; return 0; fi
  fi
  return 1
}

