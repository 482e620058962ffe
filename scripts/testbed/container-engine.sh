#!/usr/bin/env bash
# A private Docker engine for the test bed's container backend, and the stand-in images it runs.
#
#   scripts/testbed/container-engine.sh start    # dockerd on its own socket; prints DOCKER_HOST=...
#   scripts/testbed/container-engine.sh images   # postgres:15 and redis:7.0 stand-ins (built once, then cached)
#   scripts/testbed/container-engine.sh stop     # stops that dockerd and every container it runs
#
# Nothing here touches a system Docker: the engine has its own data root, exec root, socket and
# pid file, changes no iptables rules (--iptables=false) and creates no bridge (--bridge=none),
# so containers run on the host network (the test bed uses --network host anyway). It needs
# root and Debian's docker.io and debootstrap packages (installed by .ci/run).
#
# No image registry is reachable from CI, so the images are built here: a minimal bookworm
# rootfs (debootstrap, from the machine's Debian mirror) imported as the base image, then the
# Dockerfiles in scripts/testbed/images/. The rootfs tarball and the engine's data root live
# under stable paths, so a second run on the same machine reuses them; an image is rebuilt when
# its Dockerfile or entrypoint changes (a content hash is kept as an image label).
set -Eeuo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="${SM_TESTBED_ENGINE_STATE:-/var/lib/sm-rotation-testbed}"
RUN_DIR="${SM_TESTBED_ENGINE_RUN:-/run/sm-rotation-testbed}"
DATA_ROOT="${STATE_DIR}/docker"
ROOTFS_TAR="${STATE_DIR}/bookworm-rootfs.tar"
SOCKET="${RUN_DIR}/docker.sock"
PIDFILE="${RUN_DIR}/docker.pid"
LOG="${STATE_DIR}/dockerd.log"
BASE_IMAGE="sm-testbed/debian:bookworm"
DOCKER=(/usr/bin/docker --host "unix://${SOCKET}")
MIRROR="${SM_TESTBED_DEBIAN_MIRROR:-}"

log() { printf '[container-engine] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

need_root() { [[ "$(id -u)" -eq 0 ]] || die "needs root (a private dockerd and debootstrap)"; }

engine_pid() {
  [[ -s "${PIDFILE}" ]] || return 1
  local pid
  pid="$(<"${PIDFILE}")"
  kill -0 "${pid}" 2>/dev/null || return 1
  printf '%s' "${pid}"
}

cmd_start() {
  need_root
  command -v dockerd >/dev/null || die "dockerd not found: apt-get install -y docker.io"
  [[ -x /usr/bin/docker ]] || die "/usr/bin/docker not found: apt-get install -y docker.io"
  mkdir -p "${STATE_DIR}" "${RUN_DIR}"
  if pid="$(engine_pid)"; then
    log "dockerd already running (pid ${pid}) on ${SOCKET}"
  else
    rm -f "${PIDFILE}" "${SOCKET}"
    log "starting dockerd: data root ${DATA_ROOT}, socket ${SOCKET}, log ${LOG}"
    # setsid: the engine outlives this shell; `stop` ends it by its pid file.
    setsid dockerd \
      --data-root "${DATA_ROOT}" \
      --exec-root "${RUN_DIR}/exec" \
      --host "unix://${SOCKET}" \
      --pidfile "${PIDFILE}" \
      --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
      --bridge=none \
      </dev/null >>"${LOG}" 2>&1 &
    local waited=0
    until "${DOCKER[@]}" version >/dev/null 2>&1; do
      if ((waited >= 60)); then
        tail -n 30 "${LOG}" >&2 || true
        die "dockerd did not answer on ${SOCKET} within 60 s (log above: ${LOG})"
      fi
      if ! kill -0 "$!" 2>/dev/null && ! engine_pid >/dev/null; then
        tail -n 30 "${LOG}" >&2 || true
        die "dockerd exited during start (log above: ${LOG})"
      fi
      sleep 1
      waited=$((waited + 1))
    done
    log "dockerd $("${DOCKER[@]}" version --format '{{.Server.Version}}') answers (pid $(engine_pid))"
  fi
  printf 'DOCKER_HOST=unix://%s\n' "${SOCKET}"
}

cmd_stop() {
  local pid
  if ! pid="$(engine_pid)"; then
    log "no dockerd of ours is running"
    return 0
  fi
  local ids
  ids="$("${DOCKER[@]}" ps -aq 2>/dev/null || true)"
  if [[ -n "${ids}" ]]; then
    log "removing $(wc -w <<<"${ids}") container(s) left on the engine"
    # shellcheck disable=SC2086 # one id per word
    "${DOCKER[@]}" rm -f ${ids} >/dev/null 2>&1 || true
  fi
  log "stopping dockerd (pid ${pid})"
  kill -TERM "${pid}"
  for _ in $(seq 1 30); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "${pid}" 2>/dev/null; then
    log "dockerd still running after 30 s: SIGKILL"
    kill -KILL "${pid}" || true
  fi
  rm -f "${PIDFILE}" "${SOCKET}"
}

mirror() {
  if [[ -n "${MIRROR}" ]]; then
    printf '%s' "${MIRROR}"
    return
  fi
  # The machine's own Debian mirror (deb822 or one-line sources), so no host is hard-coded.
  local found
  found="$(grep -hoE '^URIs:\s*\S+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 | awk '{print $2}')"
  if [[ -z "${found}" ]]; then
    found="$(grep -hoE '^deb\s+\S+/debian/?\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 | awk '{print $2}')"
  fi
  [[ -n "${found}" ]] || die "no Debian mirror found in /etc/apt/sources.list*: set SM_TESTBED_DEBIAN_MIRROR"
  printf '%s' "${found}"
}

ensure_base_image() {
  if "${DOCKER[@]}" image inspect "${BASE_IMAGE}" >/dev/null 2>&1; then
    log "base image ${BASE_IMAGE} present"
    return
  fi
  if [[ ! -s "${ROOTFS_TAR}" ]]; then
    command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install -y debootstrap"
    local rootfs="${STATE_DIR}/rootfs.tmp" started
    started=$(date +%s)
    rm -rf "${rootfs}"
    log "debootstrap --variant=minbase bookworm from $(mirror)"
    debootstrap --variant=minbase bookworm "${rootfs}" "$(mirror)" >"${STATE_DIR}/debootstrap.log" 2>&1 ||
      {
        tail -n 20 "${STATE_DIR}/debootstrap.log" >&2
        die "debootstrap failed (log: ${STATE_DIR}/debootstrap.log)"
      }
    rm -rf "${rootfs}/var/cache/apt/archives/"*.deb "${rootfs}/var/lib/apt/lists/"*
    tar -C "${rootfs}" --numeric-owner -cf "${ROOTFS_TAR}.tmp" .
    mv "${ROOTFS_TAR}.tmp" "${ROOTFS_TAR}"
    rm -rf "${rootfs}"
    log "rootfs ready in $(($(date +%s) - started)) s: ${ROOTFS_TAR}"
  fi
  "${DOCKER[@]}" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "${ROOTFS_TAR}" "${BASE_IMAGE}" >/dev/null
  log "imported ${BASE_IMAGE}"
}

# build_image TAG FOLDER: rebuild only when the folder's content hash differs from the label.
build_image() {
  local tag="$1" folder="$2" hash current started
  hash="$(cd "${folder}" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  current="$("${DOCKER[@]}" image inspect --format '{{ index .Config.Labels "sm-testbed.source-hash" }}' "${tag}" 2>/dev/null || true)"
  if [[ "${current}" == "${hash}" ]]; then
    log "image ${tag} up to date (${hash})"
    return
  fi
  started=$(date +%s)
  log "building stand-in image ${tag} from ${folder#"${here}/"}"
  # --network host: the build reaches the Debian mirror as the host does (there is no bridge).
  if ! "${DOCKER[@]}" build --network host --label "sm-testbed.source-hash=${hash}" \
    --label "sm-testbed.stand-in=true" -t "${tag}" "${folder}" >"${STATE_DIR}/build-${tag//[:\/]/-}.log" 2>&1; then
    tail -n 30 "${STATE_DIR}/build-${tag//[:\/]/-}.log" >&2
    die "building ${tag} failed (log: ${STATE_DIR}/build-${tag//[:\/]/-}.log)"
  fi
  log "built ${tag} in $(($(date +%s) - started)) s"
}

cmd_images() {
  need_root
  engine_pid >/dev/null || die "dockerd is not running: run '$0 start' first"
  ensure_base_image
  build_image postgres:15 "${here}/images/postgres"
  build_image redis:7.0 "${here}/images/redis"
  "${DOCKER[@]}" image prune -f >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  images) cmd_images ;;
  *)
    printf 'usage: %s start|images|stop\n' "$0" >&2
    exit 2
    ;;
esac
