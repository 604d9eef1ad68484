#!/usr/bin/env bash
# Builds the PraaS container images, without a registry:
#
#   praas/process:VERSION         the process runtime (docker/process/Dockerfile)
#   praas/control-plane:VERSION   a control-plane node (docker/control-plane/Dockerfile)
#
# Both are FROM a base image with Java. By default that base is praas/jre-base:<java feature>, which
# this script makes when it is missing: a jlink-made runtime of the current JDK (JAVA_HOME, else the
# `java` on the PATH) plus the glibc files `ldd` lists and a minimal /etc, `docker import`ed. Where a
# registry is reachable, --base eclipse-temurin:17-jre (or PRAAS_IMAGE_BASE) uses that instead.
#
#   docker/build-images.sh [--base IMAGE] [--rebuild-base] [--rebuild-jars]
#
#   --base IMAGE     the base image to build FROM (default praas/jre-base:<feature>, made here if missing)
#   --rebuild-base   make praas/jre-base again even if it exists
#   --rebuild-jars   run `mvn -DskipTests package` even if the jars exist (they are built when missing)
#
# Needs a running Docker engine (`docker info`) and a JDK 17+ with jlink. See docs/IMAGE.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version=0.1.0-SNAPSHOT
started=$(date +%s)

base="${PRAAS_IMAGE_BASE:-}"
rebuild_base=false
rebuild_jars=false
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="${2:?--base needs an image}"; shift 2 ;;
    --rebuild-base) rebuild_base=true; shift ;;
    --rebuild-jars) rebuild_jars=true; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-images: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done

say() { echo "build-images: $*" >&2; }
die() { say "$*"; exit 1; }

docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info' (start dockerd; .ci/run shows how)"

java_home="${JAVA_HOME:-}"
if [ -z "$java_home" ]; then
  java_bin="$(command -v java)" || die "no java on the PATH and no JAVA_HOME"
  java_home="$(dirname "$(dirname "$(readlink -f "$java_bin")")")"
fi
[ -x "$java_home/bin/jlink" ] || die "$java_home has no bin/jlink: set JAVA_HOME to a JDK (17 or newer)"
feature="$("$java_home/bin/java" -XshowSettings:properties -version 2>&1 \
  | awk -F'= ' '/java.specification.version/ {print $2}' | tr -d '[:space:]')"
[ -n "$feature" ] || die "cannot tell the version of $java_home/bin/java"
base="${base:-praas/jre-base:$feature}"

# ---- 1. the jars the images copy
jars=(praas-process/target/praas-process-$version.jar praas-process/target/lib
      praas-process/target/classes/praas-jvm.flags
      praas-control-plane/target/praas-control-plane-$version.jar praas-control-plane/target/lib
      fargate-deploy/target/fargate-deploy-$version.jar fargate-deploy/target/lib
      knative-deploy/target/knative-deploy-$version.jar knative-deploy/target/lib)
missing=false
for f in "${jars[@]}"; do [ -e "$root/$f" ] || missing=true; done
if $missing || $rebuild_jars; then
  say "building the jars (mvn -DskipTests package) ..."
  (cd "$root" && JAVA_HOME="$java_home" mvn -B -ntp -q -DskipTests package) >&2
fi

# ---- 2. the base image: a jlink runtime, its shared libraries and a minimal /etc, imported
make_base() {
  local work rootfs jre modules available wanted lib
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  rootfs="$work/rootfs"
  jre="$rootfs/opt/java/openjdk"
  mkdir -p "$rootfs"
  # java.se because the JVM flags add it; jdk.compiler, jdk.management and jdk.unsupported because the
  # flags open them (Chronicle, Hazelcast, sun.misc); the rest for TLS, DNS, zip file systems,
  # extended socket options (Netty), the JDK HTTP server (metrics) and JFR. Modules this JDK lacks
  # (jdk.crypto.ec is gone from newer ones) are left out.
  wanted="java.se jdk.unsupported jdk.management jdk.compiler jdk.crypto.ec jdk.crypto.cryptoki jdk.zipfs
          jdk.naming.dns jdk.net jdk.httpserver jdk.jfr jdk.charsets"
  available=" $("$java_home/bin/java" --list-modules | sed 's/@.*//' | tr '\n' ' ') "
  modules=""
  for m in $wanted; do
    case "$available" in *" $m "*) modules="${modules:+$modules,}$m" ;; esac
  done
  say "jlink: $modules"
  local compress="--compress=zip-6"
  [ "$feature" -lt 21 ] 2>/dev/null && compress="--compress=2"
  "$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    "$compress" --output "$jre" >&2
  # Class-data sharing for the JDK's own classes: it shortens every start. Best effort.
  "$jre/bin/java" -Xshare:dump >/dev/null 2>&1 || say "no CDS archive (java -Xshare:dump failed); starts are slower"

  # The shared libraries of the runtime (GUI ones aside: the processes are headless), plus glibc's
  # separate small libraries that native code in the jars (Netty epoll, JNA, jffi) loads.
  local libs
  libs="$(find "$jre" -name '*.so' ! -name 'libawt_xawt.so' ! -name 'libsplashscreen.so' ! -name 'libjsound.so' \
            ! -name 'libfontmanager.so' ! -name 'libjawt.so' ! -name 'liblcms.so' ! -name 'libjavajpeg.so' \
            ! -name 'libmlib_image.so' ! -name 'libawt.so' -print; echo "$jre/bin/java")"
  local needed
  # shellcheck disable=SC2086
  needed="$({ ldd $libs 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)"
  local libc_dir
  libc_dir="$(dirname "$(echo "$needed" | grep '/libc\.so\.6$' | head -1)")"
  [ -n "$libc_dir" ] && [ "$libc_dir" != . ] || die "ldd found no libc.so.6 for $jre/bin/java"
  for lib in libc.so.6 libm.so.6 libdl.so.2 librt.so.1 libpthread.so.0 libresolv.so.2 libnss_files.so.2 \
             libnss_dns.so.2 libgcc_s.so.1 libz.so.1; do
    if [ -e "$libc_dir/$lib" ]; then needed="$needed"$'\n'"$libc_dir/$lib"; fi
  done
  for lib in $(echo "$needed" | grep -v "^$jre" | sort -u); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib" # at the path ldd printed, which the loader and the binaries use
  done
  if [ ! -s "$jre/lib/security/cacerts" ] && [ -s /etc/ssl/certs/java/cacerts ]; then
    cp -L /etc/ssl/certs/java/cacerts "$jre/lib/security/cacerts"
  fi

  # A minimal /etc, the user the images run as (10001, praas, whose home is the writable /tmp).
  mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/usr/bin"
  printf 'root:x:0:0:root:/root:/sbin/nologin\npraas:x:10001:10001:praas:/tmp:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\npraas:x:10001:\n' >"$rootfs/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$rootfs/etc/hosts"
  chmod 1777 "$rootfs/tmp"
  ln -s /opt/java/openjdk/bin/java "$rootfs/usr/bin/java"

  say "importing $base ($(du -sh "$rootfs" | cut -f1))"
  tar -C "$rootfs" --owner=0 --group=0 --numeric-owner -cf - . | docker import \
    --change 'ENV JAVA_HOME=/opt/java/openjdk' \
    --change 'ENV PATH=/opt/java/openjdk/bin:/usr/bin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'LABEL org.opencontainers.image.description="PraaS base: a jlink-made Java runtime and the glibc files it needs"' \
    - "$base" >/dev/null
  docker run --rm --network none "$base" java -version >/dev/null 2>&1 \
    || die "the base image $base does not run java: docker run --rm $base java -version"
}

case "$base" in
  praas/jre-base:*)
    if $rebuild_base || ! docker image inspect "$base" >/dev/null 2>&1; then
      say "making the base image $base from $java_home"
      make_base
    else
      say "base image $base exists (--rebuild-base makes it again)"
    fi ;;
  *)
    docker image inspect "$base" >/dev/null 2>&1 || say "base $base is not here; docker build pulls it" ;;
esac

# ---- 3. the images, with the repository root as context (.dockerignore sends only the jars)
for image in process control-plane; do
  say "building praas/$image:$version FROM $base"
  docker build -q -f "$root/docker/$image/Dockerfile" --build-arg "BASE=$base" --build-arg "VERSION=$version" \
    -t "praas/$image:$version" "$root" >/dev/null
done
docker run --rm --network none --entrypoint java "praas/process:$version" -version >/dev/null 2>&1 \
  || die "praas/process:$version does not run java"
say "done in $(( $(date +%s) - started )) s: praas/process:$version, praas/control-plane:$version (base $base)"
