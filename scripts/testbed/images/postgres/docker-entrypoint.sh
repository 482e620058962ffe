#!/usr/bin/env bash
# Entry point of the postgres stand-in image (see Dockerfile). Written from the official
# image's documented behaviour, not copied from it:
#   - flags as the first argument mean "run postgres with them";
#   - started as root: own PGDATA and the socket folder, then re-run itself as `postgres`;
#   - an empty PGDATA: initdb with POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_INITDB_ARGS,
#     `host all all all <POSTGRES_HOST_AUTH_METHOD>` in pg_hba.conf, a temporary server on the
#     Unix socket only to create POSTGRES_DB and run /docker-entrypoint-initdb.d, then
#     "PostgreSQL init process complete; ready for start up." and the real server;
#   - a PGDATA that already holds a cluster is started as it is (no init, no scripts).
set -Eeuo pipefail

# VAR or VAR_FILE (the file's content), never both.
file_env() {
  local var="$1" default="${2:-}"
  local file_var="${var}_FILE"
  if [[ -n "${!var:-}" && -n "${!file_var:-}" ]]; then
    printf 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var" >&2
    exit 1
  fi
  local value="$default"
  if [[ -n "${!var:-}" ]]; then
    value="${!var}"
  elif [[ -n "${!file_var:-}" ]]; then
    value="$(<"${!file_var}")"
  fi
  export "$var"="$value"
  unset "$file_var"
}

if [[ "${1:0:1}" == '-' ]]; then
  set -- postgres "$@"
fi

if [[ "$1" == 'postgres' && "$(id -u)" == '0' ]]; then
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" || :
  find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
  mkdir -p /var/run/postgresql
  chmod 03775 /var/run/postgresql || :
  find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [[ "$1" == 'postgres' && ! -s "$PGDATA/PG_VERSION" ]]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER 'postgres'
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"

  if [[ -z "$POSTGRES_PASSWORD" && "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]]; then
    cat >&2 <<'MSG'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
       (Or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without a password.)
MSG
    exit 1
  fi

  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA"
  pwfile="$(mktemp)"
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags, split on purpose
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" $POSTGRES_INITDB_ARGS
  rm -f "$pwfile"
  trap - EXIT

  if [[ -z "$POSTGRES_HOST_AUTH_METHOD" ]]; then
    # The method that matches how passwords are stored (scram-sha-256 on PostgreSQL 14+).
    POSTGRES_HOST_AUTH_METHOD="$(postgres -C password_encryption "${@:2}")"
  fi
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  # A temporary server that nobody outside the container can reach.
  export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
  pg_ctl -D "$PGDATA" -w start -o "$(printf '%q ' "${@:2}") -c listen_addresses='' -p 5432"
  psql_run=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --host /var/run/postgresql --port 5432)
  if [[ "$POSTGRES_DB" != 'postgres' ]]; then
    if [[ -z "$("${psql_run[@]}" --dbname postgres -tA --set db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]]; then
      "${psql_run[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"'
    fi
  fi
  for script in /docker-entrypoint-initdb.d/*; do
    case "$script" in
      *.sh) printf '%s: running %s\n' "$0" "$script"; . "$script" ;;
      *.sql) printf '%s: running %s\n' "$0" "$script"; "${psql_run[@]}" --dbname "$POSTGRES_DB" -f "$script" ;;
      *.sql.gz) printf '%s: running %s\n' "$0" "$script"; gunzip -c "$script" | "${psql_run[@]}" --dbname "$POSTGRES_DB" ;;
      *) if [[ -e "$script" ]]; then printf '%s: ignoring %s\n' "$0" "$script"; fi ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  printf '\nPostgreSQL init process complete; ready for start up.\n\n'
fi

exec "$@"
