#!/usr/bin/env bash
# The README's two commands on a fresh Debian 12, end to end:
#   debootstrap a minimal bookworm rootfs (from the machine's own Debian mirror), copy this
#   machine's Node.js and npm in (nothing else: no PostgreSQL, no Redis, no PgBouncer, no
#   OpenSSL, no Python), copy the repository's tracked files in, chroot, and run
#     npm ci && npm start
#     npm test [-- <paths>]
#   as root, so the test bed's provisioning (scripts/testbed/provision.ts) has to install the
#   servers itself. Prints each command's exit status and time; exits non-zero if one failed.
#
#   bash scripts/fresh-machine/check.sh                  # npm test on the subset below
#   FRESH_FULL=1 bash scripts/fresh-machine/check.sh     # the whole npm test
#   bash scripts/fresh-machine/check.sh test/shared      # npm test on these paths
#
# Needs root, debootstrap (apt-get install -y debootstrap) and about 2 GB of disk. The
# pristine rootfs tarball is shared with the container engine's cache
# (/var/lib/sm-rotation-testbed/bookworm-rootfs.tar); the chroot itself is removed at the end.
set -Eeuo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${SM_TESTBED_ENGINE_STATE:-/var/lib/sm-rotation-testbed}"
ROOTFS_TAR="${STATE_DIR}/bookworm-rootfs.tar"
DEFAULT_SUBSET=(
  test/shared
  test/scripts/testbed
  test/functions/postgres/single-user.int.test.ts
  test/functions/redis/acl-user-mode.int.test.ts
)
log() { printf '[fresh-machine] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
[[ "$(id -u)" -eq 0 ]] || die "needs root (debootstrap, chroot, mounts)"

work="$(mktemp -d /var/tmp/sm-fresh-machine-XXXXXX)"
rootfs="${work}/rootfs"
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  # Servers the run left behind would hold the chroot's files: end any process rooted there.
  for proc in /proc/[0-9]*; do
    if [[ "$(readlink "${proc}/root" 2>/dev/null)" == "${rootfs}" ]]; then kill -9 "${proc#/proc/}" 2>/dev/null || true; fi
  done
  rm -rf "${work}"
}
trap cleanup EXIT

started=$(date +%s)
mkdir -p "${rootfs}" "${STATE_DIR}"
if [[ -s "${ROOTFS_TAR}" ]]; then
  log "rootfs: unpacking the cached minimal bookworm (${ROOTFS_TAR})"
  tar -C "${rootfs}" --numeric-owner -xf "${ROOTFS_TAR}"
else
  command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install -y debootstrap"
  mirror="$(grep -hoE '^URIs:\s*\S+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 | awk '{print $2}')"
  [[ -n "${mirror}" ]] || mirror="$(grep -hoE '^deb\s+\S+/debian/?\s' /etc/apt/sources.list 2>/dev/null | head -n 1 | awk '{print $2}')"
  [[ -n "${mirror}" ]] || die "no Debian mirror in /etc/apt/sources.list*"
  log "rootfs: debootstrap --variant=minbase bookworm from ${mirror}"
  debootstrap --variant=minbase bookworm "${rootfs}" "${mirror}" >"${work}/debootstrap.log" 2>&1 ||
    die "debootstrap failed: $(tail -n 5 "${work}/debootstrap.log")"
  rm -rf "${rootfs}/var/cache/apt/archives/"*.deb "${rootfs}/var/lib/apt/lists/"*
  tar -C "${rootfs}" --numeric-owner -cf "${ROOTFS_TAR}.tmp" . && mv "${ROOTFS_TAR}.tmp" "${ROOTFS_TAR}"
fi
for tool in redis-server initdb pgbouncer openssl python3; do
  if chroot "${rootfs}" /bin/sh -c "command -v ${tool}" >/dev/null 2>&1; then die "the fresh rootfs already has ${tool}"; fi
done

node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
log "copying Node.js $(node --version) (${node_bin}) and npm $(npm --version) (${npm_dir}) in"
install -D -m 0755 "${node_bin}" "${rootfs}/usr/local/bin/node"
mkdir -p "${rootfs}/usr/local/lib/node_modules"
cp -a "${npm_dir}" "${rootfs}/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "${rootfs}/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "${rootfs}/usr/local/bin/npx"
# The same registry settings as this machine (a mirror or proxy lives there, if any).
for rc in /etc/npmrc /root/.npmrc; do [[ -f "${rc}" ]] && install -D -m 0600 "${rc}" "${rootfs}${rc}"; done
cp /etc/resolv.conf "${rootfs}/etc/resolv.conf"
# debootstrap writes no /etc/hosts (an installer does): without one `localhost` resolves to
# ::1 and 127.0.0.1 both, unlike on an installed machine.
[[ -s "${rootfs}/etc/hosts" ]] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"${rootfs}/etc/hosts"
# The machine's trust store (a TLS-inspecting egress proxy's CA, if any), as any fresh
# machine of this kind has it; NODE_EXTRA_CA_CERTS is passed on when the host sets it.
extra_ca=()
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "${rootfs}/etc/ssl/certs/ca-certificates.crt"
fi
if [[ -n "${NODE_EXTRA_CA_CERTS:-}" && -f "${NODE_EXTRA_CA_CERTS}" ]]; then
  install -D -m 0644 "${NODE_EXTRA_CA_CERTS}" "${rootfs}${NODE_EXTRA_CA_CERTS}"
  extra_ca=("NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS}")
fi

log "copying the repository's tracked files to /root/app"
mkdir -p "${rootfs}/root/app"
(cd "${here}" && git ls-files -z --cached | xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' | tar --null -T - -cf -) |
  tar -C "${rootfs}/root/app" -xf -
chmod 0755 "${rootfs}/root" "${rootfs}/root/app"

mount -t proc proc "${rootfs}/proc" && mounted+=("${rootfs}/proc")
mount --rbind /dev "${rootfs}/dev" && mount --make-rslave "${rootfs}/dev" && mounted+=("${rootfs}/dev")
mount -t tmpfs -o size=2g,mode=1777 tmpfs "${rootfs}/dev/shm" && mounted+=("${rootfs}/dev/shm")
mount --rbind /sys "${rootfs}/sys" && mount --make-rslave "${rootfs}/sys" && mounted+=("${rootfs}/sys")
mount -t tmpfs -o mode=1777 tmpfs "${rootfs}/tmp" && mounted+=("${rootfs}/tmp")

in_chroot() {
  chroot "${rootfs}" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI=true \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true "${extra_ca[@]}" \
    /bin/bash -c "cd /root/app && $1" </dev/null
}
status=0
step() {
  local name="$1" command="$2" t0 code=0
  t0=$(date +%s)
  log "chroot: ${command}"
  in_chroot "${command}" || code=$?
  log "${name}: exit ${code} in $(($(date +%s) - t0)) s"
  ((code == 0)) || status=1
}

step "npm ci && npm start" "npm ci --no-audit --no-fund && npm start"
((status == 0)) || die "npm ci && npm start failed: npm test is not run"
if [[ "${FRESH_FULL:-0}" == "1" ]]; then
  step "npm test (full)" "npm test"
else
  paths=("$@")
  ((${#paths[@]} > 0)) || paths=("${DEFAULT_SUBSET[@]}")
  step "npm test -- ${paths[*]}" "npm test -- ${paths[*]}"
fi
log "finished in $(($(date +%s) - started)) s with status ${status}"
exit "${status}"
